"""Small helpers shared by rules. Rules never treat NA as 0: a sum with an NA part is not computed."""
from __future__ import annotations

import re

from .. import template as T

_GRASSROOTS = re.compile(r"(?:乡|镇|街道|街道办事处|办事处)(?:人民政府)?$")


def is_township(agency: str | None) -> bool:
    """A 乡/镇/街道 unit, judged by the end of its name."""
    return bool(agency) and bool(_GRASSROOTS.search(agency))

REQUEST_RESULT_ROWS = tuple(r.key for r in T.ALL_REQUEST_ROWS
                            if r.key not in ("new_received", "carried_over", "total_processed", "carried_forward"))
APPLICANT_COLUMNS = ("natural_person", "commercial", "research", "social_org", "legal_service", "other_org")


def total(values):
    """Sum, or None when any part is NA."""
    values = list(values)
    if any(v is None for v in values):
        return None
    return sum(values)


def fmt(v) -> str:
    if v is None:
        return "空"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def col(table: str, column: str) -> str:
    return T.column_label(table, column)


def row(table: str, key: str) -> str:
    return T.row_label(table, key)
