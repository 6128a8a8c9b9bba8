"""The inspector's workbench: findings to go through, each shown at its source, reviewed into the store.

``build()`` returns the page as one widget; the notebook only calls it. The page holds no
SQL: reviews and flags go through :mod:`govaudit.store`. It reads the folder's findings from the
store (the latest run that listed it) and loads a report only when one of its findings is opened;
new or changed files are checked beside the page (:mod:`govaudit.ui.background`), which refreshes
its worklist when that is done.
"""
from __future__ import annotations

import base64
import logging
import os
from pathlib import Path
from urllib.parse import parse_qs

import ipywidgets as W
import pandas as pd

from .. import cache
from .. import store as store_mod
from .. import template as T
from ..api import load
from ..checks import SEVERITY_ORDER
from ..errors import GovauditError, ReadError, StoreConflict
from ..export import location, one_per_problem, problem_of
from .keys import KeyShortcuts
from ..folder import differences, listing
from .background import FolderCheck
from .render import SEVERITY_LEGEND, STYLE, esc, finding_html, section_html, severity_name, table_html
from .sources import cited_text, pdf_region, quote_html

log = logging.getLogger("govaudit")
ALL = "（全部）"
FIELD_NAMES = {"status": "审核状态", "note": "审核意见", "rectification": "整改情况", "due_date": "整改期限"}
SEARCHED = ["agency", "year", "severity_name", "rule", "where", "message", "evidence", "status",
            "rectification", "state"]
# one line per row: fixed widths, long text cut with "…" (the detail pane shows all of it); 问题 takes the rest
GRID_WIDTHS = ["13%", "6%", "5%", "13%", "11%", None, "5%", "7%", "7%", "6%"]
GRID_COLUMNS = {"agency": "单位", "year": "年度", "severity_name": "级别", "rule": "规则", "where": "位置",
                "message": "问题", "symptoms": "表现", "status": "审核", "rectification": "整改", "state": "状态"}

# The page fills the window: top bar, then list | detail, each pane scrolling by itself (issue 15).
LAYOUT_STYLE = """<style>
.ga-workbench{height:calc(100vh - 24px);flex-wrap:nowrap}
.ga-workbench>*{flex:0 0 auto}
.ga-workbench>.ga-split{flex:1 1 auto;min-height:0;flex-wrap:nowrap;align-items:stretch}
.ga-title{margin:0;font-size:18px}
.ga-pane{overflow:auto;min-height:0;height:100%;padding-right:6px;box-sizing:border-box}
.ga-pane>*{flex-shrink:0}
.ga-list-pane{flex:0 0 60%}
.ga-detail-pane{flex:1 1 40%;border-left:1px solid #e2e8f0;padding-left:8px}
.ga-detail{max-height:45vh;overflow:auto}
.ga-worklist td{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.ga-worklist .dt-search{display:none}
.ga-worklist:focus{outline:2px solid #2563eb;outline-offset:1px}
.ga-keys{color:#64748b;font-size:12px;margin:2px 0}
""" + "".join(f".ga-worklist th:nth-child({i + 1}){{width:{w}}}\n" for i, w in enumerate(GRID_WIDTHS) if w) + "</style>"


def data_dir_from_env() -> Path:
    return Path(os.environ.get("GOVAUDIT_DATA") or "data/samples")


def build(data_dir: str | Path | None = None, db_url: str | None = None) -> W.Widget:
    """The workbench page. Errors (unreadable folder, database) are shown in Chinese, never as a traceback."""
    try:
        return Workbench(Path(data_dir) if data_dir else data_dir_from_env(), db_url).page
    except GovauditError as e:
        return W.HTML(f"{STYLE}<div class='ga-card ga-error'>无法打开工作台：{esc(e)}</div>")
    except Exception as e:  # a bug must not show a traceback to an inspector; the log has it
        log.exception("workbench failed")
        return W.HTML(f"{STYLE}<div class='ga-card ga-error'>工作台出错（{esc(type(e).__name__)}），"
                      "请联系管理员查看服务日志</div>")


