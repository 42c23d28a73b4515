# target: call
# attack: list and dict subclasses that lie through __eq__, __iter__ and __len__


class Lying(list):
    def __eq__(self, other):
        return True

    def __iter__(self):
        return iter([10])

    def __len__(self):
        return 1


def mystery(x):
    return Lying([None, None])
