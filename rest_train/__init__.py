"""ReST / ReST-EM training: generate, grade (through rest_verify), filter, improve, evaluate.

The layers, each a subpackage: `generation` (backends and their base types), `run` (the loops, the
runner, graders by role, resume), `training` (fine-tuning, reward models), `models` (model folders),
`reports`, `demo`; `config` is the one configuration of a run.
"""

from rest_train import _moved

_moved.install()
