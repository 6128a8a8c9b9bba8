"""A finding at its source: the quoted text around the cited number, or the PDF page region with the cell boxed.

A one-line web dump's "第10行" tells the inspector nothing, so text sources are quoted: about
``CONTEXT`` characters either side of the cited text, the cited part marked. Offsets in provenance
count from the start of the (NFKC-normalised) source line. PDF sources are shown as a page crop
that reaches up to the top of the table (column headers, the （三）/（四） block rows above the cell)
with a red box around the cell.
"""
from __future__ import annotations

import io
import os
from functools import lru_cache

from ..document import Paragraph
from ..readers import read
from ..tokens import nfkc
from .render import esc

CONTEXT = 40            # characters shown either side of the cited text
RED = (220, 38, 38)     # render.SEVERITY_COLORS["error"]
MARGIN = 8              # points of page kept around the crop


def cited_text(p: dict) -> str:
    """What the source printed for a value: the run of digits it was split from, or the cell itself."""
    return p.get("split_from") or p.get("raw") or p.get("quote") or ""


def quote_html(path: str, source: dict, cited: str) -> str:
    """The text around ``cited`` in its line with the cited part marked (escaped); '' when it cannot be found."""
    line = source.get("line")
    if not line or not path:
        return ""
    try:
        texts, rows = _lines(path, os.path.getmtime(path)).get(line, ([], []))
    except (OSError, ValueError):
        return ""
    if "col" in source and rows:
        return _row_html(line, rows[0], source["col"])
    for text in texts:
        start = _find(text, cited, source.get("offset"))
        if start is not None:
            return _context_html(line, text, start, len(cited))
    return ""


def _find(text: str, cited: str, offset: int | None) -> int | None:
    """Where ``cited`` starts: at its recorded offset, or its one occurrence in the line (never a guess)."""
    if not cited:
        return None
    if offset is not None:
        return offset if text.startswith(cited, offset) else None
    first = text.find(cited)
    return first if first >= 0 and text.find(cited, first + 1) < 0 else None


def _context_html(line: int, text: str, start: int, length: int) -> str:
    lo, hi = max(start - CONTEXT, 0), min(start + length + CONTEXT, len(text))
    before = ("…" if lo else "") + text[lo:start]
    after = text[start + length:hi] + ("…" if hi < len(text) else "")
    where = f"原文第{line}行第{start + 1}字处" if len(text) > 2 * CONTEXT + length else f"原文第{line}行"
    return (f"<div class='ga-context'><span class='ga-muted'>{esc(where)}：</span>"
            f"<div class='ga-quote'>{esc(before)}<mark class='ga-cite'>{esc(text[start:start + length])}</mark>"
            f"{esc(after)}</div></div>")


def _row_html(line: int, cells: list[str], col: int) -> str:
    shown = "｜".join(f"<mark class='ga-cite'>{esc(c)}</mark>" if i == col else esc(c) for i, c in enumerate(cells))
    return (f"<div class='ga-context'><span class='ga-muted'>原文第{line}行（表格行，第{col + 1}格）：</span>"
            f"<div class='ga-quote'>{shown}</div></div>")


@lru_cache(maxsize=8)
def _lines(path: str, mtime: float) -> dict[int, tuple[list[str], list[list[str]]]]:
    """Line number -> (its paragraphs' text, its table rows' cells), NFKC-normalised as the parser saw them."""
    out: dict[int, tuple[list[str], list[list[str]]]] = {}
    for block in read(path).blocks:
        if isinstance(block, Paragraph):
            out.setdefault(block.source.get("line"), ([], []))[0].append(nfkc(block.text))
            continue
        for row in block.rows:
            lines = {c.source.get("line") for c in row} - {None}
            for n in lines:
                out.setdefault(n, ([], []))[1].append([nfkc(c.text) for c in row])
    return out


def pdf_region(path: str, page_no: int, bbox) -> tuple[bytes, tuple] | None:
    """PNG of the page from the top of the cell's table (its headers) to just below the cell, the cell boxed red.

    Returns the PNG and the crop box (page points); None when the page cannot be drawn.
    """
    return _pdf_region(path, os.path.getmtime(path), page_no, tuple(bbox))


@lru_cache(maxsize=32)      # finding the table on the page takes a second or two; going back is instant
def _pdf_region(path: str, mtime: float, page_no: int, bbox: tuple) -> tuple[bytes, tuple] | None:
    import pdfplumber
    with pdfplumber.open(path) as pdf:
        if not 0 < page_no <= len(pdf.pages):
            return None
        page = pdf.pages[page_no - 1]
        x0, top, x1, bottom = bbox
        box = (0, max(_table_top(page, bbox) - MARGIN, 0), page.width, min(bottom + 4 * MARGIN, page.height))
        image = page.crop(box).to_image(resolution=110)
        image.draw_rect((x0 - 2, top - 2, x1 + 2, bottom + 2), fill=None, stroke=RED, stroke_width=3)
        buf = io.BytesIO()
        image.annotated.save(buf, format="PNG")
    return buf.getvalue(), box


def _table_top(page, bbox) -> float:
    """The top of the ruled table holding the cell (so the crop shows its headers); near the cell otherwise."""
    cx, cy = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
    for table in page.find_tables():
        tx0, ttop, tx1, tbottom = table.bbox
        if tx0 <= cx <= tx1 and ttop <= cy <= tbottom:
            return ttop
    return bbox[1] - 60
