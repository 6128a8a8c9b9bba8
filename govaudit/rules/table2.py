"""Table 二: 主动公开政府信息情况."""
from __future__ import annotations

from ._util import fmt, is_township, row
from .registry import rule

# 万元. Cities really collect 96171.6 万元 (淮安 2024), districts 7730.28 (洪泽 2023), so only
# magnitudes no unit of that level reaches are taken as "written in 元".
FEE_YUAN_ANY_UNIT = 1_000_000      # 100 亿元
FEE_YUAN_TOWNSHIP = 10_000         # 1 亿元 for a 乡/镇/街道


@rule("T2-INFORCE-GE", severity="warning", category="arithmetic",
      title="表二现行有效件数不应少于本年制发减废止",
      basis="由表结构推出：现行有效件数 ≥ 本年制发件数 − 本年废止件数（同年制发又废止的情形罕见）")
def t2_inforce_ge(ctx):
    """现行有效件数 ≥ 本年制发件数 − 本年废止件数 (2021 template)."""
    r = ctx.report
    if r.template != "2021":
        return
    for k in ("regulations", "normative_documents"):
        issued, repealed, in_force = (r.value("active", k, c) for c in ("issued", "repealed", "in_force"))
        if None in (issued, repealed, in_force) or in_force >= issued - repealed:
            continue
        yield ctx.find("T2-INFORCE-GE", f"表二“{row('active', k)}”：本年制发{fmt(issued)}件、废止{fmt(repealed)}件，"
                       f"现行有效却只有{fmt(in_force)}件", table="active", row=k, column="in_force",
                       expected=f"≥{fmt(issued - repealed)}", actual=in_force)


@rule("T2-FEE-UNIT", severity="warning", category="arithmetic", title="表二行政事业性收费金额单位应为万元",
      basis="表二第二十条第（八）项列名“本年收费金额（单位：万元）”")
def t2_fee_unit(ctx):
    """行政事业性收费 is in 万元: flag "元" written in the cell, more than 4 decimals, or values that look like 元."""
    r = ctx.report
    if r.template != "2021":
        return
    v = r.value("active", "admin_fees", "amount")
    p = r.provenance.get(("active", "admin_fees", "amount"), {})
    if v is None:
        return
    reason = None
    if p.get("unit") == "元":
        reason = "单元格写明“元”"
    elif isinstance(v, float) and len(str(p.get("raw", "")).split(".")[-1]) > 4:
        reason = "小数超过4位"
    elif v >= FEE_YUAN_ANY_UNIT:
        reason = f"数额达{fmt(v)}万元（{fmt(round(v / 10_000, 2))}亿元），疑似按元填报"
    elif v > FEE_YUAN_TOWNSHIP and is_township(r.agency):
        reason = f"乡镇（街道）收费超过{FEE_YUAN_TOWNSHIP}万元（1亿元），疑似按元填报"
    if reason:
        yield ctx.find("T2-FEE-UNIT", f"表二行政事业性收费金额为{fmt(v)}：{reason}，应以万元为单位",
                       table="active", row="admin_fees", column="amount", expected="以万元填报", actual=v)


@rule("T2-2019-TOTALS", severity="warning", category="arithmetic",
      title="（2019模板）对外公开总数量不少于本年新公开数量；项目数量不为负",
      basis="由国办公开办函〔2019〕60号表二列设置推出")
def t2_2019_totals(ctx):
    """2019 template: 对外公开总数量 ≥ 本年新公开数量; 上一年项目数量 + 本年增/减 ≥ 0."""
    r = ctx.report
    if r.template != "2019":
        return
    for k in ("regulations", "normative_documents"):
        new, tot = r.value("active", k, "new_published"), r.value("active", k, "total_published")
        if new is not None and tot is not None and tot < new:
            yield ctx.find("T2-2019-TOTALS", f"表二“{row('active', k)}”：对外公开总数量{fmt(tot)}少于本年新公开数量{fmt(new)}",
                           table="active", row=k, column="total_published", expected=f"≥{fmt(new)}", actual=tot)
    for k in ("licensing", "other_services", "punishment", "coercion", "admin_fees"):
        prev, change = r.value("active", k, "prev_year_items"), r.value("active", k, "change")
        if prev is not None and change is not None and prev + change < 0:
            yield ctx.find("T2-2019-TOTALS", f"表二“{row('active', k)}”：上一年项目数量{fmt(prev)}加本年增/减{fmt(change)}小于0",
                           table="active", row=k, column="change", expected=f"≥{fmt(-prev)}", actual=change)
