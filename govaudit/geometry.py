"""Table geometry: which cells of a table row are its value columns.

A blank value cell looks like the empty filler cells some exports put after a label spanning
several columns, so the alignment is taken from the table's shape, never from where the blanks are.
"""
from __future__ import annotations

from .document import Cell
from .numbers import is_value_text

VALUE_CELLS = "value_cells"     # segment source key: (first, end) cell indexes of the row's value columns


def _label_end(row: list[Cell]) -> int:
    """Index of the row's last label cell (text that is not a value), -1 when it has none."""
    return max((i for i, c in enumerate(row) if c.text.strip() and not is_value_text(c.text)), default=-1)


def _grid_ends(rows: list[list[Cell]]) -> list[int]:
    """The grid column where each row ends, with cells spanning down from rows above skipped over."""
    below: dict[int, int] = {}          # grid column -> rows it stays covered by a cell above
    ends = []
    for row in rows:
        col, new = 0, {}
        for cell in row:
            while below.get(col, 0) > 0:
                col += 1
            for c in range(col, col + cell.colspan):
                if cell.rowspan > 1:
                    new[c] = cell.rowspan - 1
            col += cell.colspan
        while below.get(col, 0) > 0:    # a cell spanning down at the row's end still fills the grid
            col += 1
        ends.append(col if row else 0)
        below = {c: n - 1 for c, n in below.items() if n > 1}
        below.update(new)
    return ends


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
    labels = [_label_end(row) for row in rows]
    if any(c.colspan > 1 or c.rowspan > 1 for row in rows for c in row):
        ends = _grid_ends(rows)
        width = max(ends, default=0)
        return [(lab + 1, len(row)) if ends[i] == width and lab + 1 < len(row) else None
                for i, (row, lab) in enumerate(zip(rows, labels))]
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
