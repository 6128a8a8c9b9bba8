"""Narrative versus table. Each rule first checks that the sentence is about the same quantity.

Warnings by default; errors only for "none" versus "some" contradictions (the competitor's
text checks had to be switched off for noise; these stay narrow on purpose).
"""
from __future__ import annotations

import re
from functools import lru_cache

from ..numbers import nfkc
from ._util import fmt, row, total
from .registry import rule

_GAP = r"[^。；;，,\d]{0,%d}?"
_N = r"(\d+)\s*(?:件|条|个|宗|次|份)"
_NOT_THIS_YEAR = re.compile(r"上年|去年|结转|累计|历年|以来")
# a count of another scope or a part: "代表区政府受理…", "其中…", "协助…办理…"
_OTHER_SCOPE = re.compile(r"代表|代为|协助|配合|转办|转交|其中|涉及|通过[^。；;，,]{0,6}(?:平台|网|信函|邮)")
_NOT_THE_YEARS_COUNT = re.compile(_NOT_THIS_YEAR.pattern + "|" + _OTHER_SCOPE.pattern)


def _narrative(ctx) -> str:
    """Text outside the tables: 总体情况 plus the prose around the tables (normalised once per report)."""
    if "narrative" not in ctx.memo:
        ctx.memo["narrative"] = nfkc("\n".join(ctx.report.sections.get(k, "")
                                               for k in ("overview", "requests", "appeals", "other")))
    return ctx.memo["narrative"]


@lru_cache(maxsize=64)
def _sentences(text: str) -> tuple[str, ...]:
    """The sentences of a text; cached, as a dozen rules walk the same narrative."""
    return tuple(s.strip() for s in re.split(r"[。；;\n]", text) if s.strip())


def _first(patterns, text, exclude=None):
    for s in _sentences(text):
        for p in patterns:
            m = p.search(s)
            if m and not (exclude and exclude.search(s[:m.start(1)])):
                return int(m.group(1)), s
    return None, None


_NEW = (re.compile(r"(?:收到|接到|受理|新收)" + _GAP % 16 + r"(?:政府信息公开|依申请公开)" + _GAP % 8 + r"(?:申请|事项)"
                   + _GAP % 6 + _N),
        re.compile(r"(?:收到|接到|受理|新收)" + _GAP % 4 + _N + _GAP % 14 + r"(?:政府信息公开|依申请公开|公开政府信息)"
                   + _GAP % 4 + r"申请"))
_REQUESTS = r"(?:政府信息公开申请|依申请公开(?:申请|事项)?|申请公开|公开申请)(?!人)"
_NONE_REQ = re.compile(r"(?:(?:未|没有|暂未|未曾)(?:接到|收到|受理|发生|有)[^。；;，,\d]{0,16}?"
                       r"|(?:暂无|无|没有|未有)(?:任何)?(?=政府信息公开申请|依申请公开))" + _REQUESTS +
                       r"(?![^。；;，,]{0,4}(?:收费|处理费))")
# "未发生因依申请公开引发的行政复议", "…申请不予答复的情况": what did not happen is something else
_ABOUT_SOMETHING_ELSE = re.compile(r"[^。；;，,]{0,8}?(?:引发|引起|导致|产生|涉及)?[^。；;，,]{0,4}?"
                                   r"(?:行政复议|行政诉讼|复议|诉讼|投诉|举报|收费|答复|逾期|超期|被纠|纠错|异议)")
# a part of the applications, named between "未收到" and "申请": a cause, a channel, a kind, the rest
_SOME_REQUESTS = re.compile(r"因|由于|通过|方式|渠道|形式|收费|处理费|需要|重复|网上|线上|线下|网络|书面|现场|当面|"
                            r"信函|邮寄|其他$")
_PERSONS, _ORGANISATIONS = re.compile(r"公民|自然人|个人|群众"), re.compile(r"法人|组织|企业|单位")


