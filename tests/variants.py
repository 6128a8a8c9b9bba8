"""What a transformed report is compared on with its original: every table cell, and its error findings."""
from __future__ import annotations

import pandas as pd

import govaudit

TABLES = ("active", "requests", "appeals")


def cells(report) -> dict:
    """{(table, row, column): value or None} for every cell of 表二, 表三 and 表四."""
    return {(t, row, col): (None if pd.isna(v) else float(v))
            for t in TABLES for row, values in report.table(t).iterrows() for col, v in values.items()}


def errors(report) -> set:
    """(rule, table, row, column) of each error-severity finding."""
    f = govaudit.check(report)
    return {(e.rule, e.table, e.row, e.column) for e in f[f.severity == "error"].itertuples()}
