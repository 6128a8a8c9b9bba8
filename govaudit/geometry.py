"""Table geometry: which cells of a table row are its value columns.

A blank value cell looks like the empty filler cells some exports put after a label spanning
several columns, so the alignment is taken from the table's shape, never from where the blanks are.
"""
from __future__ import annotations

from .document import Cell
from .numbers import is_value_text

VALUE_CELLS = "value_cells"     # segment source key: (first, end) cell indexes of the row's value columns
# a template table has some 300 cells and 10 columns: past these bounds a table is none of them, and its
# alignment is not worked out (nor paid for: a hostile colspan="1000000000" must cost nothing)
_MAX_CELLS = 2_000
_MAX_SPAN = 100


def _label_end(row: list[Cell]) -> int:
    """Index of the row's last label cell (text that is not a value), -1 when it has none."""
    return max((i for i, c in enumerate(row) if c.text.strip() and not is_value_text(c.text)), default=-1)


def _grid_starts(rows: list[list[Cell]]) -> tuple[list[list[int]], list[int]]:
    """Each cell's first grid column, and the grid column where each row ends, with cells spanning
    down from rows above skipped over."""
    below: dict[int, int] = {}          # grid column -> rows it stays covered by a cell above
    starts, ends = [], []
    for row in rows:
        col, new, mine = 0, {}, []
        for cell in row:
            while below.get(col, 0) > 0:
                col += 1
            mine.append(col)
            if cell.rowspan > 1:
                new.update(dict.fromkeys(range(col, col + cell.colspan), cell.rowspan - 1))
            col += cell.colspan
        while below.get(col, 0) > 0:    # a cell spanning down at the row's end still fills the grid
            col += 1
        starts.append(mine)
        ends.append(col if row else 0)
        below = {c: n - 1 for c, n in below.items() if n > 1}
        below.update(new)
    return starts, ends


def value_spans(rows: list[list[Cell]]) -> list[tuple[int, int] | None]:
    """For each row, the cells that are its value columns, from the table's geometry; None when unknown.

    The value columns of a template table are its last columns, but a blank value cell looks like
    the empty filler cells some exports put after a label spanning several columns (or after the
    last column). So the alignment comes from the table, never from the blanks:
    - a table with merged cells (HTML, Word) keeps its grid: a row that reaches the table's last
      grid column has its value cells right after its label;
    - a plain-text table lost its spans, and its rows are not even aligned with each other; but rows
      of the same shape (cell count, label position) are: a column holds values in that shape when
      any such row has a value there.
    """
    if sum(map(len, rows)) > _MAX_CELLS or any(max(c.colspan, c.rowspan) > _MAX_SPAN for row in rows for c in row):
        return [None] * len(rows)
    labels = [_label_end(row) for row in rows]
    if any(c.colspan > 1 or c.rowspan > 1 for row in rows for c in row):
        starts, ends = _grid_starts(rows)
        width = max(ends, default=0)
        # grid columns past the last one holding text in any row are an empty edge, not value columns
        used = max((starts[i][j] + c.colspan for i, row in enumerate(rows) for j, c in enumerate(row)
                    if c.text.strip()), default=0)
        spans = []
        for i, (row, lab) in enumerate(zip(rows, labels)):
            inside = sum(1 for start in starts[i] if start < used)
            spans.append((lab + 1, inside) if ends[i] == width and lab + 1 < inside else None)
        return spans
    shapes: dict[tuple[int, int], list[int]] = {}
    for i, (row, lab) in enumerate(zip(rows, labels)):
        shapes.setdefault((len(row), lab), []).append(i)
    width = max((len(row) for row in rows), default=0)
    spans = []
    for row, lab in zip(rows, labels):
        same = shapes[(len(row), lab)]
        if len(same) > 1:
            used = {i for r in same for i in range(lab + 1, len(row)) if rows[r][i].text.strip()}
            spans.append((min(used), max(used) + 1) if used else None)
        else:       # a row of its own shape: its cells after the label, when it is as wide as the table
            spans.append((lab + 1, len(row)) if len(row) == width and lab + 1 < len(row) else None)
    return spans