def _some_applicants(words: str) -> bool:
    """Only persons, or only organisations ("未收到法人或其他组织提出的申请"); both ("公民、法人或其他组织") are all."""
    return bool(_PERSONS.search(words)) != bool(_ORGANISATIONS.search(words))
_PART_OF_YEAR = re.compile(r"上半年|下半年|季度|除[^。；;]*外")
_CARRY_IN = (re.compile(r"上年(?:度)?(?:结转|转接|结余)" + _GAP % 12 + _N),)
_CARRY_OUT = (re.compile(r"(?:结转下一?年度?|转下一?年度|结转至下一?年度?)" + _GAP % 12 + _N),)
_REVIEW = (re.compile(r"行政复议" + r"(?:案件|申请|数)?(?:为|共)?" + r"\s*" + _N),)
_SUIT = (re.compile(r"行政诉讼" + r"(?:案件|类案件|数)?(?:为|共)?" + r"\s*" + _N),)
_NONE_APPEAL = re.compile(r"(?:未发生|没有发生|未收到|未被|没有|未有|无)[^。；;，,\d]{0,14}?(行政复议|行政诉讼)")
# "未发生…被纠错的行政复议": the cases that were not are a part (lost ones), not all of them
_LOST_CASES = re.compile(r"被纠|纠错|败诉|被撤销|确认违法")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")


def _not_the_whole_year(before: str, year) -> bool:
    """The clause before a "none" is about another time: last year, a part of the year, another year by number."""
    return bool(_NOT_THIS_YEAR.search(before) or _PART_OF_YEAR.search(before)
                or any(int(y) != year for y in _YEAR.findall(before)))


def _said_new(ctx) -> tuple[int | None, str | None]:
    """The first count of this year's new applications in the text, and its sentence (once per report)."""
    if "said-new" not in ctx.memo:
        ctx.memo["said-new"] = _first(_NEW, _narrative(ctx), exclude=_NOT_THE_YEARS_COUNT)
    return ctx.memo["said-new"]


def _req_total(r, key):
    return r.value("requests", key, "total")


@rule("N-NONE-REQ", severity="error", category="narrative", title="正文称未收到申请，表三却有新收申请",
      basis="广东省粤办函〔2010〕249号通报“数据失准”；正文与表三应一致")
def n_none_req(ctx):
    """Text says no 政府信息公开申请 were received, but 表三 一（总计） > 0. Not "none at all": a part of
    the applications (通过信函的, 需要收费的, 其他), another time (去年, 2023年, 上半年, 除…外), or something
    else that did not happen (因申请引发的复议, 不予答复的情况)."""
    r = ctx.report
    new = _req_total(r, "new_received")
    if not new:
        return
    text = _narrative(ctx)
    if _said_new(ctx)[0]:
        return            # the text itself counts this year's applications: a "none" elsewhere is about something else
    for s in _sentences(text):
        m = _NONE_REQ.search(s)
        if (m and not _not_the_whole_year(s[:m.start()], r.year) and not _ABOUT_SOMETHING_ELSE.match(s, m.end())
                and not _SOME_REQUESTS.search(words := re.sub(_REQUESTS + "$", "", m.group()))
                and not _some_applicants(words)):
            yield ctx.find("N-NONE-REQ", f"正文称“{s[:60]}”，但表三本年新收申请总计为{fmt(new)}件",
                           table="requests", row="new_received", column="total", expected=0, actual=new,
                           evidence=f"原文：“{s[:80]}”")
            return


@rule("N-T3-NEW", severity="warning", category="narrative", title="正文所述新收申请件数与表三不一致",
      basis="正文与表三应一致（同一数量）")
