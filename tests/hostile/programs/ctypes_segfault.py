# target: stdin
# attack: crash the interpreter with a NULL dereference through ctypes
import ctypes
ctypes.string_at(0)
