"""The supervisor's dashboard: read-only, from the review database alone.

It opens the database read-only (SQLite ``mode=ro``; for PostgreSQL a read-only
session, and a SELECT-only role is recommended), creates no widget that writes, and
offers the problem list (Excel) and the 通报 draft (Word) as downloads, each built when its button is
clicked (building the draft on every page open cost a second on 1,000 reports). A preheated kernel
draws the charts before the page is asked for; the page redraws only those whose numbers changed.
问题 is a problem as the workbench lists it (one cause, its findings grouped), counted the same way there.
"""
from __future__ import annotations

import base64
import io
import logging
import os
from datetime import date, datetime

import ipywidgets as W
import pandas as pd

from .. import store as store_mod
from ..bulletin import draft
from ..charts import hbar_png
from ..errors import GovauditError
from ..export import findings_xlsx, one_per_problem
from ..rules._util import unit_key
from ..rules.registry import CATEGORY_NAMES
from .render import SEVERITY_COLORS, SEVERITY_LEGEND, STYLE, esc, severity_name

log = logging.getLogger("govaudit")


def build(db_url: str | None = None) -> W.Widget:
    preheating = os.environ.get("VOILA_PREHEAT") == "True"
    if preheating:
        _draw_ahead(db_url)             # before the request: the page then redraws only charts whose numbers changed
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
            checked = db.checked_reports()
        return _page(problems_of(rows), rows, db_url, checked)
    except Exception as e:  # never a traceback to a supervisor; the log has it
        log.exception("dashboard failed")
        return W.HTML(f"{STYLE}<div class='ga-card ga-error'>看板出错（{esc(type(e).__name__)}），"
                      "请联系管理员查看服务日志</div>")


def _draw_ahead(db_url: str | None) -> None:
    """The page as the database is now, drawn and dropped: its charts stay in ``_drawn`` for the request."""
    try:
        with store_mod.open(db_url, readonly=True) as db:
            rows = db.worklist()
            if not rows.empty:
                _page(problems_of(rows), rows, db_url, db.checked_reports())
    except Exception:                   # the request builds the page anew and says what is wrong
        log.warning("drawing the dashboard ahead of the request failed", exc_info=True)


_drawn: dict = {}       # chart (title, numbers, colours, options) -> PNG: same numbers, same picture


def _hbar(counts: pd.DataFrame | pd.Series, title: str, colors: dict | None = None, **options) -> bytes | None:
    """:func:`hbar_png`, drawn once per set of numbers (a chart costs ~0.25 s; the key is all it is drawn from)."""
    key = (title, type(counts).__name__, counts.to_json(orient="split"), tuple(sorted((colors or {}).items())),
           tuple(sorted(options.items())))
    if key not in _drawn:
        if len(_drawn) > 64:
            _drawn.clear()
        _drawn[key] = hbar_png(counts, title, colors, **options)
    return _drawn[key]


def problems_of(findings: pd.DataFrame) -> pd.DataFrame:
    """One row per problem, as the workbench lists them (reading problems are listed per report, not counted):
    on both pages 问题 is a problem, which may group several findings (发现)."""
    return one_per_problem(findings[findings["category"].ne("parse")])


def _page(rows: pd.DataFrame, findings: pd.DataFrame, db_url: str | None,
          checked: pd.DataFrame | None = None) -> W.Widget:
    """``rows``: one per problem (counts, charts, ranking); ``findings``: every finding (the Excel list)."""
    current = rows[rows.state == "现存"]
    return W.VBox([
        W.HTML(STYLE + "<h2>政府信息公开工作年度报告 · 审核汇总看板（只读）</h2>" + _headline(rows, checked)
               + SEVERITY_LEGEND),
        W.HBox([_chart_by_unit(current), _chart_by_category(current)], layout=W.Layout(flex_flow="row wrap")),
        W.HBox([_chart_review(rows), _chart_rectification(rows)], layout=W.Layout(flex_flow="row wrap")),
        W.HTML("<h3>各单位待整改问题排名</h3>" + _ranking(rows)),
        _downloads(findings, db_url),
    ])


def units_of(frame: pd.DataFrame) -> pd.Series:
    """The unit of each row: its agency without the higher levels printed before it, else its report."""
    if frame.empty:
        return pd.Series(dtype=object, index=frame.index)
    agency = frame["agency"].where(frame["agency"].notna(), "").astype(str).map(unit_key)
    return agency.where(agency != "", frame["report"].astype(str))


def _headline(rows: pd.DataFrame, checked: pd.DataFrame | None = None) -> str:
    current = rows[rows.state == "现存"]
    confirmed = rows[rows.status == "已确认"]
    read = checked if checked is not None and len(checked) else rows
    return (f"<p>单位 <b>{units_of(read).nunique()}</b> 个（报告 {read.report.nunique()} 份）；"
            f"现存问题 <b>{len(current)}</b> 条"
            f"（错误 {int((current.severity == 'error').sum())}）；已确认 <b>{len(confirmed)}</b> 条，"
            f"已排除 {int((rows.status == '已排除').sum())} 条，待核实 {int((rows.status == '待核实').sum())} 条；"
            f"已整改 <b>{int((confirmed.rectification == '已整改').sum())}</b> 条；"
            f"报告已更正 {int((rows.state == store_mod.CORRECTED).sum())} 条。</p>")