def n_t3_new(ctx):
    """“收到…申请 N 件” = 表三 一、本年新收 总计, and “其中自然人 a 件、法人 b 件” in the same sentence = its
    自然人 column and the sum of its five 法人或其他组织 columns. A warning: which quantity a sentence counts is a reading."""
    r = ctx.report
    table = _req_total(r, "new_received")
    said, sentence = _said_new(ctx)
    if said is None:
        return
    carried = _req_total(r, "carried_over")
    both = None not in (table, carried) and said == table + carried and re.search(r"办理|处理|结转", sentence)  # 一+二
    if table is not None and said != table and not both:
        yield ctx.find("N-T3-NEW", f"正文称新收申请{said}件，表三“一、本年新收”总计为{fmt(table)}件",
                       table="requests", row="new_received", column="total", expected=said, actual=table,
                       evidence=f"原文：“{sentence[:80]}”")
    for name, pattern, columns in _BY_APPLICANT:        # ("共办理" 一+二 sentences give no breakdown of 一)
        m = pattern.search(sentence)
        cells = total(r.value("requests", "new_received", c) for c in columns)
        if m and cells is not None and int(m.group(1)) != cells:
            yield ctx.find("N-T3-NEW", f"正文称新收{name}申请{m.group(1)}件，表三“一、本年新收”{name}为{fmt(cells)}件",
                           table="requests", row="new_received", column=columns[0], expected=int(m.group(1)),
                           actual=cells, evidence=f"原文：“{sentence[:80]}”", where=name)


_ORGS = ("commercial", "research", "social_org", "legal_service", "other_org")
_BY_APPLICANT = (
    ("自然人", re.compile(r"自然人(?:申请|提出)?[^。；;，,、\d]{0,4}?(\d+)\s*(?:件|份|个|条)"), ("natural_person",)),
    ("法人或其他组织", re.compile(r"法人(?:或其他组织|和其他组织|及其他组织)?(?:申请|提出)?[^。；;，,、\d]{0,4}?(\d+)\s*(?:件|份|个|条)"),
     _ORGS),
)


@rule("N-T3-CARRY", severity="warning", category="narrative", title="正文所述结转件数与表三不一致",
      basis="正文与表三应一致（同一数量）")
def n_t3_carry(ctx):
    """“上年结转 N 件” = 表三 二 总计; “结转下年度 N 件” = 表三 四 总计."""
    r = ctx.report
    text = _narrative(ctx)
    for patterns, key, name in ((_CARRY_IN, "carried_over", "上年结转"), (_CARRY_OUT, "carried_forward", "结转下年度")):
        said, sentence = _first(patterns, text)
        table = _req_total(r, key)
        if said is None or table is None or said == table:
            continue
        yield ctx.find("N-T3-CARRY", f"正文称{name}{said}件，表三为{fmt(table)}件", table="requests", row=key,
                       column="total", expected=said, actual=table, evidence=f"原文：“{sentence[:80]}”")


_RESULTS = (
    ("予以公开", r"(?:予以公开|同意公开)", ("granted",)),
    ("部分公开", r"部分公开", ("partly_granted",)),
    ("不予公开", r"不予公开", tuple(f"denied_{k}" for k in ("state_secret", "prohibited", "safety_stability",
                                                       "third_party", "internal_affairs", "process_info",
                                                       "enforcement_file", "inquiry"))),
    ("无法提供", r"无法提供", ("unable_not_held", "unable_needs_creation", "unable_unclear")),
    ("不予处理", r"不予处理", ("declined_petition", "declined_repeated", "declined_publication",
                          "declined_excessive", "declined_confirmation")),
)


_RESULT_NAMES = "|".join(p for _, p, _ in _RESULTS)
# one count for one result or for several joined ("予以公开及部分公开 N 件" counts both rows)
_RESULT_COUNT = re.compile(r"(?P<names>(?:(?:" + _RESULT_NAMES + r")(?:及|和|与|、|以及|或))*(?:" + _RESULT_NAMES + r"))"
                           r"(?:答复|的|了|申请)?" + _GAP % 3 + r"(\d+)\s*件")


@rule("N-T3-RESULTS", severity="warning", category="narrative", title="正文所述办理结果件数与表三不一致",
      basis="正文与表三应一致（同一数量）")
