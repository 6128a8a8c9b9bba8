"""Finding the six parts of a report by their headings, as printed.

A heading is recognised three ways, most certain first:

1. the official wording or a known variant (template ``Section.keywords``), numbered or alone on a line;
2. a numbered heading ("五、当前存在的突出问题") whose words name the part (``_CUES``), when the part has
   no heading of the first kind;
3. a numbered heading with the part's own number ("一、年度工作核心成效") between the parts before and
   after it, when nothing else names the part.

Kinds 2 and 3 are the same part in other words; the rules report their wording (and a number that
differs from the template's, as in a report that inserts a part and renumbers the rest), never a
missing part.

Numbered means "一、", "第一部分" / "第1部分", or (kind 1 only) Arabic "1、" / "1." — the style of list items
inside a part, so such a heading must carry the official wording and loses to any other heading of the part.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from . import template as T
from .numbers import nfkc
from .tokens import Segment

_FLEX = r"[\s\W_]{0,3}"
_NUMERALS = "一二三四五六七八九十"
_NUMERAL = r"[一二三四五六七八九十]{1,2}\s*[、.．,，]"
# other ways a part is numbered: "第一部分 总体情况" / "第1部分：…", and Arabic "1、总体情况" (a list-item style, so
# it counts only with the part's official wording and a number near the part's own: see _plausible)
_PART = r"第\s*(?:[一二三四五六七八九十]{1,2}|\d{1,2})\s*部分\s*[、.．,，:：]?"
_ARABIC = r"(?<![\d.．第])\d{1,2}\s*[、.．]"


def flex(phrase: str) -> str:
    return _FLEX.join(map(re.escape, phrase))


_SECTION_ALTS = "|".join(f"(?P<{s.key}_{i}>{flex(kw)})" for s in T.SECTIONS for i, kw in enumerate(s.keywords))
# the official wording at the start of a line (optionally numbered), or inline after a numeral; a numeral
# without its 、 only where no Chinese character runs into it ("。一总体情况", not "统一主动公开…"); Arabic
# digits not where a number runs into them ("…0000000四、" stays unread when printed "…00000004、")
_OFFICIAL_LINE = re.compile(r"^[\s#>*]*(?P<num>" + _NUMERAL + "|" + _PART + "|" + _ARABIC
                            + r"|[（(][一二三四五六][)）])?\s*(?:" + _SECTION_ALTS + ")")
_OFFICIAL_INLINE = re.compile(r"(?:(?P<num>" + _NUMERAL + r")|(?P<other>" + _PART + "|" + _ARABIC
                              + r")|(?<![\u4e00-\u9fff])(?P<bare>[一二三四五六七八九十]))\s*(?:" + _SECTION_ALTS + ")")
_PREFIX_GROUPS = ("num", "other", "bare")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_SHORT_HEADING = 30
# any top-level numbered heading: the numeral, then the heading's words up to the first bracket, digit or stop
_NUMBERED = re.compile(r"(?<![\u4e00-\u9fff])(?P<num>[一二三四五六七八九十]{1,2}\s*[、.．]|" + _PART + r")\s*"
                       r"(?P<words>[^（(。，,；;：:\s\d“”\"《]{2,30})")
# a flattened page runs the heading into its text: the heading ends at its last closing word
_HEADING_END = re.compile(r".*(?:情况|事项|措施|问题|成效|举措|附表|概述)")
# the words that name each part, most specific first (a heading naming two parts takes the first)
_CUES = (
    ("appeals", re.compile(r"复议|诉讼")),
    ("requests", re.compile(r"依申请|收到和处理|公开申请|申请情况")),
    ("problems", re.compile(r"问题|不足|改进|整改")),
    ("other", re.compile(r"其他|其它|需要报告|需报告|需说明|需要说明|信息处理费|附表")),
    ("active", re.compile(r"主动公开")),
    ("overview", re.compile(r"总体|概述|概况|综述|基本情况")),
)
# row labels of 表三 that look like numbered headings ("三、本年度办理结果")
_TABLE_LABELS = re.compile(r"^(?:本年新收|上年结转|本年度办理结果|结转下年度|本年办理结果)")


# what a part's text speaks of, to tell a part printed without its heading from a part that is not there
_CONTENT = {
    "overview": re.compile(r"[\s\S]{300}"),
    # table cells may break their words over lines ("结果\n维持"): the markers allow what flex() allows
    "active": re.compile(flex("第二十条")),
    "requests": re.compile(flex("本年新收") + "|" + flex("勾稽关系")),
    "appeals": re.compile(flex("结果维持") + "|" + flex("尚未审结")),
    "problems": re.compile(r"问题[\s\S]{0,400}?(?:改进|措施|下一步|整改)"),
    "other": re.compile(r"信息处理费|其他需要?报告|其他需说明"),
}


def has_content(key: str, text: str) -> bool:
    """True when ``text`` (the gap where a part with no heading would be) holds that part's content."""
    return bool(_CONTENT[key].search(nfkc(text)))