def _chart(png: bytes | None, title: str) -> W.Widget:
    if png is None:
        return W.HTML(f"<div class='ga-card ga-warning'>{esc(title)}：服务器未安装中文字体，无法绘制图表</div>")
    data = base64.b64encode(png).decode("ascii")
    return W.HTML(f"<img class='ga-chart' alt='{esc(title)}' src='data:image/png;base64,{data}' "
                  "style='max-width:100%'>")


def _chart_by_unit(rows: pd.DataFrame) -> W.Widget:
    title = "各单位问题数"
    if rows.empty:
        return W.HTML(f"<p>{title}：暂无现存问题</p>")
    pivot = (rows.assign(unit=units_of(rows)).groupby(["unit", "severity"]).size().unstack(fill_value=0)
             .reindex(columns=[s for s in SEVERITY_COLORS if s in set(rows.severity)]))
    colors = {severity_name(s): c for s, c in SEVERITY_COLORS.items()}
    return _chart(_hbar(pivot.rename(columns=severity_name), title, colors, rest="其他{n}个单位"), title)


def _chart_by_category(rows: pd.DataFrame) -> W.Widget:
    title = "问题类别"
    if rows.empty:
        return W.HTML(f"<p>{title}：暂无现存问题</p>")
    counts = rows.category.map(lambda c: CATEGORY_NAMES.get(c, c)).value_counts()
    return _chart(_hbar(counts, title, rest="其他{n}类"), title)


def _chart_review(rows: pd.DataFrame) -> W.Widget:
    counts = rows.status.value_counts().reindex(store_mod.STATUSES, fill_value=0)
    return _chart(_fixed_order_png(counts, "审核进度", ["#94a3b8", "#2563eb", "#16a34a"]), "审核进度")


def _chart_rectification(rows: pd.DataFrame) -> W.Widget:
    confirmed = rows[rows.status == "已确认"]
    counts = confirmed.rectification.value_counts().reindex(store_mod.RECTIFICATIONS, fill_value=0)
    return _chart(_fixed_order_png(counts, "已确认问题的整改进度", ["#dc2626", "#d97706", "#16a34a"]),
                  "已确认问题的整改进度")


def _fixed_order_png(counts: pd.Series, title: str, colors: list[str]) -> bytes | None:
    """Stages in their own order (not by size), each in its colour."""
    return _hbar(counts, title, dict(zip(counts.index, colors)), top=len(counts), sort=False)


def _ranking(rows: pd.DataFrame) -> str:
    confirmed = rows[(rows.status == "已确认")]
    open_ = confirmed[confirmed.rectification != "已整改"]
    units = rows.assign(unit=units_of(rows)).groupby("unit").agg(total=("id", "size"))
    units["confirmed"] = confirmed.assign(unit=units_of(confirmed)).groupby("unit").size()
    units["open"] = open_.assign(unit=units_of(open_)).groupby("unit").size()
    overdue = open_[open_.due_date.map(lambda d: isinstance(d, date) and d < date.today()).astype(bool)]
    units["overdue"] = overdue.assign(unit=units_of(overdue)).groupby("unit").size()
    units = units.fillna(0).astype(int).sort_values(["open", "confirmed", "total"], ascending=False)
    body = "".join(f"<tr><th>{esc(u)}</th><td>{r.open}</td><td>{r.overdue}</td><td>{r.confirmed}</td>"
                   f"<td>{r.total}</td></tr>" for u, r in units.iterrows())
    return ("<table class='ga-table' id='ga-ranking'><tr><th>单位</th><th>待整改（已确认）</th><th>逾期</th>"
            f"<th>已确认</th><th>全部问题</th></tr>{body}</table>")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _downloads(rows: pd.DataFrame, db_url: str | None) -> W.Widget:
    """Buttons that build the Excel list or the 通报 draft when asked (not on every page open), then offer it."""
    def excel() -> bytes:
        return findings_xlsx(rows)                  # the rows the page shows

    def bulletin() -> bytes:
        word = io.BytesIO()
        with store_mod.open(db_url, readonly=True) as db:      # the store as it is now
            draft(db, word)
        return word.getvalue()

    return W.VBox([_on_demand("生成问题清单（Excel）", "下载问题清单（Excel）", "问题清单", "xlsx", XLSX, excel),
                   _on_demand("生成通报草稿（Word）", "下载通报草稿（Word）", "通报", "docx", DOCX, bulletin)])


def _on_demand(button_text: str, link_text: str, stem: str, suffix: str, mime: str, make) -> W.Widget:
    button = W.Button(description=button_text, icon="file", layout=W.Layout(width="220px"))
    link = W.HTML()

    def clicked(_) -> None:
        button.disabled = True
        link.value = "<span class='ga-muted'>正在生成…</span>"
        try:
            link.value = _link(f"{stem}-{date.today():%Y%m%d}.{suffix}", mime, make(), link_text)
        except Exception as e:      # the log has it; the supervisor gets words, never a traceback
            log.exception("building %s failed", stem)
            link.value = (f"<span class='ga-error' style='color:#dc2626'>生成失败（{esc(type(e).__name__)}），"
                          "请重试或联系管理员</span>")
        finally:
            button.disabled = False

    button.on_click(clicked)
    return W.HBox([button, link], layout=W.Layout(align_items="center"))


def _link(name: str, mime: str, data: bytes, label: str) -> str:
    return (f"<a download='{esc(name)}' href='data:{mime};base64,{base64.b64encode(data).decode('ascii')}' "
            f"class='jupyter-button mod-primary' style='padding:6px 14px;text-decoration:none'>{esc(label)}</a>"
            f"<span class='ga-muted'>（{datetime.now():%H:%M} 生成）</span>")