def n_t3_results(ctx):
    """“予以公开 a 件、部分公开 b 件、不予公开 c 件…” = the matching 表三 rows (c = Σ（三）…);
    “予以公开及部分公开 n 件” = the sum of both."""
    r = ctx.report
    seen = set()
    for s in _sentences(_narrative(ctx)):
        for m in _RESULT_COUNT.finditer(s):
            groups = [(name, rows) for name, pattern, rows in _RESULTS if re.search(pattern, m.group("names"))]
            name = "及".join(g[0] for g in groups)
            if name in seen:
                continue
            seen.add(name)
            said = int(m.group(2))
            table = total(_req_total(r, k) for _, rows in groups for k in rows if k in r.requests.index)
            if table is None or said == table:
                continue
            yield ctx.find("N-T3-RESULTS", f"正文称{name}{said}件，表三对应各项合计为{fmt(table)}件", table="requests",
                           row=groups[0][1][0], column="total", expected=said, actual=table,
                           evidence=f"原文：“{s[:80]}”", where=name)


@rule("N-T4-COUNTS", severity="warning", category="narrative", title="正文所述行政复议、行政诉讼件数与表四不一致",
      basis="正文与表四应一致（同一数量）")
def n_t4_counts(ctx):
    """“行政复议 N 件” = 表四 行政复议 总计; “行政诉讼 M 件” = 直接起诉 + 复议后起诉 总计;
    “均获维持” only when nothing was corrected, otherwise decided or is pending."""
    r = ctx.report
    yield from _all_upheld(ctx)
    text = _narrative(ctx)
    review = r.value("appeals", "review", "total")
    suits = total(r.value("appeals", k, "total") for k in ("suit_direct", "suit_after_review"))
    for patterns, table, key, name in ((_REVIEW, review, "review", "行政复议"), (_SUIT, suits, "suit_direct", "行政诉讼")):
        said, sentence = _first(patterns, text)
        if said is None or table is None or said == table:
            continue
        yield ctx.find("N-T4-COUNTS", f"正文称{name}{said}件，表四为{fmt(table)}件", table="appeals", row=key,
                       column="total", expected=said, actual=table, evidence=f"原文：“{sentence[:80]}”")


_ALL_UPHELD = re.compile(r"(?:均|全部|都)(?:获|被|已|得到)?(?:维持|胜诉)")


def _all_upheld(ctx):
    """“均获维持” (all upheld) while 表四 shows cases corrected, otherwise decided or still pending."""
    r = ctx.report
    for s in _sentences(_narrative(ctx)):
        if ("复议" in s or "诉讼" in s) and _ALL_UPHELD.search(s):
            rows = [k for k in ("review", "suit_direct", "suit_after_review")
                    if ("复议" in s and k == "review") or ("诉讼" in s and k != "review")]
            for k in rows:
                other = total(r.value("appeals", k, c) for c in ("corrected", "other", "pending"))
                if other:
                    yield ctx.find("N-T4-COUNTS", f"正文称“{s[:40]}”，但表四{row('appeals', k)}有纠正、其他结果或尚未审结"
                                   f"共{other}件", table="appeals", row=k, column="upheld",
                                   expected=r.value("appeals", k, "total"), actual=r.value("appeals", k, "upheld"),
                                   evidence=f"原文：“{s[:80]}”", where="upheld")
            return


@rule("N-NONE-APPEAL", severity="error", category="narrative", title="正文称未发生行政复议/诉讼，表四却有案件",
      basis="正文与表四应一致")
