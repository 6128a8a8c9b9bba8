"""The supervisor's dashboard: read-only, from the review database alone.

It opens the database read-only (SQLite ``mode=ro``; for PostgreSQL a read-only
session, and a SELECT-only role is recommended), creates no widget that writes, and
offers the problem list (Excel) and the 通报 draft (Word) as downloads.
"""
from __future__ import annotations

import base64
import io
import logging
from datetime import date

import ipywidgets as W
import pandas as pd

from .. import store as store_mod
from ..bulletin import draft
from ..errors import GovauditError
from ..export import findings_xlsx
from ..rules.registry import CATEGORY_NAMES
from .render import SEVERITY_LEGEND, STYLE, esc, severity_name

log = logging.getLogger("govaudit")


def build(db_url: str | None = None) -> W.Widget:
    try:
        from voila.utils import wait_for_request
        wait_for_request()              # a preheated kernel reads the database when the page is asked for
    except Exception:
        pass
    try:
        db = store_mod.open(db_url, readonly=True)
    except GovauditError as e:
        return W.HTML(f"{STYLE}<div class='ga-card ga-error'>无法打开审核数据库：{esc(e)}</div>")
    try:
        with db:
            rows = db.worklist()
            if rows.empty:
                return W.HTML(f"{STYLE}<h2>审核汇总看板</h2><p>数据库中还没有检查结果。</p>")
            word = io.BytesIO()
            draft(db, word)
        return _page(rows, word.getvalue())
    except Exception as e:  # never a traceback to a supervisor; the log has it
        log.exception("dashboard failed")
        return W.HTML(f"{STYLE}<div class='ga-card ga-error'>看板出错（{esc(type(e).__name__)}），"
                      "请联系管理员查看服务日志</div>")


def _page(rows: pd.DataFrame, bulletin: bytes) -> W.Widget:
    current = rows[rows.state == "现存"]
    return W.VBox([
        W.HTML(STYLE + "<h2>政府信息公开工作年度报告 · 审核汇总看板（只读）</h2>" + _headline(rows) + SEVERITY_LEGEND),
        W.HBox([_chart_by_unit(current), _chart_by_category(current)]),
        W.HBox([_chart_review(rows), _chart_rectification(rows)]),
        W.HTML("<h3>各单位待整改问题排名</h3>" + _ranking(rows)),
        W.HTML(_download(rows, bulletin)),
    ])


def _headline(rows: pd.DataFrame) -> str:
    current = rows[rows.state == "现存"]
    confirmed = rows[rows.status == "已确认"]
    return (f"<p>单位 <b>{rows.report.nunique()}</b> 个；现存问题 <b>{len(current)}</b> 条"
            f"（错误 {int((current.severity == 'error').sum())}）；已确认 <b>{len(confirmed)}</b> 条，"
            f"已排除 {int((rows.status == '已排除').sum())} 条，待核实 {int((rows.status == '待核实').sum())} 条；"
            f"已整改 <b>{int((confirmed.rectification == '已整改').sum())}</b> 条；"
            f"报告已更正 {int((rows.state == store_mod.CORRECTED).sum())} 条。</p>")


def _figure(fig, title: str) -> W.Widget:
    import plotly.graph_objects as go
    fig.update_layout(title=title, height=320, width=560, margin=dict(l=40, r=20, t=50, b=40),
                      font=dict(family="Noto Sans CJK SC, Microsoft YaHei, sans-serif"))
    return go.FigureWidget(fig)


def _chart_by_unit(rows: pd.DataFrame) -> W.Widget:
    import plotly.graph_objects as go
    counts = rows.assign(unit=rows.agency.fillna(rows.report), sev=rows.severity.map(severity_name))
    pivot = counts.groupby(["unit", "sev"]).size().unstack(fill_value=0)
    fig = go.Figure([go.Bar(name=s, x=list(pivot.index), y=list(pivot[s])) for s in pivot.columns])
    fig.update_layout(barmode="stack")
    return _figure(fig, "各单位问题数")


def _chart_by_category(rows: pd.DataFrame) -> W.Widget:
    import plotly.graph_objects as go
    counts = rows.category.map(lambda c: CATEGORY_NAMES.get(c, c)).value_counts()
    return _figure(go.Figure([go.Pie(labels=list(counts.index), values=list(counts.values), hole=0.4)]),
                   "问题类别")


def _chart_review(rows: pd.DataFrame) -> W.Widget:
    import plotly.graph_objects as go
    counts = rows.status.value_counts().reindex(store_mod.STATUSES, fill_value=0)
    return _figure(go.Figure([go.Bar(x=list(counts.index), y=list(counts.values),
                                     marker_color=["#94a3b8", "#dc2626", "#16a34a"])]), "审核进度")


def _chart_rectification(rows: pd.DataFrame) -> W.Widget:
    import plotly.graph_objects as go
    confirmed = rows[rows.status == "已确认"]
    counts = confirmed.rectification.value_counts().reindex(store_mod.RECTIFICATIONS, fill_value=0)
    return _figure(go.Figure([go.Bar(x=list(counts.index), y=list(counts.values),
                                     marker_color=["#dc2626", "#d97706", "#16a34a"])]), "已确认问题的整改进度")


def _ranking(rows: pd.DataFrame) -> str:
    confirmed = rows[(rows.status == "已确认")]
    open_ = confirmed[confirmed.rectification != "已整改"]
    units = rows.assign(unit=rows.agency.fillna(rows.report)).groupby("unit").agg(
        total=("id", "size"))
    units["confirmed"] = confirmed.assign(unit=confirmed.agency.fillna(confirmed.report)).groupby("unit").size()
    units["open"] = open_.assign(unit=open_.agency.fillna(open_.report)).groupby("unit").size()
    overdue = open_[open_.due_date.map(lambda d: isinstance(d, date) and d < date.today()).astype(bool)]   # empty: still a mask
    units["overdue"] = overdue.assign(unit=overdue.agency.fillna(overdue.report)).groupby("unit").size()
    units = units.fillna(0).astype(int).sort_values(["open", "confirmed", "total"], ascending=False)
    body = "".join(f"<tr><th>{esc(u)}</th><td>{r.open}</td><td>{r.overdue}</td><td>{r.confirmed}</td>"
                   f"<td>{r.total}</td></tr>" for u, r in units.iterrows())
    return ("<table class='ga-table' id='ga-ranking'><tr><th>单位</th><th>待整改（已确认）</th><th>逾期</th>"
            f"<th>已确认</th><th>全部问题</th></tr>{body}</table>")


def _download(rows: pd.DataFrame, bulletin: bytes) -> str:
    today = f"{date.today():%Y%m%d}"
    links = ((f"问题清单-{today}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
              findings_xlsx(rows), "下载问题清单（Excel）"),
             (f"通报-{today}.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
              bulletin, "下载通报草稿（Word）"))
    return " ".join(
        f"<a download='{esc(name)}' href='data:{mime};base64,{base64.b64encode(data).decode('ascii')}' "
        f"class='jupyter-button mod-primary' style='padding:6px 14px;text-decoration:none'>{label}</a>"
        for name, mime, data, label in links)