class Workbench:
    def __init__(self, data_dir: Path, db_url: str | None):
        self.data_dir = Path(os.path.abspath(data_dir))
        self.db = store_mod.open(db_url)
        self.files = pd.DataFrame(columns=[*store_mod.FILE_COLUMNS, "agency", "year"])   # as the latest run read them
        self.report_ids: list[str] = []       # the folder's reports in that run
        self.reports: dict = {}               # report id -> Report, loaded when one of its findings is opened
        self.checking: FolderCheck | None = None
        self.check_failed = False
        self.rows = pd.DataFrame()        # the filtered worklist shown in the grid: one row per problem
        self.members = pd.DataFrame()     # every finding of the worklist, with its problem
        self.unreadable_cells = pd.DataFrame()   # reading problems (category parse), shown per report
        self.current: dict | None = None
        self.loaded: tuple | None = None      # the review as read, to tell unsaved changes
        self.version = 0
        self._build()
        self._sync_folder()
        self.refresh()
        self._open_from_url()

    # --- the folder, as the store has it -------------------------------------------------
    def _read_store(self) -> None:
        """The folder's files, reports and reading problems as its latest run recorded them."""
        self.files = self.db.checked_files(self.data_dir)
        self.report_ids = [r for r in self.files.report if isinstance(r, str)]
        self.reports = {k: v for k, v in self.reports.items() if k in set(self.report_ids)}
        failed = self.files[self.files.error.notna()] if len(self.files) else self.files
        items = "".join(f"<li>{esc(shown_read_error(r))}</li>" for r in failed.to_dict("records"))
        self.unreadable.value = (f"<details><summary>{len(failed)} 份文件无法读取</summary><ul>{items}</ul></details>"
                                 if items else "")
        self._fill_filters()

    def _sync_folder(self) -> None:
        """Read the store; when the folder differs from its latest run, check it beside the page."""
        self._read_store()
        if (self.checking is not None and self.checking.running) or self.check_failed:
            return
        changed, gone = differences(listing(self.data_dir), self.files)
        if changed or gone:
            self._show_progress(0, len(changed))
            self.checking = FolderCheck(self.data_dir, self.db.url, self._show_progress, self._checked)
            self.checking.start()

    def _show_progress(self, done: int, total: int | None) -> None:
        text = ("正在检查新增或改动的文件（等待另一页面的检查完成）…" if total is None
                else f"正在检查新增或改动的文件：{done}/{total}")
        self.progress.value = (f"<div class='ga-card ga-progress'>{esc(text)}"
                               "<span class='ga-muted'>（检查期间可照常审核，完成后清单自动更新）</span></div>")

    def _checked(self, error: str | None) -> None:
        """The check is done: the worklist is read again, keeping the finding that is open."""
        try:
            self.checking = None
            if error:
                self.check_failed = True
                self.progress.value = (f"<div class='ga-card ga-error'>检查新增或改动的文件时出错：{esc(error)}"
                                       "（清单为上次检查的结果）</div>")
                self.retry_check.layout.display = "inline-flex"
                return
            self.progress.value = ""
            keep = self.current["id"] if self.current is not None else None
            self._sync_folder()               # files may have changed again meanwhile: checked once more
            self.refresh(keep=keep)
            if keep is None and not self.rows.empty and self.grid.selected_rows == []:
                self.select(self.rows.id.iloc[0])
        except Exception:                     # runs on the kernel's loop: a bug is logged, never raised there
            log.exception("refreshing after the folder check failed")

    def _retry(self) -> None:
        """重新检查: the failed check once more (otherwise only a reload would retry it)."""
        self.retry_check.layout.display = "none"
        self.check_failed = False
        self.progress.value = ""
        self._sync_folder()
        if self.checking is None:             # nothing differs any more: the list is already current
            self.refresh(keep=self.current["id"] if self.current is not None else None)

    def _report(self, report_id: str):
        """The report of a finding, read when its finding is opened (from the parse cache when it is there)."""
        if report_id in self.reports:
            return self.reports[report_id]
        rows = self.files[self.files.report == report_id] if len(self.files) else self.files
        if not len(rows):
            return None
        path = Path(rows.path.iloc[0])
        try:
            sha = cache.file_sha256(path)
            report = cache.get(cache.default_dir(), cache.report_key(sha, path)) or load(path)
        except (GovauditError, OSError):
            return None
        report.meta.update(id=report_id, source=str(path))
        self.reports[report_id] = report
        return report

    # --- layout -------------------------------------------------------------------
    def _build(self) -> None:
        self.header = W.HTML()
        self.progress = W.HTML()            # the check of new or changed files, while it runs
        self.retry_check = W.Button(description="重新检查", icon="refresh", tooltip="再次检查新增或改动的文件",
                                    layout=W.Layout(display="none"))
        self.retry_check.on_click(lambda _: self._retry())
        self.unreadable = W.HTML()          # the files the latest run could not read (_read_store)
        self.f_report = W.Dropdown(description="报告", layout=W.Layout(width="300px"))
        self.f_severity = W.Dropdown(description="级别", options=[ALL, "错误", "警告", "提示"],
                                     layout=W.Layout(width="150px"))
        self.f_status = W.Dropdown(description="审核", options=[ALL, *store_mod.STATUSES],
                                   layout=W.Layout(width="150px"))
        self.f_rule = W.Dropdown(description="规则", layout=W.Layout(width="220px"))
        self.f_year = W.Dropdown(description="年度", layout=W.Layout(width="130px"))
        self.f_search = W.Text(description="搜索", placeholder="单位、规则、问题…（回车）", continuous_update=False,
                               layout=W.Layout(width="240px"))
        self._fill_filters()
        self.grid = _grid()
        self.grid.add_class("ga-worklist")
        for f in (self.f_report, self.f_severity, self.f_status, self.f_rule, self.f_year, self.f_search):
            f.style.description_width = "36px"
            f.observe(lambda _: self.refresh(), names="value")
        self.grid.observe(self._on_select, names="selected_rows")
        self.keys = KeyShortcuts(self._on_key)
        self.position = W.Label()
        self.prev = W.Button(description="上一条", icon="arrow-up", tooltip="上一条问题（k 或 ↑）")
        self.next = W.Button(description="下一条", icon="arrow-down", tooltip="下一条问题（j 或 ↓）")
        self.prev.on_click(lambda _: self._step(-1))
        self.next.on_click(lambda _: self._step(1))
        self.detail = W.HTML("<p class='ga-muted'>在左侧列表中选择一条问题。</p>")
        self.detail.add_class("ga-detail")
        self.region = W.Image(format="png", layout=W.Layout(display="none", max_width="100%"))
        self.source = W.HTML()
        self._review_form()
        self.page = W.VBox([self._top(), self._split()])
        self.page.add_class("ga-workbench")

    def _top(self) -> W.Widget:
        """Title, counts, legend and the filters: kept short so the split below fits the screen."""
        filters = W.HBox([self.f_search, self.f_report, self.f_year, self.f_severity, self.f_status, self.f_rule],
                         layout=W.Layout(flex_flow="row wrap"))
        return W.VBox([W.HTML(STYLE + LAYOUT_STYLE + "<h2 class='ga-title'>政府信息公开工作年度报告 · 审核工作台</h2>"),
                       self.header, W.HBox([self.progress, self.retry_check], layout=W.Layout(align_items="center")),
                       W.HTML(SEVERITY_LEGEND), self.unreadable, filters])

    def _split(self) -> W.Widget:
        """The worklist on the left, the selected finding and its review on the right; each scrolls by itself."""
        nav = W.HBox([self.prev, self.next, self.position], layout=W.Layout(align_items="center"))
        left = W.VBox([self.grid, self.keys, self._bulk_form(), self._flag_form()])
        right = W.VBox([nav, self.detail, self.review_box, self.region, self.source])
        left.add_class("ga-pane")
        left.add_class("ga-list-pane")
        right.add_class("ga-pane")
        right.add_class("ga-detail-pane")
        split = W.HBox([left, right])
        split.add_class("ga-split")
        return split

    def _review_form(self) -> None:
        self.status = W.ToggleButtons(options=store_mod.STATUSES, description="审核")
        # continuous_update=False: the text is sent once, as the box loses focus, so it reaches the kernel before the
        # click or key that follows; sent per keystroke, ipywidgets holds back all but one update in flight and a
        # button's message could overtake the rest (a note saved as "j" of "jkxc")
        self.note = W.Textarea(placeholder="审核意见（如核实情况、与单位沟通结果）", continuous_update=False,
                               layout=W.Layout(width="95%"))
        self.rectification = W.Dropdown(options=store_mod.RECTIFICATIONS, description="整改")
        self.due = W.DatePicker(description="整改期限")
        self.save = W.Button(description="保存", button_style="primary", icon="check")
        self.confirm = W.Button(description="确认问题", button_style="danger", tooltip="确认问题（c）")
        self.dismiss = W.Button(description="排除（误报）", button_style="", tooltip="排除（误报）（x）")
        self.save.on_click(lambda _: self._save())
        self.confirm.on_click(lambda _: self._save(status="已确认"))
        self.dismiss.on_click(lambda _: self._save(status="已排除"))
        self.message = W.HTML()
        self.load_theirs = W.Button(description="载入对方的修改", layout=W.Layout(display="none"))
        self.load_theirs.on_click(lambda _: self._load_theirs())
        self.review_box = W.VBox([W.HBox([self.confirm, self.dismiss]), self.status, self.note,
                                  W.HBox([self.rectification, self.due]), W.HBox([self.save, self.load_theirs, self.message])],
                                 layout=W.Layout(display="none"))

    def _fill_filters(self) -> None:
        """The report and year choices from the store's report list; a choice still offered stays chosen."""
        reports = self.files[self.files.report.notna()] if len(self.files) else self.files
        named = sorted(((a if isinstance(a, str) and a else r, _year(y), r)
                        for r, a, y in zip(reports.report, reports.agency, reports.year)), key=lambda t: t[:2])
        report_options = [(ALL, ALL)] + [(f"{a} {y}".strip(), r) for a, y, r in named]
        year_options = [ALL] + sorted({y for _, y, _ in named if y})
        from ..rules import registry
        rules = [(f"{r.id} {r.title}", r.id) for r in registry.all_rules() if r.category != "parse"]
        self._filling = True                 # one refresh afterwards, not one per changed filter
        try:
            for widget, options in ((self.f_report, report_options), (self.f_year, year_options),
                                    (self.f_rule, [(ALL, ALL)] + rules
                                     + [(store_mod.MANUAL_RULE, store_mod.MANUAL_RULE)])):
                chosen = widget.value
                if list(widget.options) != options:
                    widget.options = options
                values = [o[1] if isinstance(o, tuple) else o for o in options]
                widget.value = chosen if chosen in values else ALL
            if hasattr(self, "flag_report"):
                chosen = self.flag_report.value
                self.flag_report.options = report_options[1:]
                if chosen in set(r for _, r in report_options[1:]):
                    self.flag_report.value = chosen
        finally:
            self._filling = False

    # --- the worklist ---------------------------------------------------------------
    def worklist(self) -> pd.DataFrame:
        """One row per problem (its most severe finding), with the number of its symptoms."""
        rows = self.db.worklist(self.report_ids)
        if rows.empty:
            return rows
        parse = rows["category"].eq("parse")
        self.unreadable_cells, rows = rows[parse], rows[~parse].copy()
        rows["severity_name"] = rows["severity"].map(severity_name)
        rows["where"] = [location(r) for r in rows.to_dict("records")]
        rows["order"] = rows["severity"].map(SEVERITY_ORDER).fillna(3)
        rows = rows.sort_values(["order", "agency", "rule"], kind="stable").assign(problem=problem_of(rows))
        self.members = rows
        return one_per_problem(rows).reset_index(drop=True)

    def refresh(self, keep: str | None = None) -> None:
        if getattr(self, "_filling", False):
            return
        if self.bulk_pending is not None:
            self._bulk_reset("<span class='ga-muted'>列表已变化，请重新点击批量审核</span>")
        rows = self.worklist()
        counts = self._counts(rows)
        self.header.value = (f"<div>数据目录 <b>{esc(self.data_dir)}</b>：{len(self.report_ids)} 份报告；"
                             f"{counts}；审核数据库 <span class='ga-muted'>{esc(self.db._shown_url())}</span>；"
                             f"审核人 <b>{esc(self.db.user)}</b></div>")
        if not rows.empty:
            for widget, column, convert in ((self.f_report, "report", str), (self.f_year, "year", _year),
                                            (self.f_severity, "severity_name", str), (self.f_status, "status", str),
                                            (self.f_rule, "rule", str)):
                if widget.value not in (ALL, None):
                    rows = rows[rows[column].map(convert) == widget.value]
            rows = _matching(rows, self.f_search.value)
        self.rows = rows.reset_index(drop=True)
        shown = self.rows.reindex(columns=list(GRID_COLUMNS)).rename(columns=GRID_COLUMNS)
        shown["年度"] = shown["年度"].map(_year)
        selected = [] if keep is None else self.rows.index[self.rows.id == keep].tolist()
        self.grid.update(shown.astype(str), selected_rows=selected)
        if selected:
            self.keys.reveal(selected[0])      # the grid was redrawn on its first page
        if self.current is not None and self.current["id"] not in set(self.rows.id):
            self._clear()                    # the buttons never act on a finding that is no longer listed
        self._show_position()

    def _clear(self) -> None:
        self.current = None
        self.loaded = None
        self.detail.value = "<p class='ga-muted'>在左侧列表中选择一条问题。</p>"
        self.source.value = ""
        self.region.layout.display = "none"
        self.review_box.layout.display = "none"

    def _counts(self, rows: pd.DataFrame) -> str:
        if rows.empty:
            return "未发现问题"
        open_ = rows[rows.state == "现存"]
        by_sev = open_.severity.value_counts()
        by_status = open_.status.value_counts()
        # worded as the dashboard's headline: 问题 is a problem (its findings grouped), counted the same way
        return (f"现存问题 <b>{len(open_)}</b> 条（"
                + "、".join(f"{severity_name(s)} {by_sev.get(s, 0)}" for s in ("error", "warning", "info"))
                + "）；" + "、".join(f"{s} {by_status.get(s, 0)}" for s in store_mod.STATUSES))

    # --- one finding ----------------------------------------------------------------
    def _on_select(self, change) -> None:
        selected = change["new"] or []
        if selected and selected[0] < len(self.rows):
            if self.current is not None and self.rows.iloc[selected[0]]["id"] == self.current["id"]:
                return
            if not self._save_unsaved():
                return
            self.show(self.rows.iloc[selected[0]].to_dict())

    def _form(self) -> tuple:
        return (self.status.value, self.note.value, self.rectification.value, self.due.value)

    def _save_unsaved(self) -> bool:
        """Leaving a finding saves what was changed on it (never dropped silently); False when that failed."""
        if self.current is None or self.loaded is None or self._form() == self.loaded:
            return True
        self._save()
        return self.current is None or self._form() == self.loaded    # saved (and maybe no longer listed)

    def select(self, finding_id: str) -> bool:
        """Select a finding, or the problem it is a symptom of."""
        if len(self.members) and finding_id not in set(self.rows.id):
            member = self.members[self.members.id == finding_id]
            problem = member["problem"].iloc[0] if len(member) else None
            finding_id = next(iter(self.rows.id[self.rows.problem == problem]), finding_id)
        hits = self.rows.index[self.rows.id == finding_id].tolist()
        if not hits:
            return False
        self._open_row(hits[0])
        return True

    def _open_row(self, i: int) -> None:
        """Show row ``i`` of the worklist, selected and on the grid's current page."""
        self.show(self.rows.iloc[i].to_dict())     # first, so the selection below is not handled twice
        self.grid.selected_rows = [i]
        self.keys.reveal(i)

    def _step(self, delta: int) -> None:
        if self.rows.empty or not self._save_unsaved():
            return
        now = self.rows.index[self.rows.id == self.current["id"]].tolist() if self.current else []
        i = min(max((now[0] + delta) if now else 0, 0), len(self.rows) - 1)
        self._open_row(i)

    def _on_key(self, action: str) -> None:
        """A keyboard shortcut from the page (see keys.py)."""
        if action in ("next", "prev"):
            self._step(1 if action == "next" else -1)
        elif action == "confirm":
            self._save(status="已确认")
        elif action == "dismiss":
            self._save(status="已排除")

    def _show_position(self) -> None:
        now = self.rows.index[self.rows.id == self.current["id"]].tolist() if self.current is not None else []
        self.position.value = f"第 {now[0] + 1} / {len(self.rows)} 条" if now else f"共 {len(self.rows)} 条"

    def show(self, f: dict) -> None:
        self.current = f
        self.message.value = ""
        report = self._report(f["report"])
        self.detail.value = self._detail_html(f)
        if report is None:
            self.source.value = "<p class='ga-muted'>本次未读取到该报告的文件</p>"
        elif f.get("table"):
            p = report.provenance.get((f["table"], f.get("row"), f.get("column"))) or {}
            where = f"第{p['page']}页" if p.get("page") else f"第{p['line']}行" if p.get("line") else ""
            quote = "" if report.meta.get("format") == "pdf" else quote_html(report.meta.get("source"), p, cited_text(p))
            self.source.value = (f"<div class='ga-muted'>{esc(report.meta.get('source'))} {esc(where)}</div>" + quote
                                 + table_html(report, f["table"], f.get("row") or "", f.get("column") or ""))
        elif f.get("section"):
            self.source.value = section_html(report, f["section"])
        else:
            self.source.value = f"<div class='ga-muted'>{esc(report.meta.get('title'))}</div>"
        self._show_region(report, f)
        review = self.db.get_review(f["id"], f["report"])
        self.version = review.version
        self.status.value = f.get("status") if review.version == 0 else review.status
        self.note.value = review.note or ""
        self.rectification.value = review.rectification
        self.due.value = review.due_date
        self.loaded = self._form()
        self.review_box.layout.display = "flex"
        self._show_position()

    def _symptoms(self, f: dict) -> list[dict]:
        """The other findings of the same problem."""
        if self.members.empty or not f.get("problem"):
            return []
        same = self.members[(self.members["problem"] == f["problem"]) & (self.members["id"] != f["id"])]
        return same.to_dict("records")

    def _symptoms_html(self, f: dict) -> str:
        others = self._symptoms(f)
        if not others:
            return ""
        items = "".join(f"<li>[{esc(severity_name(o['severity']))}] {esc(o['rule'])}：{esc(o['message'])}</li>"
                        for o in others)
        return f"<div class='ga-card'>同一问题的其他表现（{len(others)} 条，审核时一并保存）：<ul>{items}</ul></div>"

    def _detail_html(self, f: dict) -> str:
        """The finding, the other symptoms of its problem, its report's unreadable cells and its review history."""
        return (finding_html(f) + self._symptoms_html(f) + self._unreadable_html(f["report"])
                + self._history_html(f["id"]))

    def _history_html(self, finding_id: str) -> str:
        h = self.db.history(finding_id)
        if h.empty:
            return ""
        items = "".join(f"<li>{esc(str(r['at'])[:16])} {esc(r['user'])}：{esc(FIELD_NAMES.get(r['field'], r['field']))} "
                        f"“{esc(r['old'] or '')}” → “{esc(r['new'] or '')}”</li>" for r in h.to_dict("records"))
        return f"<details><summary>审核记录（{len(h)} 项修改）</summary><ul>{items}</ul></details>"

    def _unreadable_html(self, report: str) -> str:
        cells = self.unreadable_cells[self.unreadable_cells["report"] == report] if len(self.unreadable_cells) else []
        if not len(cells):
            return ""
        items = "".join(f"<li>{esc(c['message'])} <span class='ga-muted'>{esc(c.get('evidence') or '')}</span>"
                        f"{self._reading_source_html(c)}</li>" for c in cells.to_dict("records"))
        return (f"<details><summary>本报告有 {len(cells)} 处内容无法读取（未取值，请对照原文）</summary>"
                f"<ul>{items}</ul></details>")

    def _reading_source_html(self, finding: dict) -> str:
        """Where a reading problem sits: the PDF page region or the quoted text (that is when the page is needed)."""
        report = self.reports.get(finding["report"])
        w = reading_warning(report, finding) if report is not None else None
        if not w:
            return ""
        src, path = w.get("source") or {}, report.meta.get("source")
        if report.meta.get("format") == "pdf":
            region = _pdf_region(path, src.get("page"), src.get("bbox"))
            return (f"<br><img class='ga-region' alt='第{esc(src.get('page'))}页原文' style='max-width:100%' "
                    f"src='data:image/png;base64,{base64.b64encode(region[0]).decode('ascii')}'>") if region else ""
        return quote_html(path, src, w.get("quote") or "")

    def _show_region(self, report, f: dict) -> None:
        """For a PDF, the page region around the cell (the inspector sees the printed number)."""
        self.region.layout.display = "none"
        if report is None or report.meta.get("format") != "pdf" or not f.get("table"):
            return
        p = report.provenance.get((f["table"], f.get("row"), f.get("column"))) or {}
        region = _pdf_region(report.meta["source"], p.get("page"), p.get("bbox"))
        if region is None:
            return
        self.region.value = region[0]
        self.region.layout.display = "block"

    def _save(self, status: str | None = None) -> None:
        if self.current is None:
            return
        if status:
            self.status.value = status
        try:
            saved = self.db.review(self.current["id"], report=self.current["report"], version=self.version,
                                   status=self.status.value, note=self.note.value,
                                   rectification=self.rectification.value, due_date=self.due.value)
        except StoreConflict as e:
            self.message.value = f"<span style='color:#dc2626'>未保存：{esc(e)}</span>"
            self.load_theirs.layout.display = "inline-flex"
            return
        except (GovauditError, ValueError) as e:
            self.message.value = f"<span style='color:#dc2626'>未保存：{esc(e)}</span>"
            return
        for other in self._symptoms(self.current):      # one problem, reviewed once: its symptoms follow
            try:
                self.db.review(other["id"], report=other["report"], version=self.db.get_review(other["id"]).version,
                               status=saved.status, note=saved.note, rectification=saved.rectification,
                               due_date=saved.due_date)
            except StoreConflict as e:
                self.message.value = f"<span style='color:#dc2626'>部分表现未保存：{esc(e)}</span>"
                return
        self.version = saved.version
        self.loaded = self._form()
        self.load_theirs.layout.display = "none"
        fid = self.current["id"]
        self.refresh(keep=fid)
        self.current = next((r for r in self.rows.to_dict("records") if r["id"] == fid), None)
        if self.current is not None:           # still listed under the filters
            self.detail.value = self._detail_html(self.current)
        self.message.value = f"<span style='color:#15803d'>已保存（{esc(saved.status)}，第{saved.version}版）</span>"
        self._show_position()

    def _load_theirs(self) -> None:
        """After a conflict: the other inspector's review, with this one's unsaved note kept below theirs."""
        mine = self.note.value
        theirs = self.db.get_review(self.current["id"], self.current["report"])
        self.version = theirs.version
        self.status.value, self.rectification.value, self.due.value = (theirs.status, theirs.rectification,
                                                                      theirs.due_date)
        self.note.value = _appended(theirs.note or "", mine)
        self.loaded = (theirs.status, theirs.note or "", theirs.rectification, theirs.due_date)
        self.load_theirs.layout.display = "none"
        self.message.value = (f"<span>已载入{esc(theirs.updated_by or '对方')}的修改（第{theirs.version}版），"
                              "您未保存的意见附在其后，核对后请保存</span>")

    # --- bulk review: every problem the filters list ------------------------------------
    def _bulk_form(self) -> W.Widget:
        """Review the listed problems at once; a second click, naming how many, does it."""
        self.bulk_status = W.Dropdown(description="标为", options=store_mod.STATUSES, value="已确认",
                                      layout=W.Layout(width="180px"))
        self.bulk_status.style.description_width = "36px"
        self.bulk_note = W.Text(placeholder="批量附加的意见（可选，附在每条原有意见之后）", continuous_update=False,
                                layout=W.Layout(width="95%"))
        self.bulk_ask = W.Button(description="审核列表中的全部问题", icon="list")
        self.bulk_yes = W.Button(description="确定", button_style="danger", layout=W.Layout(display="none"))
        self.bulk_no = W.Button(description="取消", layout=W.Layout(display="none"))
        self.bulk_message = W.HTML()
        self.bulk_pending: tuple | None = None     # (findings, status, note) as listed when asked
        self.bulk_ask.on_click(lambda _: self._bulk_ask())
        self.bulk_yes.on_click(lambda _: self._bulk_apply())
        self.bulk_no.on_click(lambda _: self._bulk_reset("<span class='ga-muted'>已取消</span>"))
        for changed in (self.bulk_status, self.bulk_note):      # the question named the old choice: ask again
            changed.observe(lambda _: self.bulk_pending is not None and self._bulk_reset(), names="value")
        box = W.VBox([W.HBox([self.bulk_status, self.bulk_ask]), self.bulk_note,
                      W.HBox([self.bulk_yes, self.bulk_no, self.bulk_message], layout=W.Layout(align_items="center"))])
        acc = W.Accordion(children=[box])
        acc.set_title(0, "批量审核（当前列表中的问题）")
        return acc

    def _bulk_ask(self) -> None:
        if not self._save_unsaved():
            return
        listed = self.members[self.members["problem"].isin(set(self.rows["problem"]))] if len(self.rows) else []
        if not len(listed):
            self._bulk_reset("<span class='ga-muted'>列表中没有问题</span>")
            return
        status, note = self.bulk_status.value, self.bulk_note.value.strip()
        self.bulk_pending = (listed[["id", "report"]].to_dict("records"), status, note)
        self.bulk_message.value = (f"<span>将把列表中的 <b>{len(self.rows)}</b> 条问题（共 {len(listed)} 条表现）"
                                   f"标为“{esc(status)}”" + ("并附加审核意见" if note else "") + "，确定吗？</span>")
        self.bulk_yes.layout.display = self.bulk_no.layout.display = "inline-flex"

    def _bulk_reset(self, message: str = "") -> None:
        self.bulk_pending = None
        self.bulk_yes.layout.display = self.bulk_no.layout.display = "none"
        self.bulk_message.value = message

    def _bulk_apply(self) -> None:
        if self.bulk_pending is None:
            return
        findings, status, extra = self.bulk_pending
        self._bulk_reset("<span class='ga-muted'>正在保存…</span>")
        saved, conflicts, failed = 0, 0, ""
        for f in findings:
            review = self.db.get_review(f["id"], f["report"])
            try:          # the version just read: a colleague's save in between is theirs to keep, not overwritten
                self.db.review(f["id"], report=f["report"], version=review.version, status=status,
                               note=_appended(review.note or "", extra))
                saved += 1
            except StoreConflict:
                conflicts += 1
            except (GovauditError, ValueError) as e:
                failed = str(e)
                break
        keep = self.current["id"] if self.current is not None else None
        self.refresh(keep=keep)
        if keep is not None:
            self.select(keep)                 # shown again (when still listed): its form holds the saved review
        message = f"已将 {saved} 条表现标为“{esc(status)}”"
        if conflicts:
            message += f"；{conflicts} 条刚被他人修改，未覆盖，请逐条核对"
        if failed:
            message += f"；其余未保存：{esc(failed)}"
        color = "#15803d" if not (conflicts or failed) else "#dc2626"
        self.bulk_message.value = f"<span style='color:{color}'>{message}</span>"

    # --- hand-added flags -------------------------------------------------------------
    def _flag_form(self) -> W.Widget:
        self.flag_report = W.Dropdown(description="报告", options=self.f_report.options[1:])
        self.flag_where = W.Dropdown(description="位置", options=_flag_locations(), layout=W.Layout(width="420px"))
        self.flag_text = W.Textarea(placeholder="发现的问题（将作为“人工标注”加入问题清单）", continuous_update=False,
                                    layout=W.Layout(width="95%"))
        self.flag_severity = W.Dropdown(description="级别", options=[("错误", "error"), ("警告", "warning"),
                                                                      ("提示", "info")], value="warning")
        self.flag_add = W.Button(description="添加问题", icon="flag")
        self.flag_message = W.HTML()
        self.flag_add.on_click(lambda _: self._add_flag())
        box = W.VBox([self.flag_report, self.flag_where, self.flag_severity, self.flag_text,
                      W.HBox([self.flag_add, self.flag_message])])
        acc = W.Accordion(children=[box])
        acc.set_title(0, "添加问题（人工标注）")
        return acc

    def _add_flag(self) -> None:
        table, row, column, section = self.flag_where.value
        try:
            flag = self.db.flag(self.flag_report.value, self.flag_text.value, table=table, row=row, column=column,
                                section=section, severity=self.flag_severity.value)
        except (GovauditError, ValueError) as e:
            self.flag_message.value = f"<span style='color:#dc2626'>未添加：{esc(e)}</span>"
            return
        self.flag_text.value = ""
        self.flag_message.value = "<span style='color:#15803d'>已添加</span>"
        self.refresh(keep=flag["id"])

    def _open_from_url(self) -> None:
        """``?report=…&finding=…`` opens a report or a finding (values are checked, never trusted)."""
        try:
            from voila.utils import wait_for_request
            wait_for_request()          # a preheated kernel: the request (and its URL) arrives now
        except Exception:
            pass
        self._sync_folder()             # the folder or the store may have changed since the kernel was preheated
        self.refresh()
        params = parse_qs(os.environ.get("QUERY_STRING", ""))
        report = (params.get("report") or [None])[0]
        finding = (params.get("finding") or [None])[0]
        if report in self.report_ids:
            self.f_report.value = report
            self.flag_report.value = report
        if finding and not self.select(finding):
            self.detail.value = (f"<div class='ga-card ga-error'>链接中的问题编号“{esc(finding)}”不存在"
                                 "（可能已更正或不在本目录中）</div>")
        elif not finding and not self.rows.empty:
            self.select(self.rows.id.iloc[0])


