# target: stdin
# attack: print (buffered) then os._exit(0) so nothing is flushed, hoping exit code 0 is enough
import os
print("I am right")
os._exit(0)
