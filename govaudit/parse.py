"""Document -> Report: find the six sections, detect the template, map tables onto canonical keys.

Tables are read by anchoring on row labels (see :mod:`govaudit.tokens`), never by grid
position, because real documents lose their grid. A number is taken only when it
belongs to a row without doubt; otherwise the cell is NA and a warning says where and why.
"""
from __future__ import annotations

import re
from collections import deque

import numpy as np
import pandas as pd

from . import template as T
from .document import Document, Paragraph
from .geometry import VALUE_CELLS, value_spans
from .meta import report_meta
from .numbers import SplitTooLong, split_by_totals, to_value, unique_split, unit_of
from .report import Report
from .sections import Piece, flex, has_content, ranges as section_ranges, split_sections
from .template import normalize_label
from .tokens import Break, KeywordMatcher, Keys, Segment, Values, merged, region_events

def _cited(group: Values) -> dict:
    """Where a value group starts: its line (or page), and the first value's offset (or cell and bbox)."""
    first = next((t.source for t in group.tokens if t.raw), {})
    return {**{k: v for k, v in group.source.items() if k != "aligned"}, **first}


# --- sections: see govaudit.sections ----------------------------------------------

def _segments(doc: Document) -> list[Segment]:
    segs = []
    for b in doc.blocks:
        if isinstance(b, Paragraph):
            segs.append(Segment(b.text, None, dict(b.source)))
        else:
            spans = value_spans(b.rows)
            for r, row in enumerate(b.rows):
                src = {**b.source}
                if "table" in b.source:
                    src["row"] = r
                if spans[r] is not None:
                    src[VALUE_CELLS] = spans[r]
                segs.append(Segment("\t".join(c.text for c in row), row, src))
    return segs


# --- template -------------------------------------------------------------------

def detect_template(active_text: str, year: int | None) -> tuple[str, str]:
    """("2021"|"2019", how): by the column markers of table 二, else by the report year."""
    norm = normalize_label(active_text)
    n2021 = sum(m in norm for m in T.MARKERS_2021 + tuple(T.ACTIVE_HEADER_VARIANTS))
    n2019 = sum(m in norm for m in T.MARKERS_2019)
    if n2019 > n2021:
        return "2019", "columns"
    if n2021 > n2019:
        return "2021", "columns"
    if year is not None:
        return ("2019" if year <= 2020 else "2021"), "year"
    return "2021", "default"


# --- binding rows to values -----------------------------------------------------

_MISFIT = ("count-mismatch", "ambiguous-digits")      # a value group that does not fit its row
_LARGEST = 2 ** 53       # no count or amount in these tables comes near; beyond it a frame (Int64, float) cannot hold it


