"""Exceptions. Bad *data* becomes a parse warning or a finding; only "cannot run" raises."""
from __future__ import annotations

import unicodedata
from pathlib import Path

NO_MEMORY = "内存不足，未能读完（文件过大或结构异常）"
_UNSAFE = ("Cc", "Cf", "Cs", "Zl", "Zp")      # controls (newline, ESC), bidi overrides, lone surrogates, separators


def shown_path(path: str | Path) -> str:
    """A file name as it may be shown in a message: as is, or quoted like ``repr`` when it holds a newline,
    another control character or a bidi override, so a name can never fake extra lines or reorder a message."""
    text = str(path)
    if any(unicodedata.category(ch) in _UNSAFE for ch in text):
        return repr(text)
    return text


class GovauditError(Exception):
    """Root: catching it catches everything govaudit raises."""


class ReadError(GovauditError, OSError):
    """A file could not be read as a report. The message names the file and the reason (in Chinese)."""

    def __init__(self, path: str | Path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"无法读取 {shown_path(self.path)}：{reason}")

    def __reduce__(self):  # picklable across process pools
        return (type(self), (self.path, self.reason))


class UnsupportedFormat(ReadError, ValueError):
    """The file's suffix has no reader."""


class StoreError(GovauditError):
    """The review database cannot be used as asked (read-only, too new a schema, unreachable)."""


class StoreReadOnly(StoreError):
    """A write was attempted on a database opened read-only."""


class StoreConflict(StoreError):
    """Somebody else saved the same review first (optimistic versioning).

    ``theirs`` is the review as the other inspector saved it.
    """

    def __init__(self, message: str, theirs: dict | None = None):
        self.theirs = theirs or {}
        super().__init__(message)

    def __reduce__(self):
        return (type(self), (str(self), self.theirs))


class ParseWarning(UserWarning):
    """Something in a document could not be read; also kept in ``Report.warnings``."""
