# target: stdin
# attack: endless standard output
import sys
line = "flood " * 1000 + "\n"
while True:
    sys.stdout.write(line)