class _Reader:
    """Reads one table region; collects values, provenance and warnings."""

    def __init__(self, table_key: str, warnings: list, provenance: dict, total_block: int | None = None):
        self.table_key = table_key
        self.total_block = total_block      # cells per printed total (表三 7, 表四 5): decides run-together digits
        self.warnings = warnings
        self.provenance = provenance
        self.name = T.TABLE_NAMES[table_key]

    def warn(self, code: str, message: str, row: str = "", column: str = "", source: dict | None = None,
             quote: str = "", **counts):
        """A reading note; ``counts``: what the template expects and what was found (expected=, found=)."""
        self.warnings.append({"code": code, "table": self.table_key, "row": row, "column": column,
                              "message": message, "source": dict(source or {}), "quote": quote[:80], **counts})

    def values_for(self, key: str, label: str, columns: tuple[str, ...], group: Values, how: str):
        """Turn a value group into the row's values; None where a cell is NA or unreadable."""
        n = len(columns)
        tokens = group.tokens
        chosen = None
        quote = " ".join(t.raw for t in tokens)
        cited = _cited(group)
        if group.structured:
            nonempty = [t for t in tokens if t.raw]
            if len(nonempty) == n:
                chosen = nonempty
            elif len(nonempty) < n <= len(tokens) and tokens[0].raw and not any(t.raw for t in tokens[n:]):
                chosen = tokens[:n]        # blank cells in place: NA
            elif nonempty and len(tokens) == n and group.source.get("aligned"):
                chosen = tokens            # the row's value columns by the table's geometry: blanks are NA
        else:
            if len(tokens) == n:
                chosen = tokens
            elif all(t.raw for t in tokens):
                try:
                    split, decided_by = self._split([t.raw for t in tokens], n)
                except SplitTooLong:
                    self.warn("ambiguous-digits", f"{self.name}“{label}”行的数字“{quote}”连写过长，无法判断如何拆分，未取值",
                              key, source=cited, quote=quote)
                    return {c: None for c in columns}
                if split is not None:
                    src = {**tokens[0].source, "split_from": quote, **({"split_by": decided_by} if decided_by else {})}
                    chosen = [type(tokens[0])(s, src) for s in split]
                elif len(tokens) < n and all(t.raw.isdigit() for t in tokens):
                    self.warn("ambiguous-digits",
                              f"{self.name}“{label}”行的数字“{quote}”连写在一起，无法唯一拆分为{n}个数"
                              f"{'（按本行总计也不能唯一确定）' if self.total_block else ''}，未取值",
                              key, source=cited, quote=quote)
                    return {c: None for c in columns}
        if chosen is None:
            found = sum(1 for t in tokens if t.raw)
            self.warn("count-mismatch", f"{self.name}“{label}”行有{found}个数值，模板为{n}列，未取值",
                      key, source=cited, quote=quote, expected=f"{n}列", found=f"{found}个数值")
            return {c: None for c in columns}
        out = {}
        for col, tok in zip(columns, chosen):
            try:
                value = to_value(tok.raw)
            except ValueError:
                self.warn("not-a-number", f"{self.name}“{label}”行“{T.column_label(self.table_key, col)}”列"
                          f"的“{tok.raw}”不是数字，未取值", key, col, tok.source, tok.raw)
                value = None
            if value is not None and abs(value) >= _LARGEST:
                self.warn("not-a-number", f"{self.name}“{label}”行“{T.column_label(self.table_key, col)}”列"
                          f"的“{tok.raw[:24]}”位数过多，不是可信的数值，未取值", key, col, tok.source, tok.raw)
                value = None
            out[col] = value
            self.provenance[(self.table_key, key, col)] = {**tok.source, "raw": tok.raw, "how": how,
                                                           "unit": unit_of(tok.raw)}
        return out

    def _split(self, raws: list[str], n: int) -> tuple[list[str] | None, str]:
        """The one split of run-together digits; failing that, the one whose own row totals add up."""
        split = unique_split(raws, n)
        if split is not None or not self.total_block:
            return split, ""
        return split_by_totals(raws, n, self.total_block), "row_total"

    def bind(self, events, rows: tuple[T.Row, ...], columns_of, stop_key: str | None = None):
        """Assign value groups to row labels: same row first, then by order."""
        wanted = {r.key for r in rows}
        labels = {r.key: r.label for r in rows}
        place = {r.key: i for i, r in enumerate(rows)}
        result: dict[str, dict] = {}
        pending_labels: deque = deque()
        pending_values: deque = deque()
        held: str | None = None
        last = -1                       # the template place of the row read last
        lost = False                    # labels and numbers queued apart stopped fitting: the order is lost

        def assign(key, group, how, queued=False):
            nonlocal last, lost
            before = len(self.warnings)
            if key in pending_labels:       # queued from a line of its own, then read on the next line with its numbers
                pending_labels.remove(key)
            result[key] = self.values_for(key, labels[key], columns_of(key), group, how)
            last = place[key]
            # a group that does not fit the label it waited for (or that waited for it): the labels and the
            # numbers printed apart (a PDF's columns one after another) no longer pair up
            lost |= queued and any(w["code"] in _MISFIT for w in self.warnings[before:])

        def label(key):
            if key in result or key in pending_labels:
                return
            group = None
            if pending_values and not lost:
                queued = len(pending_values) > 1
                group = self._claim(pending_values, place[key] - last - 1)
            if group is not None:
                assign(key, group, "order", queued)
            else:
                pending_labels.append(key)

        for ev in events:
            if stop_key and stop_key in result:
                break
            if isinstance(ev, Keys):
                if held:
                    label(held)
                keys = []
                for k, _, _ in ev.keys:     # one label may match several keywords
                    if k in wanted and (not keys or keys[-1] != k):
                        keys.append(k)
                for k in keys[:-1]:
                    label(k)
                held = keys[-1] if keys else None
            elif isinstance(ev, Values):
                if ev.attached and held:
                    if held not in result:
                        self._orphans(pending_values)     # before this row: a row above whose label was not found
                        assign(held, ev, "row")
                    held = None
                    continue
                if held:
                    label(held)
                    held = None
                if not any(t.raw for t in ev.tokens):
                    continue
                if pending_labels and not lost:
                    if self._stray(ev, len(columns_of(pending_labels[0]))):
                        continue
                    queued = len(pending_labels) > 1
                    assign(pending_labels.popleft(), ev, "order", queued)
                elif lost or result:    # waits for a label (once the order is lost: an orphan, named at the
                    pending_values.append(ev)   # end); values before the first label are header noise
            elif isinstance(ev, Break) and held:
                label(held)
                held = None
        if held and held not in result:
            pending_labels.append(held)
        for key in pending_labels:
            if key in result:
                continue
            self.warn("no-values", f"{self.name}找到“{labels[key]}”行，但没有读到属于它的数值", key)
            result[key] = {c: None for c in columns_of(key)}
        self._orphans(pending_values)
        return result

    def _claim(self, pending: deque, skipped: int) -> Values | None:
        """The waiting value group a label without values of its own takes, by order; None when the order
        does not say which. ``skipped``: template rows between the row read last and this label. Each
        skipped row (its label not found) may have left one group: with as many groups waiting, plus
        this row's, this row's is the last; theirs stay unread. Any other count: none is taken."""
        if skipped <= 0:
            return pending.popleft()
        if len(pending) != skipped + 1:
            self._orphans(pending)
            return None
        group = pending.pop()
        self._orphans(pending)
        return group

    def _orphans(self, pending: deque) -> None:
        while pending:
            group = pending.popleft()
            quote = " ".join(t.raw for t in group.tokens)
            self.warn("orphan-values", f"{self.name}中有一组数值“{quote}”无法对应到任何行，已忽略",
                      source=_cited(group), quote=quote)

    def _stray(self, group: Values, width: int) -> bool:
        """A lone number on its own line where the row needs several (a page number, a footnote mark)."""
        if group.structured or len(group.tokens) != 1 or width < 3:
            return False
        self.warn("stray-number", f"{self.name}中孤立的数字“{group.tokens[0].raw}”不属于任何行，已忽略",
                  source=_cited(group), quote=group.tokens[0].raw)
        return True


