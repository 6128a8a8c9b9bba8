"""Table 三: 收到和处理政府信息公开申请情况."""
from __future__ import annotations

from .. import template as T
from ._util import APPLICANT_COLUMNS, REQUEST_RESULT_ROWS, col, fmt, row, total
from .registry import rule

_NOTE = "表三注：“本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和”（国办公开办函〔2021〕30号）"


@rule("T3-BALANCE", severity="error", category="arithmetic", title="表三收办平衡（按列）：一+二=三（七）+四",
      basis=_NOTE)
def t3_balance(ctx):
    """一 + 二 = 三（七）总计 + 四, for every column (本列)."""
    r = ctx.report
    for c in (c.key for c in T.REQUEST_COLUMNS):
        a, b, t, d = (r.value("requests", k, c) for k in
                      ("new_received", "carried_over", "total_processed", "carried_forward"))
        if None in (a, b, t, d) or a + b == t + d:
            continue
        yield ctx.find("T3-BALANCE",
                       f"表三“{col('requests', c)}”列：一、本年新收（{fmt(a)}）+二、上年结转（{fmt(b)}）={fmt(a + b)}，"
                       f"而三（七）总计（{fmt(t)}）+四、结转下年度（{fmt(d)}）={fmt(t + d)}，收办不平衡",
                       table="requests", row="total_processed", column=c, expected=a + b - d, actual=t)


@rule("T3-RESULT-TOTAL", severity="error", category="arithmetic",
      title="表三（七）总计=各项办理结果之和（按列）",
      basis="（七）总计为（一）至（六）之和；“部分公开（区分处理的，只计这一情形，不计其他情形）”")
def t3_result_total(ctx):
    """（七）总计 = （一）+（二）+Σ（三）+Σ（四）+Σ（五）+Σ（六）, for every column."""
    r = ctx.report
    rows = [k for k in REQUEST_RESULT_ROWS if k in r.requests.index]
    for c in (c.key for c in T.REQUEST_COLUMNS):
        parts = total(r.value("requests", k, c) for k in rows)
        t = r.value("requests", "total_processed", c)
        if parts is None or t is None or parts == t:
            continue
        yield ctx.find("T3-RESULT-TOTAL",
                       f"表三“{col('requests', c)}”列：各项办理结果之和为{fmt(parts)}，但（七）总计填报为{fmt(t)}",
                       table="requests", row="total_processed", column=c, expected=parts, actual=t)


@rule("T3-ROW-TOTAL", severity="error", category="arithmetic", title="表三每行：总计=自然人+五类法人或其他组织",
      basis="表三“总计”列为各申请人类型之和")
def t3_row_total(ctx):
    """总计 = 自然人 + 商业企业 + 科研机构 + 社会公益组织 + 法律服务机构 + 其他, for every row."""
    r = ctx.report
    for k in r.requests.index:
        parts = total(r.value("requests", k, c) for c in APPLICANT_COLUMNS)
        t = r.value("requests", k, "total")
        if parts is None or t is None or parts == t:
            continue
        yield ctx.find("T3-ROW-TOTAL",
                       f"表三“{row('requests', k)}”行：各申请人类型之和为{fmt(parts)}，但“总计”填报为{fmt(t)}",
                       table="requests", row=k, column="total", expected=parts, actual=t)


@rule("T3-BOUNDS", severity="error", category="arithmetic", title="表三数值应为非负整数，且办结数、结转数不超过受理总数",
      basis="由表结构推出：件数为非负整数；三（七）与四均不超过一+二")
def t3_bounds(ctx):
    """Every cell a non-negative integer; （七）总计 ≤ 一+二 and 四 ≤ 一+二."""
    yield from _cells_non_negative_int(ctx, "requests", "T3-BOUNDS")
    r = ctx.report
    for c in (c.key for c in T.REQUEST_COLUMNS):
        a, b = r.value("requests", "new_received", c), r.value("requests", "carried_over", c)
        if a is None or b is None:
            continue
        for k in ("total_processed", "carried_forward"):
            v = r.value("requests", k, c)
            if v is not None and v > a + b:
                yield ctx.find("T3-BOUNDS", f"表三“{col('requests', c)}”列：“{row('requests', k)}”为{fmt(v)}，"
                               f"超过一+二的受理总数{fmt(a + b)}", table="requests", row=k, column=c,
                               expected=f"≤{fmt(a + b)}", actual=v)


def _cells_non_negative_int(ctx, table, rule_id):
    r = ctx.report
    df = r.table(table)
    for k in df.index:
        for c in df.columns:
            v = r.value(table, k, c)
            if v is None:
                continue
            if v < 0 or (isinstance(v, float) and not v.is_integer()):
                yield ctx.find(rule_id, f"{T.TABLE_NAMES[table]}“{row(table, k)}”行“{col(table, c)}”列填报为{fmt(v)}，"
                               "件数应为非负整数", table=table, row=k, column=c, expected="非负整数", actual=v)
