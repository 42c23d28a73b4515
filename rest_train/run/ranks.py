"""One run over several processes: rank 0 samples, grades and writes the run directory; every rank trains.

`torchrun` and `accelerate launch` start one process per device and give each RANK, WORLD_SIZE,
LOCAL_RANK, MASTER_ADDR and MASTER_PORT. `joined()` makes those processes one torch process group before
the Trainer starts, so the Trainer (through accelerate) reuses it for its own data-parallel training.
The loop asks the group two things: is this the main process (the only one that writes the run
directory), and wait here until every process has arrived (so no rank reads a stage's output before
rank 0 has written it). Every process must see the run directory and the base model at the same path:
one machine, or a filesystem every machine mounts.

A single process (no WORLD_SIZE, or WORLD_SIZE=1) creates no group, and every call here is a no-op.
"""

from __future__ import annotations

import contextlib
import datetime
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from rest_train.config import ConfigError
from rest_train.run.files import atomic_directory

# The other ranks wait at a barrier while rank 0 samples and grades, which can take many hours on a big
# iteration; torch's default of 30 minutes would end the run. A crashed rank does not leave the others
# waiting this long: the launcher stops every process when one of them fails.
WAIT_VARIABLE = "REST_EM_STAGE_TIMEOUT"
DEFAULT_WAIT_SECONDS = 72 * 3600


@dataclass(frozen=True)
class Ranks:
    """This process's place in the run: its rank and how many processes there are."""

    rank: int = 0
    world_size: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    def wait(self) -> None:
        """Return only once every process has called this."""
        if self.distributed:
            import torch.distributed

            torch.distributed.barrier()

    def from_main(self, value: Any) -> Any:
        """Rank 0's `value` on every rank (a picklable object), so all ranks take the same decision."""
        if not self.distributed:
            return value
        import torch.distributed

        box = [value if self.is_main else None]
        torch.distributed.broadcast_object_list(box, src=0)
        return box[0]

    @contextlib.contextmanager
    def atomic_directory(self, path: Path) -> Iterator[Path]:
        """`files.atomic_directory` shared by all ranks: each writes its part, rank 0 renames it into place.

        Every rank gets the same temporary directory, because saving a DeepSpeed or FSDP model gathers its
        shards from all ranks into the main process's directory. Every rank leaves only once `path` exists.
        """
        if not self.distributed:
            with atomic_directory(path) as temporary:
                yield temporary
            return
        if self.is_main:
            with atomic_directory(path) as temporary:
                self.from_main(str(temporary))
                yield temporary
                self.wait()  # all ranks have finished writing before the directory appears
        else:
            yield Path(self.from_main(None))
            self.wait()
        self.wait()  # and none goes on to read it before it is in place


def current() -> Ranks:
    """The ranks of the process group this process belongs to (a single process when there is none)."""
    import torch.distributed

    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return Ranks(torch.distributed.get_rank(), torch.distributed.get_world_size())
    return Ranks()


@contextlib.contextmanager
def joined() -> Iterator[Ranks]:
    """The process group of a launcher's processes, created from their environment for the block.

    An existing group (a caller's, or accelerate's) is used as it is and left open.
    """
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        yield Ranks()
        return
    import torch
    import torch.distributed

    if torch.distributed.is_initialized():
        yield current()
        return
    if torch.cuda.is_available():
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        backend = "cpu:gloo,cuda:nccl"  # our waits and small broadcasts on gloo, the Trainer's tensors on NCCL
    else:
        backend = "gloo"
    torch.distributed.init_process_group(backend=backend, timeout=datetime.timedelta(seconds=_wait_seconds()))
    try:
        yield current()
    finally:
        torch.distributed.destroy_process_group()


def _wait_seconds() -> float:
    text = os.environ.get(WAIT_VARIABLE)
    if text is None:
        return DEFAULT_WAIT_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not seconds > 0:
        raise ConfigError(f"{WAIT_VARIABLE}={text!r}: expected a positive number of seconds")
    return seconds