def _start_at(pieces: list[Piece], markers: tuple[str, ...]) -> list[Segment]:
    """The region from the first piece that holds a start marker (table header), cut at the marker."""
    for i, p in enumerate(pieces):
        norm = normalize_label(p.seg.text)
        hits = [m for m in markers if m in norm]
        if not hits:
            continue
        if p.seg.cells is not None:
            return [q.seg for q in pieces[i:]]
        text = p.seg.text
        cut = min((mm.start() for m in hits for mm in [re.search(flex(m), text)] if mm), default=0)
        source = {**p.seg.source, "start": p.seg.source.get("start", 0) + cut} if cut else p.seg.source
        return [Segment(text[cut:], None, source)] + [q.seg for q in pieces[i + 1:]]
    return [p.seg for p in pieces]


def _frame(rows, columns, data: dict, dtype) -> pd.DataFrame:
    keys = [c.key for c in columns]
    index = pd.Index([r.key for r in rows], name="row")
    cells = [[data.get(r.key, {}).get(k, np.nan) for k in keys] for r in rows]   # one build, not cell by cell
    if dtype:
        return pd.DataFrame({k: pd.array(list(column), dtype=dtype) for k, column in zip(keys, zip(*cells))},
                            index=index)
    return pd.DataFrame(cells, index=index, columns=keys, dtype=object)


