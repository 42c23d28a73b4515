# target: stdin
# attack: exit with status 0 before printing anything, hoping a clean exit counts as a pass
import sys
sys.exit(0)
print(1)
