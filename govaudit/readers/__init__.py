"""Readers: one module per format, each exporting ``SUFFIXES`` and ``read(path) -> Document``.

This module only maps suffixes to readers; readers know formats, nothing about the template.
"""
from __future__ import annotations

import importlib
from pathlib import Path

from ..document import Document
from ..errors import UnsupportedFormat

_MODULES = ("text", "html", "docx", "pdf")


def _suffix_map() -> dict[str, str]:
    out = {}
    for name in _MODULES:
        mod = importlib.import_module(f"{__name__}.{name}")
        out.update({s: name for s in mod.SUFFIXES})
    return out


def suffixes() -> tuple[str, ...]:
    return tuple(_suffix_map())


def reader_for(path: str | Path):
    suffix = Path(path).suffix.lower()
    name = _suffix_map().get(suffix)
    if name is None:
        raise UnsupportedFormat(path, f"不支持的文件类型“{suffix or '（无扩展名）'}”，"
                                      f"支持：{'、'.join(sorted(_suffix_map()))}")
    return importlib.import_module(f"{__name__}.{name}")


def read(path: str | Path) -> Document:
    return reader_for(path).read(Path(path))