def _parse_active(pieces, template, warnings, provenance, deviations):
    table = T.active_table(template)
    region = _start_at(pieces, ("第二十条", "信息内容", "本年制发件数", "本年新制作数量"))
    norm = normalize_label(" ".join(s.text for s in region))
    for typo, official in T.ACTIVE_HEADER_VARIANTS.items():
        if typo in norm:
            deviations.append({"table": "active", "row": "", "column": "repealed", "found": typo,
                               "official": official})
    if template == "2021" and re.search(T.LABEL_2019_IN_2021, norm):
        deviations.append({"table": "active", "row": "normative_documents", "column": "", "found": "规范性文件",
                           "official": "行政规范性文件", "template": "2019"})
    reader = _Reader("active", warnings, provenance)
    events = merged(region_events(region, KeywordMatcher(table.rows)))
    data = reader.bind(events, table.rows, table.columns_of)
    for r in table.rows:
        if r.key not in data:
            reader.warn("row-missing", f"表二中没有找到“{r.label}”行", r.key)
    return _frame(table.rows, table.columns, data, None)


def _parse_requests(pieces, template, warnings, provenance, deviations):
    region = _start_at(pieces, ("勾稽关系", "申请人情况", "本年新收"))
    all_rows = T.ALL_REQUEST_ROWS
    events = list(merged(region_events(region, KeywordMatcher(all_rows))))
    seen = {k for ev in events if isinstance(ev, Keys) for k, _, _ in ev.keys}
    sub_rows = {"other_no_correction", "other_unpaid_fee", "other_other"}
    single = not (seen & sub_rows) and ("other" in seen or template == "2019")
    table = T.requests_table(template, single_other=single)
    for ev in events:
        if isinstance(ev, Keys):
            _note_variants(ev, "requests", deviations)
    reader = _Reader("requests", warnings, provenance, total_block=len(T.REQUEST_COLUMNS))
    data = reader.bind(events, table.rows, table.columns_of, stop_key="carried_forward")
    for r in table.rows:
        if r.key not in data:
            reader.warn("row-missing", f"表三中没有找到“{r.label}”行", r.key)
    return _frame(table.rows, table.columns, data, "Int64" if _all_int(data) else None)


def _parse_appeals(pieces, warnings, provenance):
    table = T.appeals_table()
    reader = _Reader("appeals", warnings, provenance, total_block=len(T.APPEAL_COLUMNS))
    region = _start_at(pieces, ("行政复议", "结果维持", "尚未审结"))
    header = T.Row("header", "表头", ("总计", "尚未审结", "审结", "其他结果", "结果纠正", "结果维持", "复议后起诉"))
    groups = _transposed_appeals(region, table, reader) or [
        ev for ev in merged(region_events(region, KeywordMatcher((header,))))
        if isinstance(ev, Values) and any(t.raw for t in ev.tokens)]
    columns = [(row.key, col.key) for row in table.rows for col in table.columns]
    data: dict[str, dict] = {}
    if not groups:
        reader.warn("table-missing", "没有读到表四的数值")
        return _frame(table.rows, table.columns, data, "Int64")
    taken = [groups[0]]
    count = _count(reader, groups[0], len(columns))
    for g in groups[1:]:
        if count >= len(columns):
            break
        taken.append(g)
        count += _count(reader, g, len(columns))
    aligned = all(g.source.get("aligned") for g in taken)
    flat = Values([t for g in taken for t in g.tokens], structured=all(g.structured for g in taken),
                  source={**taken[0].source, "aligned": aligned})
    pseudo = "、".join(r.label for r in table.rows)
    values = reader.values_for("appeals", pseudo, tuple(f"{r}|{c}" for r, c in columns), flat, "row")
    for (row, col) in columns:
        data.setdefault(row, {})[col] = values[f"{row}|{col}"]
        p = provenance.pop(("appeals", "appeals", f"{row}|{col}"), None)
        if p is not None:
            provenance[("appeals", row, col)] = p
    for w in warnings:
        if w["table"] == "appeals" and w["row"] == "appeals":
            w["row"] = ""
    return _frame(table.rows, table.columns, data, "Int64" if _all_int(data) else None)