def n_none_appeal(ctx):
    """Text says there was no 行政复议/行政诉讼, but a 表四 总计 > 0. Not "none at all": cases lost
    (未发生被纠错的复议, 败诉), or another time (去年, 2023年, 上半年)."""
    r = ctx.report
    review = r.value("appeals", "review", "total")
    suits = [r.value("appeals", k, "total") for k in ("suit_direct", "suit_after_review")]
    for s in _sentences(_narrative(ctx)):
        if "行政" not in s:               # cheap test first: the pattern backtracks on every "无"
            continue
        for m in _NONE_APPEAL.finditer(s):
            clause_end = next((i for i in range(m.end(), len(s)) if s[i] in "，,"), len(s))
            if _not_the_whole_year(s[:m.start()], r.year) or _LOST_CASES.search(s, m.start(), clause_end):
                continue
            if m.group(1) == "行政复议" and review:
                yield ctx.find("N-NONE-APPEAL", f"正文称“{s[:50]}”，但表四行政复议总计为{fmt(review)}件",
                               table="appeals", row="review", column="total", expected=0, actual=review,
                               evidence=f"原文：“{s[:80]}”")
                return
            if m.group(1) == "行政诉讼" and any(suits):
                yield ctx.find("N-NONE-APPEAL", f"正文称“{s[:50]}”，但表四行政诉讼总计为{fmt(sum(v or 0 for v in suits))}件",
                               table="appeals", row="suit_direct", column="total", expected=0,
                               actual=sum(v for v in suits if v), evidence=f"原文：“{s[:80]}”")
                return


_WHOLE = re.compile(r"(?:发布|公开)[^。；;\d]{0,14}?信息\s*(\d+)\s*条")
_PART = re.compile(r"(?:其中|领域|方面)[^。；;\d]{0,24}?(?:发布|公开)[^。；;\d]{0,14}?(\d+)\s*条")


@rule("N-TEXT-SELF", severity="warning", category="narrative", title="正文数字自相矛盾（部分大于整体，或同一数量前后不一）",
      basis="由文意推出：分项数不应大于总数；同一数量在正文中只应有一个数值")
def n_text_self(ctx):
    """A part ("其中/在…领域 公开 M 条") larger than the whole stated before it in the same paragraph;
    or the same quantity stated twice with different numbers."""
    r = ctx.report
    yield from _repeated_quantities(ctx)
    yield from _parts_not_adding_up(ctx)
    for key, text in r.sections.items():
        for para in nfkc(text).split("\n"):
            whole = _WHOLE.search(para)
            if not whole:
                continue
            n = int(whole.group(1))
            for m in _PART.finditer(para, whole.end()):
                part = int(m.group(1))
                if part > n:
                    quote = para[whole.start(): m.end()]
                    yield ctx.find("N-TEXT-SELF", f"正文先称发布信息{n}条，后称其中一部分为{part}条，分项大于总数",
                                   section=key, expected=f"≤{n}", actual=part,
                                   evidence=f"原文：“{quote[:120]}”", where=str(m.start()))


PERCENT_TOLERANCE = 0.5        # percentage points: rounding in the text is not a finding
_PERCENT = r"(?:答复|的|了|申请)?" + _GAP % 3 + r"(\d+)\s*件\s*[，,、]?\s*(?:占|约占|占比)" + _GAP % 8 + r"(\d+(?:\.\d+)?)\s*[%％]"


@rule("N-PERCENT", severity="warning", category="narrative", title="正文所述办理结果占比与表三不符",
      basis="由表三推出：占比 = 该项件数 ÷ 办理总数（或新收、新收加结转）")
def n_percent(ctx):
    """“部分公开 258 件，占 33.9%”: the share recomputed from 表三 on every plausible base.

    Gate: the stated count must equal the table's, so the sentence is about the same quantity;
    a finding only when no base (（七）总计, 新收, 新收 + 结转) gives the stated share within 0.5 point.
    """
    r = ctx.report
    text = _narrative(ctx)
    new, carried, processed = (_req_total(r, k) for k in ("new_received", "carried_over", "total_processed"))
    bases = {b for b in (processed, new, total((new, carried))) if b}
    if not bases:
        return
    for name, pattern, rows in _RESULTS:
        for s in _sentences(text):
            m = re.search(pattern + _PERCENT, s)
            if not m:
                continue
            count, share = int(m.group(1)), float(m.group(2))
            table = total(_req_total(r, k) for k in rows if k in r.requests.index)
            if table != count:
                continue
            shares = {b: 100 * count / b for b in bases}
            if any(abs(v - share) <= PERCENT_TOLERANCE for v in shares.values()):
                continue
            expected = shares.get(processed) or next(iter(shares.values()))
            yield ctx.find("N-PERCENT", f"正文称{name}{count}件占{share:g}%，按表三（{'、'.join(fmt(b) for b in sorted(bases))}件为基数）"
                           f"应约为{expected:.1f}%", table="requests", row=rows[0], column="total",
                           expected=f"{expected:.1f}%", actual=f"{share:g}%", evidence=f"原文：“{s[:80]}”", where=name)
            break


