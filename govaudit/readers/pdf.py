"""PDF documents (filled in by a later reader; registered so the suffix is known)."""
from __future__ import annotations

from pathlib import Path

from ..document import Document
from ..errors import ReadError

SUFFIXES = (".pdf",)


def read(path: Path) -> Document:
    raise ReadError(path, "尚不支持 PDF 文件")