def _transposed_appeals(region: list[Segment], table: T.Table, reader: _Reader) -> list[Values]:
    """表四 printed with its rows and columns swapped (a row per result, 结果维持 … 总计, with the three kinds
    of case across): the cells in the template's order, as one group; [] when it is not printed so."""
    results = tuple(T.Row(c.key, c.label, (c.label,)) for c in table.columns)
    rows: dict[str, Values] = {}
    held = None
    for ev in merged(region_events(region, KeywordMatcher(results))):
        if isinstance(ev, Keys):
            held = ev.keys[0][0] if len(ev.keys) == 1 else None
        elif isinstance(ev, Values) and ev.attached and held:
            rows.setdefault(held, ev)
            held = None
    if set(rows) != {c.key for c in table.columns} or any(len(g.tokens) != len(table.rows) for g in rows.values()):
        return []
    reader.warn("transposed", "表四的行与列与模板相反（每行一种结果），已按模板的行列读取")
    tokens = [rows[c.key].tokens[i] for i in range(len(table.rows)) for c in table.columns]
    first = rows[table.columns[0].key]
    return [Values(tokens, structured=all(g.structured for g in rows.values()), source=first.source)]


def _count(reader: _Reader, group: Values, n: int) -> int:
    """How many of the table's n cells a value group fills (a run that splits into n fills them all)."""
    nonempty = sum(1 for t in group.tokens if t.raw)
    if group.structured:       # a row aligned to the table's value columns fills them all, blanks too
        return len(group.tokens) if group.source.get("aligned") else nonempty
    try:
        split = reader._split([t.raw for t in group.tokens], n)[0] if all(t.raw for t in group.tokens) else None
    except SplitTooLong:
        split = None
    return n if split and nonempty < n else len(group.tokens)


def _all_int(data: dict) -> bool:
    return all(v is None or (isinstance(v, int) and not isinstance(v, bool))
               for values in data.values() for v in values.values())


def _note_variants(ev: Keys, table: str, deviations: list):
    for key, found, variant in ev.keys:
        if variant:
            deviations.append({"table": table, "row": key, "column": "", "found": found,
                               "official": T.row_label(table, key)})


# --- the whole report -----------------------------------------------------------

def parse(doc: Document) -> "Report":
    """The report; a document read several independent ways is reconciled cell by cell."""
    if not doc.alternates:
        return _parse_one(doc)
    from .reconcile import reconcile
    primary = doc.meta.get("reading", "primary")
    reports = {primary: _parse_one(doc)}
    reports.update({name: _parse_one(alt) for name, alt in doc.alternates.items()})
    return reconcile(primary, reports)


def _parse_one(doc: Document) -> "Report":
    pieces, found, headings = split_sections(_segments(doc))
    bodies = section_ranges(found, len(pieces))
    text = doc.text()
    lines = text.split("\n")
    meta = report_meta(doc, text, lines)

    def body(key):
        start, end = bodies[key]
        return [p for p in pieces[start:end] if p.heading is None]

    sections = {key: "\n".join(p.seg.text.strip() for p in body(key) if p.seg.text.strip()).strip()
                for key in T.SECTION_KEYS if key in found}
    active_text = " ".join(p.seg.text for p in body("active"))
    template, how = detect_template(active_text, meta["year"])
    meta["template"] = template
    meta["template_detected_by"] = how
    warnings: list[dict] = [dict(n) for n in doc.notes]
    provenance: dict = {}
    deviations: list[dict] = []
    active = _parse_active(body("active"), template, warnings, provenance, deviations)
    requests = _parse_requests(body("requests"), template, warnings, provenance, deviations)
    appeals = _parse_appeals(body("appeals"), warnings, provenance)
    meta["sections_found"] = [k for k in T.SECTION_KEYS if k in found]
    meta["section_headings"] = {k: {"text": h.text, "number": h.number, "official": h.official}
                                for k, h in headings.items()}
    meta["sections_unheaded"] = [k for k in T.SECTION_KEYS if k not in found
                                 and has_content(k, "\n".join(p.seg.text for p in body(k)))]
    meta["tables_found"] = [t for t in ("active", "requests", "appeals")
                            if any(p[0] == t for p in provenance)
                            or any(w["table"] == t and w["code"] not in ("row-missing", "table-missing")
                                   for w in warnings)]
    return Report(meta=meta, active=active, requests=requests, appeals=appeals, sections=sections,
                  warnings=warnings, provenance=provenance, label_deviations=deviations, text=text,
                  section_order=[k for k in sorted(found, key=found.get)])
