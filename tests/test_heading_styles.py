"""Part headings numbered in other styles read as the official "一、总体情况" does.

Each real report (seeds and tests/fixtures/real) is rewritten with its part headings numbered
"第一部分 总体情况" or "1、总体情况" (the same number as printed, the same words); the rewritten report must
give the same parts, the same heading numbers, the same table values and the same findings as the original.
An Arabic "1、…" is also the style of list items inside a part, so a list item that carries a part's title
must not become that part's heading.
"""
from __future__ import annotations

import logging
import re

import pandas as pd
import pytest

import govaudit
from conftest import REAL, SEEDS

_CN = "一二三四五六七八九十"
_PREFIX = re.compile(r"^([一二三四五六七八九十]{1,2})\s*[、.．,，]?\s*")
STYLES = {
    "part": lambda cn, n: f"第{cn}部分 ",
    "part_colon": lambda cn, n: f"第{cn}部分：",
    "arabic": lambda cn, n: f"{n}、",
    "arabic_dot": lambda cn, n: f"{n}.",
}


def _reports():
    files = sorted(SEEDS.glob("*.txt")) + sorted(REAL.glob("*.txt")) + sorted(REAL.glob("*.md"))
    return [f for f in files if f.is_file()]


def _load(path):
    logging.disable(logging.CRITICAL)
    try:
        return govaudit.load(path)
    finally:
        logging.disable(logging.NOTSET)


def _restyle(raw: str, report, style) -> tuple[str, int]:
    """``raw`` with each numbered part heading renumbered in ``style``; how many were rewritten.
    An Arabic-numbered heading counts only with the official wording, so only those are rewritten in that style,
    and not where a flattened page runs it into a table's last number ("…0000000四、" would read "…00000004、")."""
    arabic = style in (STYLES["arabic"], STYLES["arabic_dot"])
    done = 0
    for h in report.meta["section_headings"].values():
        m = _PREFIX.match(h["text"])
        if not m or (arabic and not h["official"]):
            continue
        n = _CN.index(m.group(1)) + 1 if len(m.group(1)) == 1 else None
        assert raw.count(h["text"]) == 1, h["text"]
        at = raw.index(h["text"])
        if n is None or (arabic and at and raw[at - 1].isdigit()):
            continue
        raw = raw.replace(h["text"], style(m.group(1), n) + h["text"][m.end():])
        done += 1
    return raw, done


def _findings(report) -> set:
    f = govaudit.check(report)
    return set() if f.empty else {(a.rule, a.severity, a.table, a.row, a.column) for a in f.itertuples()}


def _same(a, b):
    assert b.meta["sections_found"] == a.meta["sections_found"]
    assert ({k: (h["number"], h["official"]) for k, h in b.meta["section_headings"].items()}
            == {k: (h["number"], h["official"]) for k, h in a.meta["section_headings"].items()})
    for table in ("active", "requests", "appeals"):
        pd.testing.assert_frame_equal(getattr(b, table), getattr(a, table))
    assert _findings(b) == _findings(a)


@pytest.mark.parametrize("style", sorted(STYLES))
@pytest.mark.parametrize("path", _reports(), ids=lambda p: p.name)
def test_restyled_headings_read_as_the_official_ones(tmp_path, path, style):
    original = _load(path)
    raw = path.read_text(encoding="utf-8")
    text, done = _restyle(raw, original, STYLES[style])
    assert done >= 2
    variant = tmp_path / path.name
    variant.write_text(text, encoding="utf-8")
    _same(original, _load(variant))


# (style of the report's headings, a list item put at the start of its overview); not covered: "2、主动公开政府
#信息情况" as an item under "1、总体情况" in a report whose own headings are "1、…" (it reads as the heading)
LIST_ITEMS = [("official", "1、主动公开政府信息情况"), ("official", "2、主动公开政府信息情况"),
              ("official", "3、收到和处理政府信息公开申请情况"), ("arabic", "1、主动公开政府信息情况"),
              ("arabic", "1、收到和处理政府信息公开申请情况"), ("arabic", "3、收到和处理政府信息公开申请情况")]


@pytest.mark.parametrize("style,item", LIST_ITEMS)
def test_list_item_with_a_part_title_is_not_a_heading(tmp_path, style, item):
    """A list item inside the overview that carries a part's official title leaves the parts as they were:
    an Arabic-numbered one loses to the report's own heading of the part in any other style, and among
    Arabic-numbered ones the parts' numbers must increase."""
    path = SEEDS / "lushan-kuqu-township-2024.txt"
    original = _load(path)
    raw = path.read_text(encoding="utf-8")
    if style != "official":
        raw, _ = _restyle(raw, original, STYLES[style])
        original_path = tmp_path / "restyled.txt"
        original_path.write_text(raw, encoding="utf-8")
        original = _load(original_path)
    overview = original.meta["section_headings"]["overview"]["text"]
    raw = raw.replace(overview + "\n", overview + "\n" + item + "：本机关按要求做好此项工作。\n", 1)
    assert item in raw
    variant = tmp_path / "item.txt"
    variant.write_text(raw, encoding="utf-8")
    _same(original, _load(variant))
