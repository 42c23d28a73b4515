# target: call
# attack: return an int subclass that claims equality with everything and lies about its value


class Liar(int):
    def __eq__(self, other):
        return True

    def __index__(self):
        return 10

    def __int__(self):
        return 10

    def __repr__(self):
        return "10"

    __hash__ = int.__hash__


def mystery(x):
    return Liar(-1)
