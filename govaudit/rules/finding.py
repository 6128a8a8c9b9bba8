"""Findings: what a rule found, pinned to a table/row/column or a section, with a stable id."""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, replace

import pandas as pd

from .. import template as T

FINDING_COLUMNS = ["id", "report", "agency", "year", "rule", "category", "severity", "table", "row",
                   "column", "section", "expected", "actual", "message", "evidence", "source", "problem"]


@dataclass(frozen=True, kw_only=True)
class Finding:
    id: str
    report: str
    agency: str
    year: int | None
    rule: str
    category: str
    severity: str
    message: str
    table: str = ""
    row: str = ""
    column: str = ""
    section: str = ""
    expected: object = None
    actual: object = None
    evidence: str = ""
    source: str = ""
    problem: str = ""      # the problem this finding is a symptom of (see group_problems)

    def to_dict(self) -> dict:
        return asdict(self)


def finding_id(agency: str, year, rule: str, *where: str) -> str:
    """Stable across re-runs and corrected re-publications: never from the file's bytes."""
    key = "|".join([agency or "", str(year or ""), rule, *where])
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


@dataclass
class Context:
    """What a rule sees: the report, and for other scopes last year's report or the corpus."""
    report: object
    previous: object = None
    corpus: list = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    shared: dict = field(default_factory=dict)     # built once per check() run (e.g. the copy index)
    memo: dict = field(default_factory=dict)       # built once per report (e.g. its normalised narrative)

    def find(self, rule_id: str, message: str, *, table="", row="", column="", section="", expected=None,
             actual=None, evidence="", severity=None, where: str = "") -> Finding:
        from .registry import get
        r = self.report
        rule = get(rule_id)
        return Finding(
            id=finding_id(r.meta.get("finding_key") or r.agency or r.meta.get("id", ""), r.year, rule_id, table, row,
                          column, section, where),
            report=r.meta.get("id", ""), agency=r.agency, year=r.year, rule=rule_id, category=rule.category,
            severity=severity or rule.severity, message=message, table=table, row=row, column=column,
            section=section, expected=expected, actual=actual,
            evidence=evidence or self.cell_evidence(table, row, column), source=r.meta.get("source", ""))

    def cell_evidence(self, table: str, row: str, column: str) -> str:
        if not (table and row):
            return ""
        p = self.report.provenance.get((table, row, column)) if column else None
        where = [T.TABLE_NAMES.get(table, table), f"“{T.row_label(table, row)}”"]
        if column:
            where.append(f"“{T.column_label(table, column)}”列")
        if p:
            loc = p.get("page") and f"第{p['page']}页" or p.get("line") and f"第{p['line']}行" or ""
            where.append(f"（{loc}，原文“{p.get('raw', '')}”）" if loc else f"（原文“{p.get('raw', '')}”）")
        return "".join(where)


def group_problems(findings: list[Finding]) -> list[Finding]:
    """One problem per likely culprit: the findings of one report pinned to the same table row share it
    (a wrong （七）总计 breaks 收办平衡 and 明细合计 in several columns: one problem, several symptoms).
    Reading problems and findings about a section or the whole report stand alone. The problem id is stable
    like a finding id (agency, year, table, row)."""
    out = []
    for f in findings:
        if f.table and f.row and f.category != "parse":
            problem = finding_id(f.agency or f.report, f.year, "PROBLEM", f.table, f.row)
        else:
            problem = f.id
        out.append(replace(f, problem=problem))
    return out


def to_frame(findings) -> pd.DataFrame:
    if not findings:
        return pd.DataFrame(columns=FINDING_COLUMNS, dtype=object)
    rows = [f.to_dict() for f in findings]
    # expected/actual hold numbers or text as found: object columns, so that 9 stays 9 (not 9.0) beside a None
    return pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype=object) if c in ("expected", "actual")
                         else [r[c] for r in rows] for c in FINDING_COLUMNS})
