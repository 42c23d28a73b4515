"""Reading the grader's input on a thread of its own, so that a slow producer never holds back work.

The engine waits on worker connections; if it also pulled items from the caller's iterator, a producer
that takes its time (a trainer still generating, a pipe into `rest-em grade -`) would block it from
dispatching what has already arrived, from collecting verdicts and from enforcing deadlines. Here a
daemon thread pulls items and hands them over through a deque, and wakes the engine through an eventfd
that it waits on beside its workers. The eventfd is a counter, not a flag: every item adds one, `take`
reads it back to zero before it pops, so an item appended at any moment is either popped by that `take`
or still counted afterwards, and no wake-up is ever lost (it needs Linux, as the engine's workers do).
The thread reads at most `window` items ahead of what the engine has given back (`release`), so memory
stays bounded however long the input; once the window is full it waits for a quarter of it to free up,
so that it wakes once per batch rather than once per item.
"""

from __future__ import annotations

import collections
import os
import threading
from typing import Any, Iterable

_END = object()
_JOIN_SECONDS = 0.5  # how long `close` waits for a thread that may be blocked inside the source
_RECHECK_SECONDS = 1.0  # the longest the thread waits for room before it looks again whether it was closed


class _Failure:
    def __init__(self, error: BaseException):
        self.error = error


class BoundedReader:
    """Items of `source`, read ahead on a thread, at most `window` of them not yet released."""

    def __init__(self, source: Iterable[Any], window: int):
        self._source = iter(source)
        self._room = window  # items the thread may still read, guarded by `_freed`
        self._refill = max(1, window // 4)
        self._freed = threading.Condition()
        self._arrived: collections.deque = collections.deque()
        # Two descriptors of one counter, each closed by its own side: the thread may outlive `close`.
        self._wake = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        self._wake_thread = os.dup(self._wake)
        self._closed = threading.Event()
        self.exhausted = False  # the end of the input (or an error in it) has been taken
        self.error: BaseException | None = None  # what the input raised, to re-raise after its verdicts
        self._thread = threading.Thread(target=self._run, name="rest-em grading input", daemon=True)
        self._thread.start()

    def fileno(self) -> int:
        """Readable when items have arrived: lets the engine wait on the input and its workers at once."""
        return self._wake

    def take(self) -> list[Any]:
        """Every item that has arrived, without waiting; sets `exhausted` once the input has ended."""
        # Zero the count, then pop: an item counted after the zeroing is popped now or announced later.
        try:
            os.eventfd_read(self._wake)
        except BlockingIOError:
            pass
        items = []
        while self._arrived:
            item = self._arrived.popleft()
            if item is _END or isinstance(item, _Failure):
                self.exhausted = True
                self.error = item.error if isinstance(item, _Failure) else None
                break
            items.append(item)
        return items

    def release(self, count: int = 1) -> None:
        """`count` items have left the caller's window: the reader may read that many more."""
        with self._freed:
            self._room += count
            if self._room >= self._refill:
                self._freed.notify()

    def close(self) -> None:
        """Stop reading. A thread blocked inside the source itself ends after that item, on its own."""
        with self._freed:
            self._closed.set()
            self._freed.notify()
        self._thread.join(timeout=_JOIN_SECONDS)
        os.close(self._wake)

    def _run(self) -> None:
        try:
            while allowance := self._wait_for_room():
                for _ in range(allowance):
                    if self._closed.is_set():
                        return
                    try:
                        item = next(self._source)
                    except StopIteration:
                        self._hand_over(_END)
                        return
                    self._hand_over(item)
        except BaseException as exc:  # the caller sees it in order, after the verdicts before it
            self._hand_over(_Failure(exc))
        finally:
            os.close(self._wake_thread)

    def _wait_for_room(self) -> int:
        """How many items to read now: all the free room, once there is enough; 0 once closed."""
        with self._freed:
            while self._room < self._refill and not self._closed.is_set():
                self._freed.wait(_RECHECK_SECONDS)
            if self._closed.is_set():
                return 0
            allowance, self._room = self._room, 0
            return allowance

    def _hand_over(self, item: Any) -> None:
        if self._closed.is_set():
            return
        self._arrived.append(item)
        os.eventfd_write(self._wake_thread, 1)