def reading_warning(report, finding: dict) -> dict | None:
    """The report's warning a reading problem (P-PARSE) was made from: same message and place."""
    return next((w for w in report.warnings if w.get("message") == finding.get("message")
                 and all((w.get(k) or "") == (finding.get(k) or "") for k in ("table", "row", "column"))), None)


def _pdf_region(path, page, bbox):
    """The page region, or None: it is a convenience; the table and evidence are already shown."""
    if not (path and page and bbox):
        return None
    try:
        return pdf_region(path, page, tuple(bbox))
    except Exception:
        log.warning("page region of %s p.%s could not be drawn", path, page, exc_info=True)
        return None


def _grid():
    from itables.widget import ITable
    # maxBytes=0: never down-sample an audit list; allow_html stays off, so cell text is escaped.
    # Searching and sorting stay in Python (the 搜索 box, the worklist's order; the grid's own search box is hidden
    # by LAYOUT_STYLE): the grid syncs only its selection back, and 上一条/下一条 walk the rows as shown.
    return ITable(pd.DataFrame(columns=list(GRID_COLUMNS.values())), select={"style": "single"}, maxBytes=0,
                  pageLength=10, lengthMenu=[10, 50, 200], classes="display compact cell-border", order=[],
                  ordering=False,
                  style="width:100%;margin:0;table-layout:fixed", autoWidth=False,
                  language={"info": "第 _START_–_END_ 条，共 _TOTAL_ 条",
                            "emptyTable": "没有符合条件的问题", "zeroRecords": "没有符合条件的问题",
                            "lengthMenu": "每页 _MENU_ 条", "infoEmpty": "共 0 条",
                            "paginate": {"next": "下一页", "previous": "上一页"},
                            "infoFiltered": "（从 _MAX_ 条中筛选）", "loadingRecords": "加载中…", "processing": "处理中…",
                            "select": {"rows": {"_": "已选 %d 条", "0": "", "1": "已选 1 条"}}})


