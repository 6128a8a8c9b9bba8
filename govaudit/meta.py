"""What a report says about itself: its title, agency, year, publication and signing dates.

The title is found among the first lines of the text, past web navigation (breadcrumbs, menus, a site
name) and never in a body sentence; a web page with no title line has its own ``<title>``.
"""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from .document import Document
from .numbers import nfkc

_TITLE_AGENCY_FIRST = re.compile(r"^(?P<agency>.+?)(?P<year>(?:19|20)\d{2})\s*年度?\s*(?:的)?\s*(?:政府|政务)?信息公开")
_TITLE_YEAR_FIRST = re.compile(r"^(?P<year>(?:19|20)\d{2})\s*年度?\s*(?P<agency>.+?)\s*(?:政府|政务)?信息公开")
_DATE = re.compile(r"((?:19|20)\d{2})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
_PUBLISHED = re.compile(r"(?:发布时间|发布日期|公开时间|公开日期|发文日期|发布于)\s*[】\]]?\s*[:：]?\s*" + _DATE.pattern)
_STAT_REACH = 30             # characters from "统计期限" / "统计数据的时间" to the span it names
# where a web page lists other pages (with their own dates) below the report
_OTHER_PAGE_REACH = 120      # characters from such a heading to a listed page's date
_OTHER_PAGES = re.compile(r"相关(?:文章|链接|阅读|信息|文件|新闻|推荐)|上一篇|下一篇|热点推荐|推荐阅读")
_STAT_PERIOD = re.compile(r"((?:19|20)\d{2})\s*年\s*(?:度\s*)?1\s*月\s*1\s*日\s*(?:起)?\s*(?:至|到|—|-|－|~)\s*"
                          r"(?:((?:19|20)\d{2})\s*年\s*)?12\s*月\s*31\s*日")
_SIGNED = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_NO_AGENCY_TITLE = re.compile(r"^\s*(?:19|20)\d{2}\s*年度?\s*(?:政府|政务)?信息公开")
_TITLE_PREFIX = re.compile(r"^\s*(?:标题|题目|名称)\s*[:：]\s*")


def _title(doc: Document, lines: list[str]) -> str:
    for line in lines[:15]:
        if _TITLE_PREFIX.match(line):
            return _TITLE_PREFIX.sub("", line).strip()
    candidates = [_after_breadcrumb(ln.strip().lstrip("#").strip()) for ln in lines[:20] if ln.strip()]
    candidates = [ln for ln in candidates if ln and not _is_navigation(ln) and not _is_sentence(ln)]
    for i, line in enumerate(candidates[:8]):
        if not _names_report(line) and any(_REPORT_LINE.search(ln) for ln in candidates[i + 1:8]):
            continue        # a site name ("示例县政务公开网") above the title that names year and report
        if "年度报告" in line or "政府信息公开" in line or "政务公开" in line:
            title = line
            if i and _NO_AGENCY_TITLE.match(line) and _is_agency_line(candidates[i - 1]):
                title = candidates[i - 1] + title      # the agency printed on its own line above
            for nxt in candidates[i + 1:i + 3]:
                if "年度报告" in title or len(title) > 60:
                    break
                title += nxt
            # a flattened page: the title runs into the body
            cut = title.find("年度报告")
            return title[:cut + 4] if cut >= 0 else title
    # a web page: menus and breadcrumbs come first; the title is the first short line that names the report
    for line in lines[20:120]:
        line = line.strip()
        if len(line) <= 60 and _REPORT_TITLE.search(line):
            return line
    return _page_title(doc.meta.get("page_title", ""))


# web navigation printed before the title: breadcrumbs ("首页 > 政务公开 > 年报"), menus ("首页 | 政务公开 | …")
_NAV_WORDS = re.compile(r"首页|当前位置|您的位置|所在位置|当前的位置|网站地图|字体\s*[:：]|浏览次数")
_NAV_SEPARATOR = re.compile(r"\s*(?:>|＞|›|»|\||｜|/|→)\s*")
_NAV_ITEM = re.compile(r"^(?:政务公开|政府信息公开年报|政府信息公开|信息公开年报|信息公开|公开年报|年报)(?!工作)")
_REPORT_LINE = re.compile(r"(?:19|20)\d{2}\s*年.{0,40}?(?:年度报告|年报)")


def _after_breadcrumb(line: str) -> str:
    """A title printed after the page's breadcrumb on the same line: the part after its last separator."""
    m = _REPORT_LINE.search(line)
    if not m or not _NAV_WORDS.search(line[:m.start()]):
        return line
    cuts = [s.end() for s in _NAV_SEPARATOR.finditer(line, 0, m.start())]
    if not cuts:
        return line
    # the last item glued to the title when the page's text runs together: "首页 | 政务公开示例县…"
    return _NAV_ITEM.sub("", line[max(cuts):].strip())


def _is_navigation(line: str) -> bool:
    """A breadcrumb or menu line: navigation words, or items between two or more separators; never a title."""
    if _REPORT_LINE.search(line) and not _NAV_WORDS.search(line):
        return False
    return bool(_NAV_WORDS.search(line)) or len(_NAV_SEPARATOR.findall(re.sub(_DATE, "", line))) >= 2


def _is_sentence(line: str) -> bool:
    """Body text, not a title: a clause ends before the words that would name the report."""
    end = line.find("年度报告")
    return bool(re.search(r"[，。；,;]", line[:end] if end >= 0 else line))


def _page_title(title: str) -> str:
    """The page's own title (HTML <title>), when the text has none: the report's name, without the site's."""
    m = _REPORT_LINE.search(title)
    if not m or "年度报告" not in m.group():
        return ""
    return _NAV_SEPARATOR.split(title[:m.end()])[-1].strip()


def _names_report(line: str) -> bool:
    return "年度报告" in line or "年报" in line or bool(re.search(r"(?:19|20)\d{2}\s*年", line))


_REPORT_TITLE = re.compile(r"(?:19|20)\d{2}\s*年度?\s*(?:的)?\s*政府信息公开工作年度报告\s*$")


def _is_agency_line(line: str) -> bool:
    return len(line) <= 30 and not re.search(r"\d|[。，：:]", line)


def report_meta(doc: Document, text: str, lines: list[str]) -> dict:
    title = _title(doc, lines)
    compact = re.sub(r"\s+", "", nfkc(title))
    agency, year = "", None
    m = _TITLE_AGENCY_FIRST.match(compact) or _TITLE_YEAR_FIRST.match(compact)
    if m:
        agency, year = m.group("agency").strip("《》“”\"'：:"), int(m.group("year"))
        agency = re.sub(r"关于$", "", agency)       # "XX局关于2021年…年度报告" (a covering letter's title)
    period = _stat_period(nfkc(text))
    if year is None and period:
        year = int(period.group(1))
    published = None
    head = nfkc("\n".join(lines[:15]))
    pm = _own_date(head) or _own_date(nfkc(text))
    if pm:
        published = _mkdate(pm.group(1), pm.group(2), pm.group(3))
    signed = signed_end = None
    tail = nfkc(text[-400:]).rstrip()
    for sm in _SIGNED.finditer(tail):
        signed = _mkdate(*sm.groups()) or signed
        signed_end = sm.end()
    meta = {
        "title": title,
        "agency": agency or None,
        "year": year,
        "source": doc.path,
        "format": Path(doc.path).suffix.lower().lstrip("."),
        "sha256": doc.sha256,
        "publication_date": published,
        "signed_date": signed,
        # the text ends with it: the 落款, not a date in a page's footer
        "signed_at_end": signed is not None and signed_end == len(tail),
        "stat_period": (f"{period.group(1)}-01-01/{period.group(2) or period.group(1)}-12-31"
                        if period else None),
    }
    meta.update({k: v for k, v in doc.meta.items() if k not in meta or meta[k] is None})
    stem = Path(doc.path).stem
    meta["id"] = f"{agency or stem}-{year or '未知年份'}"
    return meta


def _stat_period(text: str) -> re.Match | None:
    """The report's 统计期限: the first year-long span said to be the statistics' ("统计期限为…"), else the first
    one (an earlier sentence may name another span: "对2023年1月1日至12月31日印发的文件进行了清理")."""
    spans = list(_STAT_PERIOD.finditer(text))
    said = (m for m in spans if "统计" in re.split(r"[。；;]", text[max(0, m.start() - _STAT_REACH):m.start()])[-1])
    return next(said, spans[0] if spans else None)


def _own_date(text: str) -> re.Match | None:
    """The page's own 发布时间: not one listed under "相关文章" or "下一篇" (another page's)."""
    return next((m for m in _PUBLISHED.finditer(text)
                 if not _OTHER_PAGES.search(text, max(0, m.start() - _OTHER_PAGE_REACH), m.start())), None)


def _mkdate(y, m, d) -> date | None:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        return None
