"""Exceptions. Bad *data* becomes a parse warning or a finding; only "cannot run" raises."""
from __future__ import annotations

from pathlib import Path


class GovauditError(Exception):
    """Root: catching it catches everything govaudit raises."""


class ReadError(GovauditError, OSError):
    """A file could not be read as a report. The message names the file and the reason (in Chinese)."""

    def __init__(self, path: str | Path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"无法读取 {self.path}：{reason}")

    def __reduce__(self):  # picklable across process pools
        return (type(self), (self.path, self.reason))


class UnsupportedFormat(ReadError, ValueError):
    """The file's suffix has no reader."""


class StoreConflict(GovauditError):
    """Somebody else saved the same review first (optimistic versioning)."""


class ParseWarning(UserWarning):
    """Something in a document could not be read; also kept in ``Report.warnings``."""
