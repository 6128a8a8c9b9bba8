"""Table 四: 行政复议、行政诉讼情况."""
from __future__ import annotations

from .. import template as T
from ._util import fmt, row, total
from .registry import rule
from .table3 import _cells_non_negative_int


@rule("T4-TOTAL", severity="error", category="arithmetic",
      title="表四总计=结果维持+结果纠正+其他结果+尚未审结",
      basis="表四各类别“总计”含“尚未审结”（国办公开办函〔2021〕30号 表四列设置）")
def t4_total(ctx):
    """For 行政复议, 未经复议直接起诉 and 复议后起诉: 总计 = 维持 + 纠正 + 其他 + 尚未审结."""
    r = ctx.report
    for k in (x.key for x in T.APPEAL_ROWS):
        parts = total(r.value("appeals", k, c) for c in ("upheld", "corrected", "other", "pending"))
        t = r.value("appeals", k, "total")
        if parts is None or t is None or parts == t:
            continue
        yield ctx.find("T4-TOTAL", f"表四“{row('appeals', k)}”：结果维持、结果纠正、其他结果、尚未审结之和为{fmt(parts)}，"
                       f"但“总计”填报为{fmt(t)}", table="appeals", row=k, column="total", expected=parts, actual=t)


@rule("T4-BOUNDS", severity="error", category="arithmetic", title="表四数值应为非负整数", basis="由表结构推出")
def t4_bounds(ctx):
    """All 表四 cells are non-negative integers."""
    yield from _cells_non_negative_int(ctx, "appeals", "T4-BOUNDS")
