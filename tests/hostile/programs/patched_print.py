# target: stdin
# attack: replace print so nothing reaches the output, then "print" an answer
import builtins
builtins.print = lambda *args, **kwargs: None
print(42)
