"""A finding at its source: the quoted text around the cited number, or the PDF page region with the cell boxed.

A one-line web dump's "第10行" tells the inspector nothing, so text sources are quoted: about
``CONTEXT`` characters either side of the cited text, the cited part marked. Offsets in provenance
count from the start of the (NFKC-normalised) source line. PDF sources are shown as a page crop
that reaches up to the top of the table (column headers, the （三）/（四） block rows above the cell)
with a red box around the cell; in a tall table, the header strip and the rows around the cell.
"""
from __future__ import annotations

import io
import os
import re
from functools import lru_cache

from ..document import Paragraph
from ..readers import read
from ..tokens import nfkc
from .render import esc

CONTEXT = 40            # characters shown either side of the cited text
RED = (220, 38, 38)     # render.SEVERITY_COLORS["error"]
MARGIN = 8              # points of page kept around the crop
MAX_CROP = 320          # points (about 490 px): a taller crop pushes the cell out of the detail pane
HEADER_KEEP = 140       # points of column headers, at most, above the cell of a tall table (表三: ~115)
RESOLUTION = 110        # dpi of the page picture
_NUMBER = re.compile(r"[-+]?\d+(\.\d+)?%?")


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

    A crop taller than ``MAX_CROP`` is cut around the cell, its column headers stacked above it when they
    fit (:func:`crop_boxes`). Returns the PNG and the crop box (page points) of the part holding the cell;
    None when the page cannot be drawn.
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
        *above, box = crop_boxes(page, bbox)
        image = page.crop(box).to_image(resolution=RESOLUTION)
        image.draw_rect((x0 - 2, top - 2, x1 + 2, bottom + 2), fill=None, stroke=RED, stroke_width=3)
        picture = image.annotated
        if above:
            picture = _stacked(page.crop(above[0]).to_image(resolution=RESOLUTION).annotated, picture)
        buf = io.BytesIO()
        picture.save(buf, format="PNG")
    return buf.getvalue(), box


def crop_boxes(page, bbox) -> list[tuple]:
    """The crop of a cell: one box from its table's top to below it, or (when that is taller than MAX_CROP)
    a box around the cell, with the column headers above it as a strip of their own when they are not in it
    and fit (HEADER_KEEP), so a cell low in a tall table is not a page-high picture."""
    top, bottom = bbox[1], bbox[3]
    table = _table_of(page, bbox)
    table_top = max((table.bbox[1] if table else top - 60) - MARGIN, 0)
    end = min(bottom + 4 * MARGIN, page.height)
    if end - table_top <= MAX_CROP:
        return [(0, table_top, page.width, end)]
    head = _header_rows(table, top) if table else None
    if head and head[1] - head[0] + 2 * MARGIN <= HEADER_KEEP:
        strip = (0, max(head[0] - MARGIN, 0), page.width, head[1] + 2)
        start = min(end - (MAX_CROP - (strip[3] - strip[1])), top - MARGIN)     # the cell itself is never cut
        if strip[3] < start:
            return [strip, (0, start, page.width, end)]
        if end - strip[1] <= MAX_CROP:                 # the headers reach down to the cell's part: one crop
            return [(0, strip[1], page.width, end)]
    return [(0, max(min(end - MAX_CROP, top - MARGIN), 0), page.width, end)]


def _header_rows(table, cell_top: float) -> tuple[float, float] | None:
    """(top, bottom) of the column-header rows nearest above the cell: rows of two or more cells, none a number."""
    rows, texts = table.rows, table.extract()

    def is_header(i: int) -> bool:
        cells = [c.strip() for c in texts[i] if c and c.strip()]
        return len(cells) >= 2 and not any(_NUMBER.fullmatch(c.replace(" ", "")) for c in cells)

    above = [i for i, r in enumerate(rows) if r.bbox[3] <= cell_top + 1 and is_header(i)]
    if not above:
        return None
    first = last = above[-1]
    while first > 0 and is_header(first - 1):
        first -= 1
    return rows[first].bbox[1], rows[last].bbox[3]


def _stacked(header, body):
    """The header strip above the cell's part, a grey rule between them (rows were left out there)."""
    from PIL import Image, ImageDraw
    gap = 6
    out = Image.new("RGB", (max(header.width, body.width), header.height + gap + body.height), "white")
    out.paste(header.convert("RGB"), (0, 0))
    ImageDraw.Draw(out).line([(0, header.height + gap // 2), (out.width, header.height + gap // 2)],
                             fill=(148, 163, 184), width=2)
    out.paste(body.convert("RGB"), (0, header.height + gap))
    return out


def _table_of(page, bbox):
    """The ruled table holding the cell (its top shows the headers), or None."""
    cx, cy = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
    for table in page.find_tables():
        tx0, ttop, tx1, tbottom = table.bbox
        if tx0 <= cx <= tx1 and ttop <= cy <= tbottom:
            return table
    return None
