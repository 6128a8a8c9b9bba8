"""Turn the blocks of one table region into a stream of label and value events.

Real documents lose table structure in many ways (tab rows, one cell per
line, Markdown tables split per row group, tables flattened into running
text with digits run together). Whatever the layout, the region becomes the
same stream: ``Keys`` (row labels found, in order) and ``Values`` (a group of
value tokens, each with its source). A Values event ``attached`` to the Keys
before it belongs to that row's last label (same table row, or digits that
directly follow the label in running text); other groups are matched to
labels by order in :mod:`govaudit.parse`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .document import Cell
from .numbers import is_value_text, nfkc
from .template import Row

# number with optional unit; a lone dash or slash is an NA marker. Digits grouped by thousands
# ("1,234", "12,345,678"; NFKC made "，" a ",") are one number; "1,2" or "1,234,5" are not grouped.
_ATOM = re.compile(r"[+\-]?(?:\d{1,3}(?:,\d{3})+(?![,\d])|\d+)(?:\.\d+)?(?:万元|元|笔|个|项|件|条)?"
                   r"|[/／—–―－\-]+(?=\s|$)|\s+|.", re.S)
_LIST_MARK = re.compile(r"[.．、]\s*(?:\D|$)")      # "2.其他…", or "（三）不予公开1." wrapped after its number
# "无" is an empty cell only standing alone next to a value: before another value (not a list number
# "1.本机关…"), or after one in the same run; "无法提供", "本年度 无 行政复议" stay text
_WU = "无"
_VALUE_AFTER_WU = re.compile(r"\s+(?:[+\-]?\d+(?![\d.．、])|[/／—–―－\-]+(?=\s|$)|无(?=\s|$))")
# in a flattened page the next row's label may follow a run's "无" directly: "0 无3.要求…", "0 无（二）…"
_LABEL_AFTER_WU = re.compile(r"[（(]|\d{1,2}[.．、]\s*\D|[一二三四五六七八九十]+、")
_SENTENCE_END = re.compile(r"[。；;！？]")
_MAX_LABEL_GAP = 60
_MAX_LABEL = 60          # a row label's length, generously (the longest official one has 43 characters)
# a page number printed between a table's rows by a PDF-to-text dump: "-3-", "— 3 —", "第3页", "第3页 共5页"
_PAGE_NUMBER = re.compile(r"^\s*(?:[-—–－]\s*\d{1,3}\s*[-—–－]|第\s*\d{1,3}\s*页(?:\s*[,，]?\s*共\s*\d{1,3}\s*页)?)\s*$")


@dataclass
class Token:
    raw: str
    source: dict


@dataclass
class Keys:
    keys: list[tuple[str, str, bool]]      # (row key, matched text, through a variant)
    text: str
    source: dict


@dataclass
class Values:
    tokens: list[Token]
    attached: bool = False                  # belongs to the last key of the preceding Keys
    structured: bool = False                # from table cells (never split digits)
    single_line: bool = False               # one value alone on its line (one cell per line)
    source: dict = field(default_factory=dict)


@dataclass
class Break:
    pass


@dataclass
class Segment:
    """One paragraph line or one table row, with where it came from."""
    text: str
    cells: list[Cell] | None
    source: dict


class KeywordMatcher:
    """Finds row labels in raw text, tolerating spaces and punctuation inside labels."""

    def __init__(self, rows: tuple[Row, ...]):
        entries = []
        for row in rows:
            entries += [(kw, row.key, False) for kw in row.keywords]
            entries += [(kw, row.key, True) for kw in row.variants]
        entries.sort(key=lambda e: -len(e[0]))
        self._lookup = {}
        parts = []
        for i, (kw, key, variant) in enumerate(entries):
            name = f"k{i}"
            self._lookup[name] = (key, variant)
            parts.append(f"(?P<{name}>" + r"[\s\W_]{0,3}".join(map(re.escape, kw)) + ")")
        self._regex = re.compile("|".join(parts)) if parts else None

    def find(self, text: str) -> list[tuple[int, int, str, bool]]:
        """(start, end, row key, variant) for each label in ``text``, in order."""
        if self._regex is None:
            return []
        out = []
        for m in self._regex.finditer(text):
            key, variant = self._lookup[m.lastgroup]
            out.append((m.start(), m.end(), key, variant))
        return out


def value_runs(text: str) -> list[tuple[int, int, list[tuple[str, int]]]]:
    """Runs of value tokens in running text: (start, end, [(token, offset)]).

    Tokens inside a run are separated by whitespace only. A single digit right
    before "." / "、" and a non-digit is a list number ("2.其他法律…"), not a value;
    when it is glued to a run ("00000002.其他"), it is cut off the run. A line that is a page
    number ("-3-") has no values.
    """
    if _PAGE_NUMBER.match(text):
        return []            # not the table's: never a cell, never a row's value
    runs = []
    current: list[tuple[str, int]] = []
    start = end = 0
    pos = 0
    for m in _ATOM.finditer(text):
        atom, pos = m.group(), m.start()
        if atom.isspace():
            continue
        is_number = atom[0].isdigit() or (len(atom) > 1 and atom[0] in "+-" and atom[1].isdigit())
        is_na = not is_number and (atom[0] in "/／—–―－-" and (pos == 0 or text[pos - 1].isspace() or current)
                                   or atom == _WU and _empty_cell_wu(text, pos, bool(current)))
        if is_number and _LIST_MARK.match(text, m.end()) and atom.isdigit():
            if len(atom) > 1:
                if not current:
                    start = pos
                current.append((atom[:-1], pos))
                end = m.end() - 1
            if current:
                runs.append((start, end, current))
            current = []
            continue
        if is_number or is_na:
            if not current:
                start = pos
            current.append((atom, pos))
            end = m.end()
            continue
        if current:
            runs.append((start, end, current))
            current = []
    if current:
        runs.append((start, end, current))
    return runs


def _empty_cell_wu(text: str, pos: int, in_run: bool) -> bool:
    """A "无" at ``pos`` that marks an empty cell: alone after a run's value, or alone before a value."""
    end = pos + len(_WU)
    space_before = pos == 0 or text[pos - 1].isspace()
    space_after = end == len(text) or text[end].isspace()
    if not in_run:
        return space_before and space_after and bool(_VALUE_AFTER_WU.match(text, end))
    # in a run the cell boundaries may be lost next to digits or the next label, never next to other text
    return ((space_before or text[pos - 1].isdigit())
            and (space_after or bool(_LABEL_AFTER_WU.match(text, end))))


