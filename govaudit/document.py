"""The format-neutral Document that readers produce and the parser consumes.

A Document is an ordered list of blocks: paragraphs (one line of text) and
tables (rows of cells). Every block and cell keeps where it came from
(``line``; or ``page`` and ``bbox``; or ``table``/``row``/``col``) so a
number can be traced back to the source.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Cell:
    text: str
    rowspan: int = 1
    colspan: int = 1
    source: dict = field(default_factory=dict)


@dataclass
class Paragraph:
    text: str
    source: dict = field(default_factory=dict)


@dataclass
class Table:
    rows: list[list[Cell]]
    source: dict = field(default_factory=dict)


Block = Paragraph | Table


@dataclass
class Document:
    path: str
    blocks: list[Block]
    sha256: str = ""
    meta: dict = field(default_factory=dict)     # what the file itself says (e.g. 发布时间), reader notes
    notes: list[dict] = field(default_factory=list)  # reader-level warnings (e.g. pages not read)
    # independent readings of the same file (PDF); the parser reconciles their values cell by cell
    alternates: dict[str, "Document"] = field(default_factory=dict)

    def text(self) -> str:
        """Plain text, tables flattened row by row with tabs (for section finding and rules)."""
        out = []
        for b in self.blocks:
            if isinstance(b, Paragraph):
                out.append(b.text)
            else:
                out.extend("\t".join(c.text for c in row) for row in b.rows)
        return "\n".join(out)
