"""Cross-year rules: this year's report against last year's report of the same agency."""
from __future__ import annotations

import re

from .. import template as T
from ..numbers import nfkc
from ._util import col, fmt
from .registry import rule
from .similarity import similar_sections

REPEAT_THRESHOLD = 0.9
SPIKE_FACTOR = 5


@rule("X-CARRY", severity="warning", category="cross-year", scope="cross-year",
      title="本年“上年结转”应等于上年“结转下年度继续办理”（按列）",
      basis="由表结构推出；美国DD 2564表同样要求承接上年期末未结数")
def x_carry(ctx):
    """This year's 二、上年结转 = last year's 四、结转下年度继续办理, per column."""
    r, p = ctx.report, ctx.previous
    for c in (c.key for c in T.REQUEST_COLUMNS):
        now, before = r.value("requests", "carried_over", c), p.value("requests", "carried_forward", c)
        if now is None or before is None or now == before:
            continue
        yield ctx.find("X-CARRY", f"表三“{col('requests', c)}”列：本年“上年结转”为{fmt(now)}，"
                       f"而{p.year}年报告“结转下年度继续办理”为{fmt(before)}", table="requests", row="carried_over",
                       column=c, expected=before, actual=now)


@rule("X-INFORCE", severity="warning", category="cross-year", scope="cross-year",
      title="现行有效件数=上年现行有效+本年制发−本年废止",
      basis="由表结构推出（机构改革、文件到期失效等可能导致合理差异）")
def x_inforce(ctx):
    """表二 现行有效(本年) = 现行有效(上年) + 本年制发 − 本年废止 (2021 template both years)."""
    r, p = ctx.report, ctx.previous
    if r.template != "2021" or p.template != "2021":
        return
    for k in ("regulations", "normative_documents"):
        issued, repealed, now = (r.value("active", k, c) for c in ("issued", "repealed", "in_force"))
        before = p.value("active", k, "in_force")
        if None in (issued, repealed, now, before):
            continue
        expected = before + issued - repealed
        if expected != now:
            yield ctx.find("X-INFORCE", f"表二“{T.row_label('active', k)}”：上年现行有效{fmt(before)}件+本年制发{fmt(issued)}件"
                           f"−废止{fmt(repealed)}件={fmt(expected)}件，本年现行有效填报为{fmt(now)}件",
                           table="active", row=k, column="in_force", expected=expected, actual=now)


@rule("X-TEXT-REPEAT", severity="warning", category="cross-year", scope="cross-year",
      title="正文与上年报告高度雷同", basis="法治蓝皮书：“部分年报与去年的重复率竟达90%”；鲤城区考评：与往年雷同扣分")
def x_text_repeat(ctx):
    """A text section ≥ 90 % similar to the same section of last year's report."""
    r, p = ctx.report, ctx.previous
    for key, title, s in similar_sections(r, p, ("overview", "problems", "other"), REPEAT_THRESHOLD):
        yield ctx.find("X-TEXT-REPEAT", f"“{title}”部分与{p.year}年报告相似度{s:.0%}，疑似沿用上年文字",
                       section=key, expected=f"<{REPEAT_THRESHOLD:.0%}", actual=f"{s:.0%}")


@rule("X-TABLE-IDENTICAL", severity="warning", category="cross-year", scope="cross-year",
      title="表三、表四数据与上年完全相同（且不全为0）", basis="由表结构推出：照搬上年数据")
def x_table_identical(ctx):
    """表三/表四 non-zero numbers identical to last year's."""
    r, p = ctx.report, ctx.previous
    for table in ("requests", "appeals"):
        cells = [(k, c) for k in r.table(table).index for c in r.table(table).columns]
        a = [r.value(table, k, c) for k, c in cells]
        b = [p.value(table, k, c) for k, c in cells]
        if any(v for v in a) and a == b:
            yield ctx.find("X-TABLE-IDENTICAL", f"{T.TABLE_NAMES[table]}的数据与{p.year}年报告完全相同",
                           table=table, expected="本年数据", actual="与上年相同")


@rule("X-SPIKE", severity="info", category="cross-year", scope="cross-year", title="关键指标同比突变（×5或×0.2）",
      basis="竞品QR-007“同比突变检测”")
def x_spike(ctx):
    """新收申请, 予以公开 and 行政复议 总计 change more than ×5 or below ×0.2 year on year."""
    r, p = ctx.report, ctx.previous
    for table, row in (("requests", "new_received"), ("requests", "granted"), ("appeals", "review")):
        now, before = r.value(table, row, "total"), p.value(table, row, "total")
        if not now or not before or max(now, before) < 10:
            continue
        if now >= before * SPIKE_FACTOR or now * SPIKE_FACTOR <= before:
            yield ctx.find("X-SPIKE", f"{T.TABLE_NAMES[table]}“{T.row_label(table, row)}”总计由{fmt(before)}变为{fmt(now)}，"
                           "同比变化异常，请核实", table=table, row=row, column="total", expected=before, actual=now)


# last year as the topic of a sentence ("2023年，我局…", also mid-paragraph in a flattened page) or as the year
# of this year's counts ("2023年制作、获取政府信息…"); never after a comparison ("比2023年", "较2023年")
_STALE_LEAD = re.compile(r"(?<![比较与同至到于自从上去])((?:19|20)\d{2})\s*年(?:度)?\s*(?:[，,]|(?:全年|共|累计)?\s*"
                         r"(?:制作|获取|主动公开|新收|收到|受理)(?![^。；;]{0,20}(?:相比|对比|比较)))")


@rule("X-STALE-YEAR", severity="warning", category="cross-year", title="正文残留上一年度的年份",
      basis="由文意推出：沿用上年报告未改年份")
def x_stale_year(ctx):
    """A sentence speaks of last year as the current one ("2023年，我局…", "2023年制作、获取政府信息…" in a 2024
    report); the statistics period naming last year is an error."""
    r = ctx.report
    if r.year is None:
        return
    stale = r.year - 1
    period = r.meta.get("stat_period")
    if period and int(period[:4]) == stale:
        yield ctx.find("X-STALE-YEAR", f"统计期限写为{stale}年，报告年度为{r.year}年", section="overview",
                       expected=str(r.year), actual=str(stale), severity="error", where="period")
    for key, text in r.sections.items():
        for m in _STALE_LEAD.finditer(nfkc(text)):
            if int(m.group(1)) == stale:
                quote = nfkc(text)[m.start(): m.start() + 40].strip()
                yield ctx.find("X-STALE-YEAR", f"{r.year}年度报告中以“{stale}年”叙述本年工作，疑似沿用上年文字",
                               section=key, expected=f"{r.year}年", actual=f"{stale}年", evidence=f"原文：“{quote}”",
                               where=str(m.start()))
