"""Report (one parsed document) and Corpus (many)."""
from __future__ import annotations

import math
from contextlib import contextmanager
from pathlib import Path
from dataclasses import dataclass, field
from typing import Iterator

import pandas as pd

from . import template as T


TIDY_COLUMNS = ["report", "agency", "year", "table", "row", "column", "value", "source"]


class Named:
    """The id, agency and year of a report, read from its ``meta`` (a Report, or a check's summary of one)."""
    __slots__ = ()      # a slotted summary stays slotted
    meta: dict

    @property
    def id(self) -> str:
        return self.meta.get("id", "")

    @property
    def agency(self) -> str:
        return self.meta.get("agency") or ""

    @property
    def year(self) -> int | None:
        return self.meta.get("year")


@dataclass
class Report(Named):
    """One annual report, parsed onto the template's canonical keys.

    ``active``, ``requests`` and ``appeals`` are DataFrames indexed by row key with one
    column per column key; a cell the report left blank (or "/", "—", "无") or that could
    not be read is NA, never 0. ``provenance[(table, row, column)]`` says where each
    value came from; ``warnings`` lists what could not be read, and where.
    """

    meta: dict
    active: pd.DataFrame
    requests: pd.DataFrame
    appeals: pd.DataFrame
    sections: dict[str, str]
    warnings: list[dict] = field(default_factory=list)
    provenance: dict[tuple[str, str, str], dict] = field(default_factory=dict)
    label_deviations: list[dict] = field(default_factory=list)
    text: str = ""                      # the whole document as plain text (for narrative rules)
    section_order: list[str] = field(default_factory=list)
    _cells: dict | None = field(default=None, repr=False, compare=False)

    @property
    def template(self) -> str:
        return self.meta.get("template", "")

    def table(self, key: str) -> pd.DataFrame:
        return {"active": self.active, "requests": self.requests, "appeals": self.appeals}[key]

    @contextmanager
    def snapshot(self):
        """Read cells from a plain dict for the duration (rules read thousands of cells; ``df.at`` is slow)."""
        cells = {}
        for t in ("active", "requests", "appeals"):
            frame = self.table(t)
            columns = list(frame.columns)
            for r, values in zip(frame.index, frame.to_numpy(dtype=object)):
                for c, v in zip(columns, values):
                    cells[(t, r, c)] = _plain(v)
        self._cells = cells
        try:
            yield self
        finally:
            self._cells = None

    def value(self, table: str, row: str, column: str):
        """A cell as a Python value, or None when NA or absent."""
        if self._cells is not None:
            return self._cells.get((table, row, column))
        df = self.table(table)
        if row not in df.index or column not in df.columns:
            return None
        return _plain(df.at[row, column])

    def to_dict(self) -> dict:
        """The ``govaudit extract --format json`` document."""
        return {
            "meta": _jsonable(self.meta),
            "active": _table_dict(self, "active"),
            "requests": _table_dict(self, "requests"),
            "appeals": _table_dict(self, "appeals"),
            "sections": dict(self.sections),
            "warnings": [_jsonable(w) for w in self.warnings],
        }

    def tidy(self) -> pd.DataFrame:
        """One row per cell: report, agency, year, table, row, column, value, source."""
        records = []
        for table in ("active", "requests", "appeals"):
            df = self.table(table)
            for row in df.index:
                for col in df.columns:
                    if table == "active" and col not in T.active_table(self.template or "2021").columns_of(row):
                        continue
                    records.append({"report": self.id, "agency": self.agency, "year": self.year,
                                    "table": table, "row": row, "column": col,
                                    "value": self.value(table, row, col),
                                    "source": _source_text(self.provenance.get((table, row, col)))})
        return pd.DataFrame.from_records(records, columns=TIDY_COLUMNS)

    def __repr__(self) -> str:
        return (f"<Report {self.agency or '?'} {self.year or '?'} template={self.template} "
                f"warnings={len(self.warnings)} source={self.meta.get('source')}>")


def _plain(v):
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    return v.item() if hasattr(v, "item") else v


def _source_text(p: dict | None) -> str:
    if not p:
        return ""
    parts = []
    if "page" in p:
        parts.append(f"第{p['page']}页")
    if "line" in p and p["line"] is not None:
        parts.append(f"第{p['line']}行")
    if "table" in p:
        parts.append(f"表格{p['table']}")
    if "row" in p and "table" in p:
        parts.append(f"第{p['row'] + 1}行")
    if "col" in p:
        parts.append(f"第{p['col'] + 1}列")
    return " ".join(parts)


def _table_dict(report: Report, table: str) -> dict:
    df = report.table(table)
    out = {}
    for row in df.index:
        cols = df.columns
        if table == "active":
            cols = T.active_table(report.template or "2021").columns_of(row)
        out[row] = {c: report.value(table, row, c) for c in cols}
    return out


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    if hasattr(obj, "item"):
        return obj.item()
    return obj


@dataclass
class Corpus:
    """Many reports plus the files that could not be read (``errors``: path and reason)."""

    reports: list[Report] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    def __iter__(self) -> Iterator[Report]:
        return iter(self.reports)

    def distinct_ids(self) -> None:
        """Two files are two documents, even of the same unit and year (a DOCX and the PDF made from it): the
        second one's id (and its findings' ids) get its file name, and ``meta["same_as"]`` names the first file."""
        first: dict[str, Report] = {}
        for r in self.reports:
            other = first.setdefault(r.id, r)
            if other is not r:
                name = Path(r.meta.get("source", "")).name
                r.meta.update(id=f"{r.id}（{name}）", finding_key=f"{r.agency or r.id}|{name}",
                              same_as=other.meta.get("source", ""))

    def __len__(self) -> int:
        return len(self.reports)

    def __getitem__(self, i) -> Report:
        return self.reports[i]

    @property
    def meta(self) -> pd.DataFrame:
        return pd.DataFrame([r.meta for r in self.reports])

    def tidy(self) -> pd.DataFrame:
        """All cells of all reports, one row per cell."""
        frames = [r.tidy() for r in self.reports]
        if not frames:
            return pd.DataFrame(columns=TIDY_COLUMNS)
        return pd.concat(frames, ignore_index=True)

    def previous_of(self, report: Report) -> Report | None:
        """Last year's report of the same agency in this corpus, if any."""
        if report.year is None:
            return None
        for r in self.reports:
            if r.agency == report.agency and r.year == report.year - 1:
                return r
        return None