def row_events(seg: Segment, matcher: KeywordMatcher):
    """Events of one table row: its labels, then its value cells (attached).

    When the parser knows the row's value columns from the table's geometry (``value_cells`` in the
    source), only those cells are values: filler cells after a label spanning several columns and
    empty cells past the last column are left out, and the group is marked ``aligned`` in its source
    (its cells are the value columns, a blank one in place).
    """
    cells = seg.cells or []
    source = {k: v for k, v in seg.source.items() if k != "value_cells"}
    last_label = max((i for i, c in enumerate(cells) if c.text.strip() and not is_value_text(c.text)),
                     default=-1)
    label_text = "".join(nfkc(c.text) for c in cells[: last_label + 1] if not is_value_text(c.text))
    found = matcher.find(label_text)
    value_cells = cells[last_label + 1:]
    group_source = source
    span = seg.source.get("value_cells")
    if span and span[0] > last_label and not any(c.text.strip() for c in cells[last_label + 1:span[0]]
                                                 + cells[span[1]:]):
        value_cells = cells[span[0]:span[1]]
        group_source = {**source, "aligned": True}
    if found:
        yield Keys([(k, label_text[s:e], v) for s, e, k, v in found], label_text, source)
    if any(c.text.strip() for c in value_cells):
        tokens = [Token(nfkc(c.text).strip(), {**source, **c.source}) for c in value_cells]
        yield Values(tokens, attached=bool(found), structured=True, source=group_source)
    elif found and value_cells:
        # a labelled row whose value cells are all blank: blanks are NA, not a missing row
        tokens = [Token("", {**source, **c.source}) for c in value_cells]
        yield Values(tokens, attached=True, structured=True, source=group_source)


def line_events(text: str, source: dict, matcher: KeywordMatcher, merge_text: list):
    """Events of one paragraph line. Label-only lines are buffered in ``merge_text`` (wrapped labels)."""
    line = nfkc(text)
    base = source.get("start", 0)      # the piece's place in its line: offsets count from the line's start
    source = {k: v for k, v in source.items() if k != "start"} if base else source
    if not line.strip():
        yield from flush_text(merge_text, matcher)
        if "\t" in line:            # an empty cell of a one-cell-per-line export
            yield Values([Token("", source)], single_line=True, source=source)
        else:
            yield Break()
        return
    if line.strip() == _WU:
        # a lone "无" line is an empty cell of a one-cell-per-line export: NA, never label text
        yield from flush_text(merge_text, matcher)
        yield Values([Token(_WU, {**source, "offset": base + line.index(_WU)})], single_line=True, source=source)
        return
    runs = value_runs(line)
    if not runs:
        merge_text.append((line, source))
        return
    prefix = _split_label_head(merge_text, line, runs, matcher)
    if prefix:
        # "1.属于国" / "家秘密 11 13 …": read the label's head and this line as one line
        merge_text.clear()
        shift = len(prefix) - (len(line) - len(line.lstrip()))
        line = prefix + line.lstrip()
        runs = [(s + shift, e + shift, [(t, o + shift) for t, o in toks]) for s, e, toks in runs]
        base -= shift
    yield from flush_text(merge_text, matcher)
    if _only_values(line, runs):
        tokens = [Token(t, {**source, "offset": base + o}) for _, _, toks in runs for t, o in toks]
        yield Values(tokens, single_line=len(tokens) == 1, source=source)
        return
    found = matcher.find(line)
    if not found and _wrapped_label_values(line, runs):
        # the middle line of a wrapped label ("正、行政机关不再处理其政府信  1 0 0 0 0 0 1"): its values
        # belong to the label above, by order
        yield Values([Token(t, {**source, "offset": base + o}) for t, o in runs[0][2]], source=source)
        return
    run_iter = iter(runs)
    pending_run = next(run_iter, None)
    keys_so_far: list = []
    for i, (s, e, key, variant) in enumerate(found):
        # runs that follow no label are narrative numbers: ignored
        while pending_run and pending_run[0] < s:
            pending_run = next(run_iter, None)
        keys_so_far.append((key, line[s:e], variant))
        next_label = found[i + 1][0] if i + 1 < len(found) else len(line)
        if pending_run and pending_run[0] < next_label and _label_gap(line[e:pending_run[0]]):
            yield Keys(keys_so_far, line[s:e], source)
            toks = [Token(t, {**source, "offset": base + o}) for t, o in pending_run[2]]
            yield Values(toks, attached=True, source=source)
            keys_so_far = []
            pending_run = next(run_iter, None)
    if keys_so_far and not _SENTENCE_END.search(line):
        # labels inside narrative sentences are not table rows
        yield Keys(keys_so_far, line, source)


