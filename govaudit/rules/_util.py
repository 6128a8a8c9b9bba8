"""Small helpers shared by rules. Rules never treat NA as 0: a sum with an NA part is not computed."""
from __future__ import annotations

import re

from .. import template as T

_GRASSROOTS = re.compile(r"(?:乡|镇|街道|街道办事处|办事处)(?:人民政府)?$")


def is_township(agency: str | None) -> bool:
    """A 乡/镇/街道 unit, judged by the end of its name."""
    return bool(agency) and bool(_GRASSROOTS.search(agency))


# a region's own government: 人民政府, a 地区's 行政公署, a 管委会 of a 实验区/新区/开发区/片区…, or the region's bare name
_REGION = r"(?:省|自治区|市|州|盟|县|旗|区|实验区|新区|开发区|示范区|高新区|园区|片区|合作区|经济区)"
_GOVERNMENT = re.compile(r"(?:人民政府|政府|行政公署|行署)$|" + _REGION + r"(?:党工委)?(?:管委会|管理委员会)$|^[\u4e00-\u9fff]{2,12}?"
                         + _REGION + r"$")
# a department: an office of a government; a 片区/园区 管理局 is a 派出机构 whose level a name cannot tell
_DEPARTMENT = re.compile(r"(?:局|委|委员会|办|办公室|厅|中心|署|院|所|站|队|处|馆|会|行|社)$")
_OUTPOST = re.compile(r"(?:片区|园区|景区|林场|农场)(?:管理局|管理处|管理办公室)$")


# a higher level printed before a county-level unit's name: "淮安市洪泽区人民政府" is "洪泽区人民政府"
_HIGHER_LEVEL = re.compile(r"^(?:[\u4e00-\u9fff]{2,7}?(?:省|自治区))?(?:[\u4e00-\u9fff]{2,7}?市)?"
                           r"(?=[\u4e00-\u9fff]{1,7}?(?:区|县|旗|自治县)[\u4e00-\u9fff]{2,})")


def unit_key(agency: str | None) -> str:
    """The unit a name stands for, with or without the higher levels printed before it (pairs years)."""
    return _HIGHER_LEVEL.sub("", agency or "")


def unit_type(agency: str | None) -> str:
    """"government" (本级政府), "department" (县级以上政府部门), "township" (乡镇街道) or "unclear"."""
    if not agency:
        return "unclear"
    if is_township(agency):
        return "township"
    if _GOVERNMENT.search(agency):
        return "government"
    if _OUTPOST.search(agency):
        return "unclear"
    return "department" if _DEPARTMENT.search(agency) else "unclear"


REQUEST_RESULT_ROWS = tuple(r.key for r in T.ALL_REQUEST_ROWS
                            if r.key not in ("new_received", "carried_over", "total_processed", "carried_forward"))
APPLICANT_COLUMNS = ("natural_person", "commercial", "research", "social_org", "legal_service", "other_org")


def total(values):
    """Sum, or None when any part is NA."""
    values = list(values)
    if any(v is None for v in values):
        return None
    return sum(values)


def fmt(v) -> str:
    if v is None:
        return "空"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def col(table: str, column: str) -> str:
    return T.column_label(table, column)


def row(table: str, key: str) -> str:
    return T.row_label(table, key)
