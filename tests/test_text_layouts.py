"""Text layouts that lose the table grid, built by transforming real reports.

Each case changes one thing about how a table line is written (a blank row in the
one-cell-per-line layout, "无" as an empty cell, thousands separators, a row label wrapped
inside its key words) and asserts the exact cells and error findings against the original.
"""
import re

import pandas as pd
import pytest

import govaudit
from conftest import REAL, SEEDS
from govaudit.numbers import is_value_text, to_value
from govaudit.tokens import value_runs
from variants import cells, errors

CELL_PER_LINE = SEEDS / "qufu-shizhuang-street-2024.txt"     # each cell on its own line, "\t" before it
TAB_ROWS = SEEDS / "jiyuan-tiantan-street-2024.txt"          # one table row per line, cells split by tabs
FLATTENED = REAL / "ptzhsyqnyn-2024.txt"                     # a web page run into one line, 行政许可 1323


def _load(tmp_path, text, name="variant.txt"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return govaudit.load(p)


def _assert_same_except(variant, original, changed: dict):
    """Every cell as in ``original`` except ``changed`` ({(table, row, col): value}); same error findings."""
    want = cells(original)
    want.update(changed)
    got = cells(variant)
    assert {k: v for k, v in got.items() if v != want[k]} == {}
    assert errors(variant) == errors(original)


# --- 2. a blank row in the one-cell-per-line layout ----------------------------------------

def _blank_row_cells(lines: list[str], label: str) -> list[str]:
    """The cell lines after the label line, each an empty cell (a line holding only a tab)."""
    i = next(i for i, ln in enumerate(lines) if label in ln)
    out = list(lines)
    j = i + 1
    while j < len(out) and re.fullmatch(r"\t\d+", out[j]):
        out[j] = "\t"
        j += 1
    assert j > i + 1
    return out


@pytest.mark.parametrize("label,table,row", [
    ("8.属于行政查询事项", "requests", "denied_inquiry"),
    ("1.属于国家秘密", "requests", "denied_state_secret"),
    ("行政规范性文件", "active", "normative_documents"),
    ("行政许可", "active", "licensing"),
])
def test_blank_row_in_cell_per_line_layout_is_na_and_moves_nothing(tmp_path, label, table, row):
    text = CELL_PER_LINE.read_text(encoding="utf-8")
    original = govaudit.load(CELL_PER_LINE)
    variant = _load(tmp_path, "\n".join(_blank_row_cells(text.split("\n"), label)))
    df = getattr(original, table)
    _assert_same_except(variant, original, {(table, row, c): None for c in df.columns if not pd.isna(df.at[row, c])})
    assert getattr(variant, table).loc[row].isna().all()


# --- 3. "无" as an empty cell in flattened text ------------------------------------------------

def _spaced(text: str) -> str:
    """The tab layout with each row's cells separated by single spaces (a copy-paste of the table)."""
    return "\n".join(" ".join(c.strip() for c in ln.split("\t") if c.strip()) for ln in text.split("\n"))


def _replace_values(text: str, label: str, new: str) -> str:
    """The row whose label contains ``label`` with its value run replaced by ``new``."""
    pattern = re.compile(r"(" + re.escape(label) + r"[^\n\d]*?)((?: ?\d+)+)(?=\n)")
    out, n = pattern.subn(lambda m: m.group(1) + " " + new, text, count=1)
    assert n == 1
    return out


@pytest.mark.parametrize("new,na_cols", [
    ("0 0 0 0 0 0 无", ("total",)),                        # last cell
    ("0 无 0 0 0 0 0", ("commercial",)),                   # a middle cell
    ("无 无 无 无 无 无 无", "all"),                         # the whole row
])
def test_wu_marks_an_empty_cell_in_space_separated_rows(tmp_path, new, na_cols):
    base = _spaced(TAB_ROWS.read_text(encoding="utf-8"))
    original = _load(tmp_path, base, "base.txt")
    assert original.value("requests", "declined_repeated", "total") == 0
    variant = _load(tmp_path, _replace_values(base, "2. 重复申请", new))
    cols = original.requests.columns if na_cols == "all" else na_cols
    _assert_same_except(variant, original, {("requests", "declined_repeated", c): None for c in cols})


def test_wu_between_run_together_numbers_splits_nothing(tmp_path):
    """"12 0 无": the 12 stays one number ("1", "2" would be invented cells)."""
    base = _spaced(TAB_ROWS.read_text(encoding="utf-8"))
    control = _load(tmp_path, _replace_values(base, "2. 重复申请", "1 0 0 0 12 0 —"), "control.txt")
    variant = _load(tmp_path, _replace_values(base, "2. 重复申请", "1 0 0 0 12 0 无"))
    assert variant.requests.loc["declined_repeated"].tolist()[:6] == [1, 0, 0, 0, 12, 0]
    _assert_same_except(variant, control, {})


def test_wu_in_active_table_row(tmp_path):
    base = _spaced(TAB_ROWS.read_text(encoding="utf-8"))
    original = _load(tmp_path, base, "base.txt")
    variant = _load(tmp_path, base.replace("\n规章 0 0 0\n", "\n规章 0 无 0\n"))
    _assert_same_except(variant, original, {("active", "regulations", "repealed"): None})


def test_wu_as_a_cell_line_in_cell_per_line_layout(tmp_path):
    lines = CELL_PER_LINE.read_text(encoding="utf-8").split("\n")
    i = next(i for i, ln in enumerate(lines) if "4.保护第三方合法权益" in ln)
    assert lines[i + 2] == "\t0"           # 商业企业
    lines[i + 2] = "\t无"
    original = govaudit.load(CELL_PER_LINE)
    variant = _load(tmp_path, "\n".join(lines))
    _assert_same_except(variant, original, {("requests", "denied_third_party", "commercial"): None})


def test_wu_inside_labels_and_sentences_stays_text():
    assert value_runs("（四）无法提供 1. 本机关不掌握相关政府信息 1 0 0 0 0 0 1")[0][2][0][0] == "1"
    assert [t for _, _, ts in value_runs("本年度 无 行政复议 案件") for t, _ in ts] == []
    assert [t for _, _, ts in value_runs("4. 无正当理由大量反复申请 0 0 0 0 0 0 0") for t, _ in ts] == ["0"] * 7


# --- 4. thousands separators ----------------------------------------------------------------

@pytest.mark.parametrize("grouped", ["1,323", "1，323"])
def test_thousands_separator_in_flattened_page(tmp_path, grouped):
    text = FLATTENED.read_text(encoding="utf-8")
    assert "行政许可1323第" in text
    original = govaudit.load(FLATTENED)
    assert original.value("active", "licensing", "decisions") == 1323
    variant = _load(tmp_path, text.replace("行政许可1323第", f"行政许可{grouped}第"))
    _assert_same_except(variant, original, {})


@pytest.mark.parametrize("grouped,value", [("1,234", 1234), ("1，234", 1234), ("12,345,678", 12345678)])
def test_thousands_separator_in_cell_per_line_layout(tmp_path, grouped, value):
    lines = CELL_PER_LINE.read_text(encoding="utf-8").split("\n")
    i = next(i for i, ln in enumerate(lines) if ln.strip() == "行政许可")
    assert lines[i + 1] == "\t0"
    original = govaudit.load(CELL_PER_LINE)
    lines[i + 1] = "\t" + grouped
    control = _load(tmp_path, "\n".join(lines[:i + 1] + ["\t" + str(value)] + lines[i + 2:]), "control.txt")
    variant = _load(tmp_path, "\n".join(lines))
    assert variant.value("active", "licensing", "decisions") == value
    _assert_same_except(variant, original, {("active", "licensing", "decisions"): value})
    assert errors(variant) == errors(control)


def test_thousands_separator_in_space_separated_row(tmp_path):
    base = _spaced(TAB_ROWS.read_text(encoding="utf-8"))
    original = _load(tmp_path, base, "base.txt")
    assert "\n行政处罚 43\n" in base
    variant = _load(tmp_path, base.replace("\n行政处罚 43\n", "\n行政处罚 1,043\n"))
    _assert_same_except(variant, original, {("active", "punishment", "decisions"): 1043})


def test_grouped_digits_are_one_number_and_short_lists_are_not():
    assert to_value("1,234") == 1234 and to_value("1，234") == 1234 and to_value("12,345,678") == 12345678
    assert is_value_text("1,234") and is_value_text("1，234")
    for bad in ("1,2", "12,34", "1234,567", "1,234,5"):
        assert not is_value_text(bad)
    assert [t for _, _, ts in value_runs("行政许可 12,345,678") for t, _ in ts] == ["12,345,678"]
    assert [t for _, _, ts in value_runs("行政许可 1,2") for t, _ in ts] == ["1", "2"] or \
        all(t not in ("12", "1,2") for _, _, ts in value_runs("行政许可 1,2") for t, _ in ts)
    assert all(t != "1,234" for _, _, ts in value_runs("行政许可 1,234,5") for t, _ in ts)


# --- 5. a row label wrapped inside its key words ----------------------------------------------

_KEYWORDS = {      # a key word of each 表三 row with a numbered label, as printed
    "denied_state_secret": "国家秘密", "denied_prohibited": "禁止公开", "denied_safety_stability": "三安全一稳定",
    "denied_third_party": "第三方合法权益", "denied_internal_affairs": "三类内部事务",
    "denied_process_info": "四类过程性", "denied_enforcement_file": "行政执法案卷", "denied_inquiry": "行政查询事项",
    "unable_not_held": "本机关不掌握", "unable_needs_creation": "没有现成信息", "declined_petition": "信访举报投诉",
    "declined_repeated": "重复申请", "declined_publication": "公开出版物", "declined_excessive": "大量反复",
}


def _wrap_inside(text: str, keyword: str) -> str:
    """The row's label broken after the keyword's second character; the numbers go with the tail."""
    lines = text.split("\n")
    i = next(i for i, ln in enumerate(lines) if keyword in ln and re.search(r"\d\s*$", ln))
    cut = lines[i].index(keyword) + 2
    lines[i:i + 1] = [lines[i][:cut], lines[i][cut:]]
    return "\n".join(lines)


@pytest.mark.parametrize("row", ["denied_state_secret", "unable_not_held", "declined_repeated"])
def test_label_wrapped_inside_key_words_binds_its_numbers(tmp_path, row):
    base = _spaced(TAB_ROWS.read_text(encoding="utf-8"))
    original = _load(tmp_path, base, "base.txt")
    variant = _load(tmp_path, _wrap_inside(base, _KEYWORDS[row]))
    _assert_same_except(variant, original, {})


def test_every_label_wrapped_inside_key_words(tmp_path):
    base = _spaced(TAB_ROWS.read_text(encoding="utf-8"))
    original = _load(tmp_path, base, "base.txt")
    assert original.value("requests", "unable_not_held", "total") > 0       # rows differ: a shift would show
    text = base
    for kw in _KEYWORDS.values():
        text = _wrap_inside(text, kw)
    variant = _load(tmp_path, text)
    _assert_same_except(variant, original, {})


def test_every_label_wrapped_after_its_list_number(tmp_path):
    """"(三) 不予公开 1." / "属于国家秘密 0 0 …": the "1." ending a line is the label's number, not a value."""
    base = _spaced(TAB_ROWS.read_text(encoding="utf-8"))
    original = _load(tmp_path, base, "base.txt")
    text, n = re.subn(r"(?m)^(.*?\d\.) (\S+(?: \d+){7})$", r"\1\n\2", base)
    assert n >= 18
    variant = _load(tmp_path, text)
    _assert_same_except(variant, original, {})


def test_label_wrapped_with_numbers_on_its_middle_line_still_binds(tmp_path):
    """The older wrapped layout: the numbers printed on the middle line of a three-line label."""
    base = _spaced(TAB_ROWS.read_text(encoding="utf-8"))
    original = _load(tmp_path, base, "base.txt")
    assert original.value("requests", "other_no_correction", "total") > 0
    m = re.search(r"(?m)^(.*?)(行政机关不再处理其政府信)(息公开申请)((?: \d+){7})$", base)
    assert m and "逾期不补正" in m.group(1)
    wrapped = f"{m.group(1)}\n{m.group(2)}{m.group(4)}\n{m.group(3)}"
    variant = _load(tmp_path, base[:m.start()] + wrapped + base[m.end():])
    _assert_same_except(variant, original, {})


# --- a label wrapped after its numbers: "1.属于国 0 0 0 0 0 0 0" / "家秘密" (pdftotext -layout) -----

def _wrap_numbers_first(text: str, keyword: str, cut: int) -> str:
    """The row's label broken ``cut`` characters into its keyword; the numbers stay on the first line."""
    lines = text.split("\n")
    i = next(i for i, ln in enumerate(lines) if keyword in ln and re.search(r"\d\s*$", ln))
    m = re.search(r"((?: \d+)+)\s*$", lines[i])
    at = lines[i].index(keyword) + cut
    lines[i:i + 1] = [lines[i][:at] + m.group(1), lines[i][at:m.start()]]
    return "\n".join(lines)


@pytest.mark.parametrize("unread, later", [("denied_state_secret", "unable_not_held"),
                                           ("unable_not_held", "declined_petition")])
def test_a_row_whose_label_is_not_found_never_gives_its_numbers_to_a_later_row(tmp_path, unread, later):
    """"1.属于国 0 0 …" / "家秘密": neither line names the row, so its numbers wait. A later row wrapped the
    same way whose second line does name it took the oldest waiting numbers: those of a row above."""
    base = _spaced(TAB_ROWS.read_text(encoding="utf-8"))
    original = _load(tmp_path, base, "base.txt")
    assert original.requests.loc[unread].tolist() != original.requests.loc[later].tolist()   # a shift shows
    text = _wrap_numbers_first(base, _KEYWORDS[unread], 1)
    text = _wrap_numbers_first(text, _KEYWORDS[later], 0)
    variant = _load(tmp_path, text)
    _assert_same_except(variant, original, {("requests", unread, c): None for c in original.requests.columns})


# --- a PDF's columns copied one after another (pdftotext without -layout) ---------------------------

ACTIVE_VALUES = {"regulations": (2, 1, 15), "normative_documents": (7, 3, 42), "licensing": (782,),
                 "punishment": (182,), "coercion": (8,), "admin_fees": (12.5,)}     # every number differs


def _active_block(column_major: bool) -> list[str]:
    """表二 as tab rows, or as plain pdftotext prints a PDF's table: each column's cells one after another."""
    v, n = ACTIVE_VALUES, lambda x: f"{x:g}"
    if not column_major:
        return (["第二十条第（一）项", "信息内容\t本年制发件数\t本年废止件数\t现行有效件数"]
                + [f"{label}\t" + "\t".join(map(n, v[k])) for label, k in (("规章", "regulations"),
                                                                     ("行政规范性文件", "normative_documents"))]
                + ["第二十条第（五）项", "信息内容\t本年处理决定数量", f"行政许可\t{n(v['licensing'][0])}",
                   "第二十条第（六）项", "信息内容\t本年处理决定数量", f"行政处罚\t{n(v['punishment'][0])}",
                   f"行政强制\t{n(v['coercion'][0])}", "第二十条第（八）项", "信息内容\t本年收费金额（单位：万元）",
                   f"行政事业性收费\t{n(v['admin_fees'][0])}"])
    reg, norm = v["regulations"], v["normative_documents"]
    return (["第二十条第（一）项", "信息内容", "", "本年制发件数", "", "本年废止件数", "", "现行有效件数", "",
             "规章", "行政规范性文件", ""] + [line for i in range(3) for line in (n(reg[i]), n(norm[i]), "")]
            + ["第二十条第（五）项", "信息内容", "", "本年处理决定数量", "", "行政许可", "第二十条第（六）项", "",
               n(v["licensing"][0]), "", "信息内容", "行政处罚", "", "本年处理决定数量", n(v["punishment"][0]), "",
               "行政强制", "第二十条第（八）项", "", n(v["coercion"][0]), "", "信息内容", "行政事业性收费", "",
               "本年收费金额（单位：万元）", n(v["admin_fees"][0]), ""])


def test_columns_printed_one_after_another_never_give_a_row_another_rows_number(tmp_path):
    """Labels and numbers printed apart are paired by order; once a pair does not fit (2 numbers for 3
    columns), the rest no longer pairs up: 行政处罚 read 行政许可's 782. Now they are unread (NA)."""
    lines = TAB_ROWS.read_text(encoding="utf-8").split("\n")
    start = next(i for i, ln in enumerate(lines) if ln.startswith("第二十条第（一）项"))
    end = next(i for i, ln in enumerate(lines) if ln.startswith("### 三、"))
    original = _load(tmp_path, "\n".join(lines[:start] + _active_block(False) + [""] + lines[end:]), "base.txt")
    assert {k: original.active.loc[k].dropna().tolist() for k in ACTIVE_VALUES} == \
        {k: list(v) for k, v in ACTIVE_VALUES.items()}
    variant = _load(tmp_path, "\n".join(lines[:start] + _active_block(True) + [""] + lines[end:]))
    want, got = cells(original), cells(variant)
    assert {k: v for k, v in got.items() if v is not None and v != want[k]} == {}
    assert errors(variant) <= errors(original)


def test_a_row_named_on_two_lines_keeps_its_numbers(tmp_path):
    """"2. 没有现成信息" / "需要另行制作 2 0 …": the row, queued from its first line, is read with its numbers from the
    second; it stayed queued, so the next numbers without a label (the row below, its label lost) overwrote it."""
    base = _replace_values(_spaced(TAB_ROWS.read_text(encoding="utf-8")), "没有现成信息需要另行制作", "2 0 0 0 0 0 2")
    original = _load(tmp_path, base, "base.txt")
    assert original.requests.loc["unable_needs_creation", "total"] == 2
    text = base.replace("2. 没有现成信息需要另行制作 2", "2. 没有现成信息\n需要另行制作 2")
    text = text.replace("3. 补正后申请内容仍不明确 0", "0")
    assert text.count("\n") == base.count("\n") + 1
    variant = _load(tmp_path, text)
    want = {**cells(original), **{("requests", "unable_unclear", c): None for c in original.requests.columns}}
    assert {k: v for k, v in cells(variant).items() if v != want[k]} == {}
    assert errors(variant) <= errors(original)       # the sums over the unread row are not computed
