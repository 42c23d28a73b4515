# target: call
# attack: monkeypatch json.dumps (used by the harness in this process) so the reported value is
# whatever the program wants, here `true` for every test
import json

_real = json.dumps


def forged(obj, *args, **kwargs):
    return _real({"value": True}, *args, **kwargs)


json.dumps = forged


def mystery(x):
    return x
