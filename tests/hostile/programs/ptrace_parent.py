# target: stdin
# attack: attach to the harness with ptrace through ctypes
import ctypes
import os
libc = ctypes.CDLL(None, use_errno=True)
PTRACE_ATTACH = 16
result = libc.ptrace(PTRACE_ATTACH, os.getppid(), None, None)
print("ptrace", result, os.strerror(ctypes.get_errno()))