@dataclass(frozen=True)
class Heading:
    key: str | None       # section key; None for a numbered heading that names no part
    text: str             # as printed
    number: int | None    # its numeral (一 = 1), if numbered
    official: bool        # the template's wording or a known variant


@dataclass(frozen=True)
class _Candidate:
    seg: int              # index of the segment it is in
    start: int
    end: int
    heading: Heading
    weak: bool = False        # Arabic-numbered ("2、…", the style of list items) or a 第…部分 run into a sentence
                              # ("详见第三部分…"): any other heading of the part wins


def numeral_value(numeral: str) -> int | None:
    """The number of a heading's prefix: "三、", "（三）", "第三部分", "第3部分" or "3、"."""
    s = re.sub(r"^第|部分$", "", re.sub(r"\W", "", numeral))
    if s.isdigit():
        return int(s)
    if not s or any(ch not in _NUMERALS for ch in s):
        return None
    if s == "十":
        return 10
    if s.startswith("十"):
        return 10 + _NUMERALS.index(s[1]) + 1
    if len(s) == 2 and s[1] == "十":
        return (_NUMERALS.index(s[0]) + 1) * 10
    return _NUMERALS.index(s[0]) + 1 if len(s) == 1 else None


def _key_of(match: re.Match) -> str:
    name = next(k for k, v in match.groupdict().items() if v is not None and k not in _PREFIX_GROUPS)
    return name.rsplit("_", 1)[0]


def _cue(words: str) -> str | None:
    return next((key for key, pattern in _CUES if pattern.search(words)), None)


def _arabic(prefix: str | None) -> bool:
    return bool(prefix and re.match(r"\s*\d", prefix))


def _plausible(prefix: str | None, key: str) -> bool:
    """An Arabic-numbered title counts only near its part's own number: "1、主动公开政府信息情况" is a list
    item of the overview, "2、…" (or "3、…" after an inserted part) the heading."""
    if not _arabic(prefix):
        return True
    number = numeral_value(prefix)
    return number is not None and abs(number - (T.SECTION_KEYS.index(key) + 1)) <= 1


def _official(text: str, seg: int) -> list[_Candidate]:
    out = []
    m = _OFFICIAL_LINE.match(text)
    if m and (m.group("num") or len(text.strip()) <= _SHORT_HEADING) and _plausible(m.group("num"), _key_of(m)):
        out.append(_Candidate(seg, m.start(), m.end(), Heading(_key_of(m), m.group().strip(" #>*"),
                                                               numeral_value(m.group("num") or ""), True),
                              _arabic(m.group("num"))))
    for m in _OFFICIAL_INLINE.finditer(text):
        num = m.group("num") or m.group("other") or m.group("bare")
        if (not out or m.start() >= out[-1].end) and _plausible(num, _key_of(m)):
            run_in = m.group("other") is not None and m.start() > 0 and _CJK.match(text[m.start() - 1])
            out.append(_Candidate(seg, m.start(), m.end(), Heading(_key_of(m), m.group(), numeral_value(num), True),
                                  _arabic(num) or bool(run_in)))
    return out


def _numbered(text: str, seg: int, taken: list[_Candidate]) -> list[_Candidate]:
    out = []
    for m in _NUMBERED.finditer(text):
        words = m.group("words")
        if _TABLE_LABELS.match(words) or any(c.start <= m.start() < c.end for c in taken):
            continue
        end = m.end() if not (e := _HEADING_END.match(words)) else m.start("words") + e.end()
        out.append(_Candidate(seg, m.start(), end,
                              Heading(_cue(words), text[m.start():end].strip(), numeral_value(m.group("num")), False)))
    return out


def _candidates(segs: list[Segment]) -> list[_Candidate]:
    out = []
    for i, seg in enumerate(segs):
        if seg.cells is not None:
            continue
        text = nfkc(seg.text)
        official = _official(text, i)
        out += sorted(official + _numbered(text, i, official), key=lambda c: c.start)
    return out


