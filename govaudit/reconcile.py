"""Reconcile independent readings of one document, cell by cell.

A value is kept only when every reading that has the cell gives the same number;
when readings disagree the cell is NA and a ``reading-disagree`` warning names the
page and every reading. A reading that lost a cell (tabula drops a row at a page
break) does not contradict the others, so the agreeing readings stand.
"""
from __future__ import annotations

import pandas as pd

from . import template as T
from .report import Report

TABLES = ("active", "requests", "appeals")


def reconcile(primary: str, reports: dict) -> "Report":
    base = reports[primary]
    for table in TABLES:
        original = base.table(table)
        frame = original.astype(object)
        cells = {name: _filled_cells(r.table(table)) for name, r in reports.items()}
        for row in frame.index:
            for col in frame.columns:
                readings = {}
                for name, filled in cells.items():
                    if (row, col) in filled:
                        readings[_engine(reports[name], (table, row, col), name)] = (name, filled[row, col])
                _settle(base, reports, table, row, col, frame, readings, (row, col) in cells[primary])
        setattr(base, table, frame if (original.dtypes == object).all() else _restore_dtype(frame))
    _drop_settled_warnings(base)
    base.meta["readings"] = sorted(reports)
    base.meta["tables_found"] = [t for t in TABLES if any(t in r.meta["tables_found"] for r in reports.values())]
    base._cells = None
    return base


def _filled_cells(frame: pd.DataFrame) -> dict:
    """(row, column) -> value of the cells that are not NA, each value exactly as ``frame.at`` gives it
    (``df.at`` per cell was most of the time of a reconcile)."""
    out = {}
    for col in frame.columns:
        values = frame[col].array
        for i, row in enumerate(frame.index):
            value = values[i]
            if not pd.isna(value):
                out[row, col] = value
    return out


def _engine(report, key, name: str) -> str:
    """The engine a value really came from: a reading may fall back to another's text for a row it lost."""
    return report.provenance.get(key, {}).get("engine", name)


def _settle(base, reports, table, row, col, frame, readings: dict, base_has_value: bool) -> None:
    """``readings`` maps engine -> (report name, value); ``base_has_value``: the primary reading has the cell."""
    key = (table, row, col)
    values = {engine: v for engine, (_, v) in readings.items()}
    if len(set(values.values())) > 1:
        frame.at[row, col] = pd.NA
        page = next((reports[n].provenance.get(key, {}).get("page") for n, _ in readings.values()
                     if reports[n].provenance.get(key, {}).get("page")), None)
        said = "，".join(f"{engine}读作 {_fmt(v)}" for engine, v in sorted(values.items()))
        base.provenance.pop(key, None)
        base.warnings.append({
            "code": "reading-disagree", "table": table, "row": row, "column": col,
            "message": f"{T.TABLE_NAMES[table]}“{T.row_label(table, row)}”行“{T.column_label(table, col)}”列"
                       f"的几种读取结果不一致（{said}），不采用任何一个，请对照原文核实",
            "source": {"page": page} if page else {}})
        return
    if not readings:
        return
    donor, value = next(iter(readings.values()))
    if not base_has_value:
        frame.at[row, col] = value
        base.provenance[key] = dict(reports[donor].provenance.get(key, {}))
    if key in base.provenance:
        base.provenance[key]["readings"] = sorted(values)


def _fmt(v) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def _restore_dtype(frame: pd.DataFrame) -> pd.DataFrame:
    values = [v for v in frame.to_numpy().ravel() if not pd.isna(v)]
    if values and all(float(v).is_integer() for v in values):
        return frame.astype("Int64")
    return frame


def _drop_settled_warnings(base) -> None:
    """A row another reading filled in no longer "could not be read"."""
    def settled(w):
        if w["code"] not in ("row-missing", "no-values", "count-mismatch", "table-missing"):
            return False
        frame = base.table(w["table"]) if w["table"] in TABLES else None
        if frame is None:
            return False
        if w["row"]:
            return w["row"] in frame.index and frame.loc[w["row"]].notna().all()
        return frame.notna().any().any()
    base.warnings = [w for w in base.warnings if not settled(w)]
