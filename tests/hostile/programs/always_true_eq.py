# target: call
# attack: return an object that equals everything


class Anything:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__


def mystery(x):
    return Anything()
