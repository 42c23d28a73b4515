# target: stdin
# attack: emit bytes that are not UTF-8 (and NUL bytes) hoping to confuse decoding on the host
import os
os.write(1, b"\xff\xfe\x00\x80\n\xc3\x28\n")
