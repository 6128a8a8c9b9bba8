"""The Excel problem list a supervisor sends on.

One sheet of findings (with review status and notes when a database is used), one
summary by unit and rule; Chinese headers, frozen header row, filters, widths that
fit CJK text, and text that is never turned into a formula.
"""
from __future__ import annotations

import io
import unicodedata
from pathlib import Path

import pandas as pd

from . import template as T
from .rules.registry import CATEGORY_NAMES, SEVERITY_NAMES, all_rules


# column -> Chinese header, in sheet order; review columns are used when present
_COLUMNS = {
    "agency": "单位", "year": "年度", "severity": "级别", "rule": "规则", "category": "类别",
    "location": "位置", "message": "问题说明", "expected": "应为", "actual": "实为", "evidence": "依据/原文",
    "status": "审核状态", "note": "审核意见", "rectification": "整改情况", "due_date": "整改期限",
    "state": "当前状态", "source": "报告文件", "rule_title": "规则名称", "problem": "问题组", "id": "问题编号",
}
_MAX_WIDTH = 60


def location(rec) -> str:
    """表三“（七）总计”行“总计”列, or the section's name."""
    table, row, column, section = (rec.get(k) or "" for k in ("table", "row", "column", "section"))
    if table:
        text = T.TABLE_NAMES.get(table, table)
        if row:
            text += f"“{T.row_label(table, row)}”行"
        if column:
            text += f"“{T.column_label(table, column)}”列"
        return text
    return T.SECTION_HEADINGS.get(section, section)


def problem_list(findings: pd.DataFrame) -> pd.DataFrame:
    """Findings (optionally joined to reviews) as the sheet's rows, with Chinese headers."""
    frame = findings.copy()
    frame["location"] = [location(r) for r in frame.to_dict("records")]
    frame["severity"] = frame["severity"].map(lambda s: SEVERITY_NAMES.get(s, s))
    frame["category"] = frame["category"].map(lambda c: CATEGORY_NAMES.get(c, c))
    titles = {r.id: r.title for r in all_rules()}
    frame["rule_title"] = frame["rule"].map(lambda r: titles.get(r, ""))
    if "problem" in frame:       # the symptoms of one problem side by side, under a short problem number
        frame["problem"] = problem_of(frame).str[:8]
        first = {p: i for i, p in reversed(list(enumerate(frame["problem"])))}
        frame = frame.assign(_first=frame["problem"].map(first)).sort_values("_first", kind="stable")
    cols = [c for c in _COLUMNS if c in frame.columns]
    out = frame[cols].rename(columns=_COLUMNS)
    return out.astype(object).where(out.notna(), "")


def problem_of(findings: pd.DataFrame) -> pd.Series:
    """Each finding's problem id; a finding without one (a hand-added flag, an old run) is its own problem."""
    if "problem" not in findings:
        return findings["id"]
    return findings["problem"].where(findings["problem"].notna() & findings["problem"].ne(""), findings["id"])


def one_per_problem(findings: pd.DataFrame) -> pd.DataFrame:
    """One row per problem (its most severe finding first), with ``symptoms``: how many findings it groups."""
    if findings.empty:
        return findings.assign(symptoms=pd.Series(dtype=int))
    problem = problem_of(findings)
    rank = findings["severity"].map({s: i for i, s in enumerate(SEVERITY_NAMES)}).fillna(len(SEVERITY_NAMES))
    ordered = findings.assign(problem=problem, _rank=rank, _pos=range(len(findings))).sort_values("_rank", kind="stable")
    first = ordered.drop_duplicates("problem").sort_values("_pos")        # in the order given
    return first.drop(columns=["_rank", "_pos"]).assign(symptoms=first["problem"].map(problem.value_counts()).astype(int))


def summary(findings: pd.DataFrame) -> pd.DataFrame:
    """Counts by unit and rule, with errors and confirmed problems."""
    if findings.empty:
        return pd.DataFrame(columns=["单位", "年度", "规则", "问题数", "其中错误", "已确认"])
    f = findings.assign(error=findings["severity"].eq("error"),
                        confirmed=findings["status"].eq("已确认") if "status" in findings else False)
    g = f.groupby(["agency", "year", "rule"], dropna=False).agg(n=("id", "size"), errors=("error", "sum"),
                                                                 confirmed=("confirmed", "sum")).reset_index()
    g.columns = ["单位", "年度", "规则", "问题数", "其中错误", "已确认"]
    return g.sort_values(["单位", "年度", "规则"], kind="stable")


def findings_xlsx(findings: pd.DataFrame, out: str | Path | io.BytesIO | None = None) -> bytes | None:
    """Write the problem list; returns the bytes when ``out`` is None."""
    target = io.BytesIO() if out is None else out
    with pd.ExcelWriter(target, engine="xlsxwriter",
                        engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False}}) as xw:
        for name, frame in (("问题清单", problem_list(findings)), ("按单位汇总", summary(findings))):
            frame.to_excel(xw, sheet_name=name, index=False)
            _format(xw, name, frame)
    return target.getvalue() if out is None else None


def _format(xw, name: str, frame: pd.DataFrame) -> None:
    book, sheet = xw.book, xw.sheets[name]
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "font_name": "等线"})
    body = book.add_format({"font_name": "等线", "text_wrap": True, "valign": "top"})
    for c, title in enumerate(frame.columns):
        sheet.write(0, c, title, header)
        width = max([_display_width(title)] + [_display_width(v) for v in frame.iloc[:, c].head(500)])
        sheet.set_column(c, c, min(width + 2, _MAX_WIDTH), body)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(frame), 1), max(len(frame.columns) - 1, 0))


def _display_width(value) -> int:
    """Excel width units: a CJK character is two (xlsxwriter's autofit counts it as one)."""
    text = "" if value is None else str(value)
    longest = max(text.split("\n"), key=len) if text else ""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in longest)