# "公开信息 37 条，其中 A 1 条、B 18 条…": a whole, then its parts listed one by one
_WHOLE_THEN_PARTS = re.compile(r"(?:公开|发布)[^。；;\d]{0,14}?(\d+)\s*条[，,]?\s*其中")
# "…其他类 97 条；办理依申请公开 1 件": the next clause is about applications, not a category of information
# ("办理对外管理服务事项的依据 1 条" is a category: 办理 alone does not end the list, 办理 … 件 does)
_NOT_A_CATEGORY = re.compile(r"申请|受理|答复|办理[^\d]*\d+\s*件")
_LISTED_PART = re.compile(r"\s*[^\d。；;，,]{1,40}?(\d+)\s*[条件](?:[，,、；;]|$)")


def _parts_not_adding_up(ctx):
    """The parts listed after "其中" add up to more than the whole stated just before; or to less, when the
    list is plainly complete (it has a catch-all "其他…").
    A list may run over "；" (one item per clause), so sentences here end only at "。"."""
    for s in (s.strip() for s in re.split(r"[。\n]", _narrative(ctx))):
        m = _WHOLE_THEN_PARTS.search(s)
        if not m:
            continue
        whole, parts, pos, complete = int(m.group(1)), [], m.end(), False
        while (p := _LISTED_PART.match(s, pos)) and not _NOT_A_CATEGORY.search(p.group()):
            parts.append(int(p.group(1)))             # the list ends where a piece is not "类别 N 条",
            pos = p.end()                             # or where it has reached the whole (a new clause follows)
            complete = complete or bool(re.match(r"\s*其[他它]", p.group()))
            if sum(parts) == whole:
                break
        if len(parts) >= 2 and (sum(parts) > whole or (complete and sum(parts) < whole)):
            yield ctx.find("N-TEXT-SELF", f"正文称公开信息{whole}条，其后所列各项合计{sum(parts)}条，与总数不符",
                           section="overview", expected=whole, actual=sum(parts), evidence=f"原文：“{s[:120]}”",
                           where=f"parts{m.start()}")


# the same quantity stated twice: only phrases that name it unambiguously
_SAME_QUANTITY = (
    ("新收政府信息公开申请", re.compile(r"(?:收到|新收)" + _GAP % 8 + r"政府信息公开申请" + _GAP % 4 + r"(\d+)\s*件")),
    ("主动公开政府信息", re.compile(r"(?:全年|本年度?|年内)" + _GAP % 6 + r"(?:共|累计)?(?:主动)?公开政府信息\s*(\d+)\s*条")),
)


def _repeated_quantities(ctx):
    """The same quantity ("收到政府信息公开申请 N 件", "全年主动公开政府信息 N 条") stated with different numbers."""
    text = _narrative(ctx)
    for name, pattern in _SAME_QUANTITY:
        said: dict[int, str] = {}
        for s in _sentences(text):
            if _NOT_THIS_YEAR.search(s):
                continue
            for m in pattern.finditer(s):
                said.setdefault(int(m.group(1)), s)
        if len(said) > 1:
            values = sorted(said)
            quotes = "”与“".join(said[v][:50] for v in values[:2])
            yield ctx.find("N-TEXT-SELF", f"正文两处提到{name}，数量分别为{'、'.join(map(str, values))}",
                           section="overview", expected=values[0], actual=values[-1], evidence=f"原文：“{quotes}”",
                           where=name)
