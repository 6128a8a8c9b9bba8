"""What an out-of-core check keeps per report, on disk: the driver holds 16 bytes an object, not the object.

A ``Spill`` is a list of pickled objects in one temporary file, read back by index. Appending is
sequential; replacing an object appends its new version and points the index at it (the old bytes
stay, unread). The file is deleted when it is closed or the process ends.
"""
from __future__ import annotations

import os
import pickle
import tempfile
from array import array


class Spill:
    def __init__(self, directory: str | os.PathLike | None = None):
        self._file = tempfile.TemporaryFile(dir=directory, prefix="govaudit-spill-")
        self._starts = array("q")
        self._sizes = array("q")
        self._end = 0

    def append(self, obj) -> int:
        """Store ``obj``; its index."""
        self._starts.append(self._write(obj))
        self._sizes.append(self._end - self._starts[-1])
        return len(self._starts) - 1

    def replace(self, i: int, obj) -> None:
        self._starts[i] = self._write(obj)
        self._sizes[i] = self._end - self._starts[i]

    def _write(self, obj) -> int:
        data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        start = self._end
        os.pwrite(self._file.fileno(), data, start)
        self._end += len(data)
        return start

    def __getitem__(self, i: int):
        return pickle.loads(os.pread(self._file.fileno(), self._sizes[i], self._starts[i]))

    def __len__(self) -> int:
        return len(self._starts)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def close(self) -> None:
        self._file.close()
