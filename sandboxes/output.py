"""Bounded capture of a program's output: keep the first bytes, count and drop the rest."""

from __future__ import annotations


class CappedBuffer:
    """Keeps at most `limit` bytes. Callers keep draining the stream past the cap so the program is
    never blocked on a full pipe, and host memory stays bounded whatever the program prints."""

    def __init__(self, limit: int):
        self.limit = limit
        self._chunks: list[bytes] = []
        self._kept = 0
        self.truncated = False

    def add(self, data: bytes) -> None:
        room = self.limit - self._kept
        if len(data) > room:
            self.truncated = True
            data = data[:max(room, 0)]
        if data:
            self._chunks.append(data)
            self._kept += len(data)

    def getvalue(self) -> bytes:
        return b"".join(self._chunks)
