"""Plain text and Markdown: tab-separated rows, Markdown pipe tables, or one cell per line."""
from __future__ import annotations

import re
from pathlib import Path

from ..document import Cell, Document, Paragraph, Table
from ._common import decode_text, require_file, sha256

SUFFIXES = (".txt", ".md", ".markdown", ".text")

_PIPE_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def read(path: Path) -> Document:
    data = require_file(path)
    text, notes = decode_text(path, data)       # notes: damaged bytes read as U+FFFD, each with its position
    return Document(path=str(path), blocks=list(blocks_from_lines(text.split("\n"))), sha256=sha256(data),
                    notes=notes)


def _row_kind(line: str) -> str:
    s = line.strip()
    if s.startswith("|") and s.endswith("|") and len(s) > 1:
        return "pipe"
    if "\t" in line and sum(1 for c in line.split("\t") if c.strip()) >= 2:
        return "tab"
    return ""


def _cells(line: str, kind: str, lineno: int) -> list[Cell]:
    parts = line.strip()[1:-1].split("|") if kind == "pipe" else line.rstrip("\n").split("\t")
    return [Cell(p.strip(), source={"line": lineno, "col": i}) for i, p in enumerate(parts)]


def blocks_from_lines(lines: list[str], first_line: int = 1):
    """Group consecutive table-like lines into Table blocks; every other line is a Paragraph."""
    table: Table | None = None
    table_kind = ""
    for offset, line in enumerate(lines):
        lineno = first_line + offset
        kind = _row_kind(line)
        if kind == "pipe" and _PIPE_SEPARATOR.match(line.strip()):
            continue
        if kind:
            if table is None or kind != table_kind:
                if table is not None:
                    yield table
                table, table_kind = Table(rows=[], source={"line": lineno}), kind
            table.rows.append(_cells(line, kind, lineno))
            continue
        if table is not None:
            yield table
            table, table_kind = None, ""
        yield Paragraph(line, source={"line": lineno})
    if table is not None:
        yield table
