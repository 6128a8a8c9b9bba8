"""The report templates as data: sections, tables, row and column keys.

Two templates are in use:

* ``"2021"`` — 国办公开办函〔2021〕30号, for reports on 2021 and later;
* ``"2019"`` — 国办公开办函〔2019〕60号, for reports on 2019 and 2020.

Parsers and rules read labels from here; nobody hard-codes them elsewhere.
Every row carries its official label and the *keywords* that identify it in
real documents once text is normalised (see :func:`normalize_label`): short,
distinctive fragments that survive wrapped lines (a long label's own beginning stays on its first line), lost punctuation, shortened
labels and the typos seen in published reports.  A label that is recognised
only through a variant or typo keyword is recorded on the Report
(``Report.label_deviations``) so that a rule can report it.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

TEMPLATES = ("2021", "2019")


@dataclass(frozen=True)
class Row:
    key: str
    label: str                       # official wording
    keywords: tuple[str, ...]        # normalised fragments that identify the row
    variants: tuple[str, ...] = ()   # fragments that identify it only through a deviation
    group: str = ""                  # the group label the row sits under, for messages


@dataclass(frozen=True)
class Column:
    key: str
    label: str


@dataclass(frozen=True)
class Section:
    key: str
    number: str
    title: str
    keywords: tuple[str, ...]        # heading phrases, normalised


@dataclass(frozen=True)
class Table:
    key: str                         # "active" | "requests" | "appeals"
    title: str
    section: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    # for table 二 every row has its own columns
    row_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def columns_of(self, row: str) -> tuple[str, ...]:
        return self.row_columns.get(row) or tuple(c.key for c in self.columns)

    def row(self, key: str) -> Row:
        return next(r for r in self.rows if r.key == key)

    def column_label(self, key: str) -> str:
        return next((c.label for c in self.columns if c.key == key), key)


_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


def normalize_label(text: str) -> str:
    """NFKC, then keep only letters, digits and CJK characters.

    ``"（二）部分公开 (区分处理的, …)"`` → ``"二部分公开区分处理的…"``.
    """
    return _PUNCT.sub("", unicodedata.normalize("NFKC", text))


SECTIONS: tuple[Section, ...] = (
    Section("overview", "一", "总体情况", ("总体情况", "概述")),
    Section("active", "二", "主动公开政府信息情况", ("主动公开政府信息情况", "主动公开政府信息的情况")),
    Section("requests", "三", "收到和处理政府信息公开申请情况",
            ("收到和处理政府信息公开申请情况", "收到和处理政府信息公开申请的情况")),
    Section("appeals", "四", "政府信息公开行政复议、行政诉讼情况",
            ("政府信息公开行政复议行政诉讼情况", "政府信息公开行政复议和行政诉讼情况",
             "因政府信息公开申请行政复议提起行政诉讼的情况", "政府信息公开行政复议行政诉讼的情况",
             "因政府信息公开工作被申请行政复议提起行政诉讼的情况", "因政府信息公开工作被申请行政复议提起行政诉讼情况")),
    Section("problems", "五", "存在的主要问题及改进情况",
            ("存在的主要问题及改进情况", "政府信息公开工作存在的主要问题及改进情况", "存在的主要问题和改进情况")),
    Section("other", "六", "其他需要报告的事项", ("其他需要报告的事项",)),
)
SECTION_KEYS = tuple(s.key for s in SECTIONS)
SECTION_HEADINGS = {s.key: f"{s.number}、{s.title}" for s in SECTIONS}     # "五、存在的主要问题及改进情况"

# --- table 三 -----------------------------------------------------------------

REQUEST_COLUMNS = (
    Column("natural_person", "自然人"),
    Column("commercial", "商业企业"),
    Column("research", "科研机构"),
    Column("social_org", "社会公益组织"),
    Column("legal_service", "法律服务机构"),
    Column("other_org", "其他"),
    Column("total", "总计"),
)

_G3, _G4, _G5, _G6 = "（三）不予公开", "（四）无法提供", "（五）不予处理", "（六）其他处理"
REQUEST_RESULTS_HEADING = "三、本年度办理结果"     # the heading row above （一）予以公开

_REQUEST_HEAD = (
    Row("new_received", "一、本年新收政府信息公开申请数量", ("本年新收",)),
    Row("carried_over", "二、上年结转政府信息公开申请数量", ("上年结转",)),
    Row("granted", "（一）予以公开", ("予以公开",)),
    Row("partly_granted", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", ("部分公开",)),
    Row("denied_state_secret", "1.属于国家秘密", ("国家秘密",), group=_G3),
    Row("denied_prohibited", "2.其他法律行政法规禁止公开", ("禁止公开", "其他法律行政法规"), ("行政止公开",), group=_G3),
    Row("denied_safety_stability", "3.危及“三安全一稳定”", ("三安全一稳定",), group=_G3),
    Row("denied_third_party", "4.保护第三方合法权益", ("第三方合法权益",), group=_G3),
    Row("denied_internal_affairs", "5.属于三类内部事务信息", ("三类内部事务",), group=_G3),
    Row("denied_process_info", "6.属于四类过程性信息", ("四类过程性",), group=_G3),
    Row("denied_enforcement_file", "7.属于行政执法案卷", ("行政执法案卷",), group=_G3),
    Row("denied_inquiry", "8.属于行政查询事项", ("行政查询事项",), group=_G3),
    Row("unable_not_held", "1.本机关不掌握相关政府信息", ("本机关不掌握",), group=_G4),
    Row("unable_needs_creation", "2.没有现成信息需要另行制作", ("没有现成信息", "需要另行制作"), group=_G4),
    Row("unable_unclear", "3.补正后申请内容仍不明确", ("补正后申请内容仍不明确", "仍不明确"), group=_G4),
    Row("declined_petition", "1.信访举报投诉类申请", ("信访举报投诉",), group=_G5),
    Row("declined_repeated", "2.重复申请", ("重复申请",), group=_G5),
    Row("declined_publication", "3.要求提供公开出版物", ("公开出版物",), group=_G5),
    Row("declined_excessive", "4.无正当理由大量反复申请", ("大量反复",), group=_G5),
    Row("declined_confirmation", "5.要求行政机关确认或重新出具已获取信息", ("重新出具", "确认或重新", "要求行政机关确认"),
        group=_G5),
)
_REQUEST_OTHER_2021 = (
    Row("other_no_correction", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        ("逾期不补正", "无正当理由逾期"), group=_G6),
    Row("other_unpaid_fee", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        ("收费通知", "缴纳费用", "逾期未按收费"), group=_G6),
    Row("other_other", "3.其他", ("3其他",), group=_G6),
)
# The 2019 template prints （六）其他处理 as one row; some later reports kept it.
OTHER_SINGLE_ROW = Row("other", "（六）其他处理", ("六其他处理",))
_REQUEST_TAIL = (
    Row("total_processed", "（七）总计", ("七总计",)),
    Row("carried_forward", "四、结转下年度继续办理", ("结转下年度",)),
)

_REQUEST_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"

# --- table 二 -----------------------------------------------------------------

ACTIVE_COLUMNS_2021 = (
    Column("issued", "本年制发件数"),
    Column("repealed", "本年废止件数"),
    Column("in_force", "现行有效件数"),
    Column("decisions", "本年处理决定数量"),
    Column("amount", "本年收费金额（单位：万元）"),
)
ACTIVE_ROWS_2021 = (
    Row("regulations", "规章", ("规章",)),
    Row("normative_documents", "行政规范性文件", ("规范性文件",)),
    Row("licensing", "行政许可", ("行政许可",)),
    Row("punishment", "行政处罚", ("行政处罚",)),
    Row("coercion", "行政强制", ("行政强制",)),
    Row("admin_fees", "行政事业性收费", ("行政事业性收费",)),
)
ACTIVE_ROW_COLUMNS_2021 = {
    "regulations": ("issued", "repealed", "in_force"),
    "normative_documents": ("issued", "repealed", "in_force"),
    "licensing": ("decisions",),
    "punishment": ("decisions",),
    "coercion": ("decisions",),
    "admin_fees": ("amount",),
}
ACTIVE_COLUMNS_2019 = (
    Column("new_made", "本年新制作数量"),
    Column("new_published", "本年新公开数量"),
    Column("total_published", "对外公开总数量"),
    Column("prev_year_items", "上一年项目数量"),
    Column("change", "本年增/减"),
    Column("decisions", "处理决定数量"),
    Column("items", "采购项目数量"),
    Column("amount_yuan", "采购总金额"),
)
ACTIVE_ROWS_2019 = (
    Row("regulations", "规章", ("规章",)),
    Row("normative_documents", "规范性文件", ("规范性文件",)),
    Row("licensing", "行政许可", ("行政许可",)),
    Row("other_services", "其他对外管理服务事项", ("其他对外管理服务事项", "对外管理服务")),
    Row("punishment", "行政处罚", ("行政处罚",)),
    Row("coercion", "行政强制", ("行政强制",)),
    Row("admin_fees", "行政事业性收费", ("行政事业性收费",)),
    Row("procurement", "政府集中采购", ("政府集中采购",)),
)
ACTIVE_ROW_COLUMNS_2019 = {
    "regulations": ("new_made", "new_published", "total_published"),
    "normative_documents": ("new_made", "new_published", "total_published"),
    "licensing": ("prev_year_items", "change", "decisions"),
    "other_services": ("prev_year_items", "change", "decisions"),
    "punishment": ("prev_year_items", "change", "decisions"),
    "coercion": ("prev_year_items", "change", "decisions"),
    "admin_fees": ("prev_year_items", "change"),
    "procurement": ("items", "amount_yuan"),
}
# Column headers that tell the templates apart (normalised).
MARKERS_2021 = ("本年制发件数", "本年废止件数", "现行有效件数", "本年收费金额")
MARKERS_2019 = ("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量", "采购项目数量")
# The 2019 row label "规范性文件" where the 2021 template prints "行政规范性文件" (normalised text).
LABEL_2019_IN_2021 = r"(?<!行政)规范性文件(?=\d|本年|$)"
# Typos and variants of table 二 column headers seen in real reports.
ACTIVE_HEADER_VARIANTS = {"本年度止件数": "本年废止件数"}

# --- table 四 -----------------------------------------------------------------

APPEAL_COLUMNS = (
    Column("upheld", "结果维持"),
    Column("corrected", "结果纠正"),
    Column("other", "其他结果"),
    Column("pending", "尚未审结"),
    Column("total", "总计"),
)
APPEAL_ROWS = (
    Row("review", "行政复议", ("行政复议",)),
    Row("suit_direct", "行政诉讼·未经复议直接起诉", ("未经复议直接起诉",)),
    Row("suit_after_review", "行政诉讼·复议后起诉", ("复议后起诉",)),
)


def _requests(template: str, single_other: bool) -> Table:
    other = (OTHER_SINGLE_ROW,) if single_other else _REQUEST_OTHER_2021
    return Table("requests", "收到和处理政府信息公开申请情况", "requests",
                 REQUEST_COLUMNS, _REQUEST_HEAD + other + _REQUEST_TAIL)


def active_table(template: str) -> Table:
    if template == "2019":
        return Table("active", "主动公开政府信息情况", "active", ACTIVE_COLUMNS_2019,
                     ACTIVE_ROWS_2019, ACTIVE_ROW_COLUMNS_2019)
    return Table("active", "主动公开政府信息情况", "active", ACTIVE_COLUMNS_2021,
                 ACTIVE_ROWS_2021, ACTIVE_ROW_COLUMNS_2021)


def requests_table(template: str, single_other: bool | None = None) -> Table:
    """Table 三. The 2019 template has one （六） row; 2021 has three."""
    if single_other is None:
        single_other = template == "2019"
    return _requests(template, single_other)


def appeals_table() -> Table:
    return Table("appeals", "政府信息公开行政复议、行政诉讼情况", "appeals", APPEAL_COLUMNS, APPEAL_ROWS)


ALL_REQUEST_ROWS = _REQUEST_HEAD + _REQUEST_OTHER_2021 + (OTHER_SINGLE_ROW,) + _REQUEST_TAIL


def row_label(table: str, row: str) -> str:
    """Official label of a row key in any template (for messages)."""
    rows = {"requests": ALL_REQUEST_ROWS, "appeals": APPEAL_ROWS,
            "active": ACTIVE_ROWS_2021 + ACTIVE_ROWS_2019}[table]
    return next((r.label for r in rows if r.key == row), row)


def column_label(table: str, column: str) -> str:
    cols = {"requests": REQUEST_COLUMNS, "appeals": APPEAL_COLUMNS,
            "active": ACTIVE_COLUMNS_2021 + ACTIVE_COLUMNS_2019}[table]
    return next((c.label for c in cols if c.key == column), column)


TABLE_NAMES = {"active": "表二", "requests": "表三", "appeals": "表四"}
