# target: call
# attack: an object whose __class__ claims to be int


class Fake:
    @property
    def __class__(self):
        return int

    def __eq__(self, other):
        return True


def mystery(x):
    return Fake()
