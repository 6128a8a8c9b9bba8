"""HTML fragments for the pages. Every piece of report or user text goes through ``esc``."""
from __future__ import annotations

import html

from .. import template as T
from ..export import location
from ..rules import registry  # importing the package registers every rule
from ..rules.registry import SEVERITY_NAMES

# one severity palette for the workbench cards and the dashboard charts (错误 is red everywhere)
SEVERITY_COLORS = {"error": "#dc2626", "warning": "#d97706", "info": "#64748b"}
SEVERITY_CSS = "".join(f".ga-{s}{{border-color:{c}}}" for s, c in SEVERITY_COLORS.items())

STYLE = """<style>
.ga-table{border-collapse:collapse;font-size:13px;margin:4px 0}
.ga-table td,.ga-table th{border:1px solid #ccc;padding:2px 6px;text-align:right}
.ga-table th{background:#f3f6fa;text-align:left;font-weight:normal}
.ga-table td.ga-hit,.ga-table th.ga-hit,.ga-table tr.ga-hit th{background:#ffe08a;font-weight:bold;outline:2px solid #d97706}
.ga-card{border-left:4px solid #2563eb;padding:4px 10px;background:#f8fafc;margin:4px 0}
""" + SEVERITY_CSS + """
.ga-quote{white-space:pre-wrap;background:#fff;border:1px dashed #cbd5e1;padding:6px;max-height:220px;overflow:auto}
.ga-muted{color:#64748b;font-size:12px}
table.dataTable thead th{white-space:nowrap}
</style>"""


def esc(value) -> str:
    return html.escape("" if value is None else str(value))


def severity_name(severity: str) -> str:
    return SEVERITY_NAMES.get(severity, severity)


def table_html(report, table: str, row: str = "", column: str = "") -> str:
    """One of 表二/三/四 with official labels; NA shows as 空 (never 0).

    The finding's cell is highlighted, or its whole row or column when it names only one.
    """
    frame = report.table(table)
    head = "".join(f"<th class='ga-hit'>{esc(T.column_label(table, c))}</th>" if c == column and not row
                   else f"<th>{esc(T.column_label(table, c))}</th>" for c in frame.columns)
    body = []
    group = ""
    for key in frame.index:
        heading = _group_heading(table, key, group)
        if heading:
            group = heading
            body.append(f"<tr class='ga-group'><th colspan='{len(frame.columns) + 1}'>{esc(heading)}</th></tr>")
        cells = []
        for c in frame.columns:
            v = report.value(table, key, c)
            if table == "active" and c not in T.active_table(report.template or "2021").columns_of(key):
                cells.append("<td></td>")
                continue
            text = "空" if v is None else (str(int(v)) if float(v).is_integer() else str(v))
            hit = (key == row and (c == column or not column)) or (not row and c == column)
            cells.append(f"<td class='ga-hit'>{esc(text)}</td>" if hit else f"<td>{esc(text)}</td>")
        cls = " class='ga-hit'" if key == row and not column else ""
        body.append(f"<tr{cls}><th>{esc(T.row_label(table, key))}</th>{''.join(cells)}</tr>")
    return (f"<table class='ga-table'><tr><th>{esc(T.TABLE_NAMES[table])}</th>{head}</tr>"
            f"{''.join(body)}</table>")


_REQUEST_GROUPS = {r.key: r.group for r in T.ALL_REQUEST_ROWS}


def _group_heading(table: str, key: str, current: str) -> str:
    """The 表三 block heading (（三）不予公开 …) to print before ``key``, when it starts a new block."""
    if table != "requests":
        return ""
    group = _REQUEST_GROUPS.get(key, "")
    if key == "granted":
        group = T.REQUEST_RESULTS_HEADING
    return group if group and group != current else ""


SEVERITY_LEGEND = ("<div class='ga-muted'>级别：<b>错误</b>＝报告与自身、模板或条例明确矛盾，可以确定；"
                   "<b>警告</b>＝可能有误，需要人工判断；<b>提示</b>＝供参考。同一处错误引起的几条检查结果合并为一个问题，"
                   "审核一次即对其全部表现生效；无法读取的内容按报告单独列出，不计入问题。</div>")


def finding_html(f: dict) -> str:
    """The card for one finding: what, where, expected/actual, the rule and its basis, the evidence."""
    rule = _rule(f.get("rule", ""))
    parts = [f"<div class='ga-card ga-{esc(f.get('severity'))}'>",
             f"<b>[{esc(severity_name(f.get('severity', '')))}] {esc(f.get('message'))}</b>",
             f"<div>位置：{esc(location(f))}　规则：{esc(f.get('rule'))}"
             + (f" {esc(rule.title)}" if rule else "") + "</div>"]
    if _present(f.get("expected")) or _present(f.get("actual")):
        parts.append(f"<div>应为：<b>{esc(_show(f.get('expected')))}</b>　实为：<b>{esc(_show(f.get('actual')))}</b></div>")
    if f.get("evidence"):
        parts.append(f"<div>依据：{esc(f.get('evidence'))}</div>")
    if rule:
        parts.append(f"<div class='ga-muted'>依据规定：{esc(rule.basis)}</div>")
    if f.get("state") == "已更正":
        parts.append("<div class='ga-muted'>最新一次检查已不再报告此问题（报告已更正）</div>")
    parts.append("</div>")
    return "".join(parts)


def section_html(report, section: str) -> str:
    text = report.sections.get(section, "")
    return (f"<div><b>{esc(T.SECTION_HEADINGS.get(section, section))}</b></div>"
            f"<div class='ga-quote'>{esc(text) if text else '（报告中没有这一部分）'}</div>")


def _rule(rule_id: str):
    try:
        return registry.get(rule_id)
    except KeyError:
        return None


def _present(v) -> bool:
    return v is not None and v == v and v != ""


def _show(v) -> str:
    return str(v) if _present(v) else "—"
