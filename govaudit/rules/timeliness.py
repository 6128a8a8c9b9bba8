"""Timeliness and metadata: publication deadline, image-only documents."""
from __future__ import annotations

from datetime import date

from ._util import unit_type
from .registry import rule

# 条例第四十九条: departments by 1月31日, a government's own report by 3月31日. 乡镇/街道 are not
# named there; only a local notice sets their date, so they get none unless configured. A unit whose
# type its name does not tell is held to the department's date, as a warning only.
# Override with settings={"deadline": {"township": (2, 15)},
#                         "deadline_by_region": {"怀化市": {"department": (1, 28)}}}
# (a region is matched as a prefix of the agency name; the longest prefix wins).
DEFAULT_DEADLINES = {"department": (1, 31), "government": (3, 31), "township": None, "unclear": (1, 31)}
UNIT_TYPE_NAMES = {"department": "政府部门", "government": "本级政府", "township": "乡镇街道", "unclear": "类型不明确的单位"}


def deadline_for(agency: str, year: int, settings: dict) -> date | None:
    kind = unit_type(agency)
    table = {**DEFAULT_DEADLINES, **settings.get("deadline", {})}
    regions = sorted((r for r in settings.get("deadline_by_region", {}) if agency.startswith(r)), key=len)
    for region in regions:
        table.update(settings["deadline_by_region"][region])
    month_day = table.get(kind)
    return date(year + 1, *month_day) if month_day else None


@rule("M-DEADLINE", severity="error", category="timeliness", title="年度报告应按期公布",
      basis="条例第四十九条：县级以上人民政府部门每年1月31日前公布；本级政府年度报告3月31日前公布")
def m_deadline(ctx):
    """Publication date (when the document states one) is on or before the deadline. Without one, a
    signing date (落款) that ends the text and is past the deadline: a report is not published before it is
    signed. The report's year is the later of its title's and its 统计期限's (one of them may be last year's,
    copied over: the other rules report that)."""
    r = ctx.report
    published, how = _date(r.meta.get("publication_date")), "公布"
    if published is None and r.meta.get("signed_at_end"):
        published, how = _date(r.meta.get("signed_date")), "落款"
    years = [y for y in (r.year, _stat_year(r)) if y is not None]
    if published is None or not years:
        return
    deadline = deadline_for(r.agency or "", max(years), ctx.settings)
    if deadline and published > deadline:
        kind = unit_type(r.agency)
        yield ctx.find("M-DEADLINE", f"报告于{published:%Y年%m月%d日}{how}，晚于{UNIT_TYPE_NAMES[kind]}"
                       f"{deadline:%Y年%m月%d日}的期限" + ("（从名称无法判断单位类型，请核实适用期限）" if kind == "unclear" else ""),
                       expected=deadline.isoformat(), actual=published.isoformat(),
                       severity="warning" if kind == "unclear" else None)


def _date(value) -> date | None:
    if not value:
        return None
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


def _stat_year(r) -> int | None:
    period = r.meta.get("stat_period")
    return int(period[:4]) if period else None


@rule("M-NOT-TEXT", severity="warning", category="timeliness", title="报告为图片或扫描件，无法读取文字", needs_text=False,
      basis="法治蓝皮书评估：“个别评估对象年度报告可获取性不强”")
def m_not_text(ctx):
    """The document has no text layer (image-only or scanned): nothing could be checked."""
    r = ctx.report
    if r.meta.get("not_text"):
        yield ctx.find("M-NOT-TEXT", "报告没有文字层（图片或扫描件），无法核对任何数据，请人工审核",
                       expected="可读取的文字", actual="图片/扫描件")


@rule("M-CHANGED", severity="info", category="timeliness", title="同一单位同一年度有两份报告文件", needs_text=False,
      basis="法治蓝皮书评估：“部分评估对象年度报告发布后有变动”；两份文件分别审核，不合并")
def m_changed(ctx):
    """Two files of one unit and year in the batch (a DOCX and its PDF, a corrected re-publication): both are
    checked as documents of their own; this says which file the other one is."""
    r = ctx.report
    if r.meta.get("same_as"):
        yield ctx.find("M-CHANGED", f"与“{r.meta['same_as']}”为同一单位同一年度的报告，两份文件分别审核",
                       expected="一份报告", actual=r.meta.get("source", ""))