def _matching(rows: pd.DataFrame, query: str) -> pd.DataFrame:
    """The rows whose shown text holds every word of the search box (case-insensitive)."""
    words = query.lower().split()
    if not words or rows.empty:
        return rows
    shown = rows.reindex(columns=SEARCHED).astype(object).fillna("").assign(year=rows["year"].map(_year))
    text = shown.astype(str).agg(" ".join, axis=1).str.lower()
    keep = pd.Series(True, index=rows.index)
    for word in words:
        keep &= text.str.contains(word, regex=False)
    return rows[keep]


def shown_read_error(record: dict) -> str:
    """A stored reading problem as the check named it: the file (quoted if need be) and the reason."""
    return str(ReadError(record["path"], record["error"]))


def _appended(note: str, more: str) -> str:
    """``more`` on a line of its own after ``note``, unless it is empty or already there."""
    if not more or more in note:
        return note
    return f"{note}\n{more}" if note else more


def _year(v) -> str:
    return "" if v is None or v != v else str(int(v))


def _flag_locations() -> list[tuple[str, tuple[str, str, str, str]]]:
    out = [(heading, ("", "", "", key)) for key, heading in T.SECTION_HEADINGS.items()]
    for table in ("active", "requests", "appeals"):
        rows = T.ALL_REQUEST_ROWS if table == "requests" else (
            T.APPEAL_ROWS if table == "appeals" else T.ACTIVE_ROWS_2021)
        for r in rows:
            out.append((f"{T.TABLE_NAMES[table]}“{r.label}”行", (table, r.key, "", "")))
    return out