def _choose(cands: list[_Candidate]) -> dict[str, _Candidate]:
    """The heading of each part: official wording first, in template order; then the other two kinds."""
    chosen: dict[str, _Candidate] = {}
    pos, last = 0, 0
    for key in T.SECTION_KEYS:
        official = [i for i in range(pos, len(cands)) if cands[i].heading.official and cands[i].heading.key == key]
        # among weak ones, one numbering on from the part before ("2、…" after "1、总体情况") rather than a list
        # item ("1、…" under it); a report that repeats a number has only the latter
        weak = sorted((i for i in official if cands[i].weak), key=lambda i: (cands[i].heading.number or 0) <= last)
        i = next((i for i in official if not cands[i].weak), weak[0] if weak else None)
        if i is not None:
            chosen[key] = cands[i]
            pos, last = i + 1, cands[i].heading.number or last
    order = {id(c): i for i, c in enumerate(cands)}
    used = {id(c) for c in chosen.values()}
    for n, section in enumerate(T.SECTIONS, start=1):
        if section.key in chosen:
            continue
        lo, hi = _gap(chosen, order, section.key, len(cands))
        near = [c for c in cands if id(c) not in used and c.heading.number and abs(c.heading.number - n) <= 1]
        pick = (next((c for c in near if c.heading.key == section.key and lo < order[id(c)] < hi), None)
                or next((c for c in near if c.heading.key == section.key), None)
                or next((c for c in near if c.heading.key is None and c.heading.number == n
                         and lo < order[id(c)] < hi), None))
        if pick:
            chosen[section.key] = pick
            used.add(id(pick))
    return chosen


def _gap(chosen: dict[str, _Candidate], order: dict, key: str, n: int) -> tuple[int, int]:
    """Candidate positions strictly between the parts found before and after ``key`` in template order."""
    keys = list(T.SECTION_KEYS)
    i = keys.index(key)
    before = [order[id(chosen[k])] for k in keys[:i] if k in chosen]
    after = [order[id(chosen[k])] for k in keys[i + 1:] if k in chosen]
    return (max(before) if before else -1), (min(after) if after else n)


@dataclass
class Piece:
    seg: Segment
    heading: Heading | None = None      # set when this piece is a chosen section heading


def split_sections(segs: list[Segment]) -> tuple[list[Piece], dict[str, int], dict[str, Heading]]:
    """Pieces of the document cut at the chosen headings, the piece index of each part's heading, and the headings."""
    chosen = _choose(_candidates(segs))
    key_of = {id(c): key for key, c in chosen.items()}
    cuts: dict[int, list[_Candidate]] = {}
    for c in chosen.values():
        cuts.setdefault(c.seg, []).append(c)
    pieces: list[Piece] = []
    found: dict[str, int] = {}
    for i, seg in enumerate(segs):
        if i not in cuts:
            pieces.append(Piece(seg))
            continue
        text = nfkc(seg.text)
        raw = seg.text if len(seg.text) == len(text) else text     # keep the source's punctuation when NFKC kept positions
        pos = 0
        for c in sorted(cuts[i], key=lambda c: c.start):
            if raw[pos:c.start].strip():
                pieces.append(Piece(Segment(raw[pos:c.start], None, _from(seg.source, pos))))
            found[key_of[id(c)]] = len(pieces)
            pieces.append(Piece(Segment(raw[c.start:c.end], None, _from(seg.source, c.start)), heading=c.heading))
            pos = c.end
        if raw[pos:].strip():
            pieces.append(Piece(Segment(raw[pos:], None, _from(seg.source, pos))))
    return pieces, found, {key: c.heading for key, c in chosen.items()}


def _from(source: dict, cut: int) -> dict:
    """The source of a piece cut from a line at ``cut``: ``start`` keeps token offsets relative to the line."""
    return {**source, "start": source.get("start", 0) + cut} if cut else source


def ranges(found: dict[str, int], n: int) -> dict[str, tuple[int, int]]:
    """Body range of every part: from its heading to the next heading of any part, whatever their order;
    a missing part gets the gap between its neighbours in template order."""
    keys = list(T.SECTION_KEYS)
    starts = sorted(found.values())
    out = {}
    for i, key in enumerate(keys):
        if key in found:
            start = found[key] + 1
            end = next((s for s in starts if s >= start), n)
        else:
            start = next((found[k] + 1 for k in reversed(keys[:i]) if k in found), 0)
            end = next((found[k] for k in keys[i + 1:] if k in found and found[k] >= start), n)
        out[key] = (start, end)
    return out