def flush_text(merge_text: list, matcher: KeywordMatcher):
    if not merge_text:
        return
    joined = "".join(t.strip() for t, _ in merge_text)
    source = merge_text[0][1]
    merge_text.clear()
    found = matcher.find(joined)
    if found and not (_SENTENCE_END.search(joined) and len(joined) > 80):
        yield Keys([(k, joined[s:e], v) for s, e, k, v in found], joined, source)


def _split_label_head(merge_text: list, line: str, runs, matcher: KeywordMatcher) -> str:
    """The buffered label lines, joined, when a row label's key words run on from them into this line.

    Only when the buffered lines name no row by themselves (they would be lost) and the line starts
    with label text before its numbers; "" otherwise (the existing wrapped-label reading stands).
    """
    if not merge_text:
        return ""
    prefix = "".join(t.strip() for t, _ in merge_text)
    if len(prefix) > _MAX_LABEL or _SENTENCE_END.search(prefix) or matcher.find(prefix):
        return ""
    head = line[:runs[0][0]].lstrip()[:_MAX_LABEL]
    if not head.strip():
        return ""
    cut = len(prefix)
    return prefix if any(s < cut < e for s, e, _, _ in matcher.find(prefix + head)) else ""


def _wrapped_label_values(line: str, runs) -> bool:
    """A piece of label text, then one run of several values at the end of the line (not a dated note)."""
    s, e, toks = runs[0]
    return (len(runs) == 1 and len(toks) >= 2 and not line[e:].strip() and len(line[:s].strip()) <= 40
            and not _SENTENCE_END.search(line))


def _only_values(line: str, runs) -> bool:
    rest = line
    for s, e, _ in reversed(runs):
        rest = rest[:s] + rest[e:]
    return not rest.strip()


def _label_gap(gap: str) -> bool:
    return len(gap) <= _MAX_LABEL_GAP and not any(ch.isdigit() for ch in gap) and not _SENTENCE_END.search(gap)


def region_events(segments: list[Segment], matcher: KeywordMatcher):
    """The event stream of a table region, in document order."""
    merge_text: list = []
    for seg in segments:
        if seg.cells is not None:
            yield from flush_text(merge_text, matcher)
            yield Break()
            yield from row_events(seg, matcher)
            yield Break()
        else:
            yield from line_events(seg.text, seg.source, matcher, merge_text)
    yield from flush_text(merge_text, matcher)


def merged(events):
    """Join consecutive one-value lines (one cell per line) into one group per row."""
    group: Values | None = None
    labelled = False             # the group began right after a row label
    previous = None
    for ev in events:
        if isinstance(ev, Values) and ev.single_line and not ev.attached:
            if group is None:
                group = Values(list(ev.tokens), source=ev.source)
                labelled = isinstance(previous, Keys)
            else:
                group.tokens.extend(ev.tokens)
            continue
        if group is not None:
            yield from _closed(group, labelled, ev)
            group = None
        yield ev
        previous = ev
    if group is not None:
        yield from _closed(group, labelled, None)


def _closed(group: Values, labelled: bool, following):
    """A finished group. All blank (or "无") it is a row's empty cells only right after the row's
    label and before the next row (NA cells, so later rows keep their values); otherwise padding, dropped."""
    if not _all_empty(group):
        yield group
    elif labelled and (following is None or isinstance(following, (Keys, Break))):
        group.attached = True
        yield group


def _all_empty(group: Values) -> bool:
    """Every cell blank or "无": a row with no values (or a stray "无" line), never a row's numbers."""
    return all(t.raw in ("", _WU) for t in group.tokens)

