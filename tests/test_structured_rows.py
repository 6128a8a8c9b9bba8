"""Structured tables (tab, Markdown pipe, HTML, Word): a blank value cell is NA in its own column only.

Each input is a real report transformed: one value cell blanked (the first value cell of a row, a
cell in a row whose label spans several columns with empty filler cells after it, 表四's first cell).
The blanked cells must be NA, every other cell the original's, and the error findings the original's.
"""
from __future__ import annotations

import html

import pytest
from docx import Document as WordDocument

import govaudit
from conftest import REAL, SEEDS
from govaudit import template as T
from govaudit.numbers import is_value_text
from variants import cells, errors
from wordmaker import write_docx

SEED = SEEDS / "jiyuan-tiantan-street-2024.txt"        # 表三 rows padded: `一、本年新收…\t\t4\t0…\t4\t`
FLAT = REAL / "ptzhsyqhtp-2025.txt"                     # a real report with real 表三 errors


def assert_only_blanked(original, variant, blanked: set):
    a, b = cells(original), cells(variant)
    assert all(b[k] is None for k in blanked)
    assert {k: v for k, v in b.items() if k not in blanked} == {k: v for k, v in a.items() if k not in blanked}
    assert errors(variant) == errors(original)


# --- tab and pipe text ----------------------------------------------------------------

def _label_row(lines, label: str) -> int:
    return next(i for i, ln in enumerate(lines) if "\t" in ln and ln.split("\t")[0].strip().startswith(label))


def _value_cell(parts, nth: int) -> int:
    """Index of the row's nth value cell (filler cells after the label are not values)."""
    values = [i for i, p in enumerate(parts) if p.strip() and is_value_text(p)]
    return values[nth]


def _edit(lines, label: str, nth: int, text: str):
    i = _label_row(lines, label)
    parts = lines[i].split("\t")
    parts[_value_cell(parts, nth)] = text
    lines[i] = "\t".join(parts)


def _write(tmp_path, name, lines, pipe: bool):
    if pipe:    # Markdown: the same cells between pipes
        lines = [f"| {' | '.join(p.strip() for p in ln.split(chr(9)))} |" if "\t" in ln else ln for ln in lines]
    path = tmp_path / name
    path.write_text("\n".join(lines), encoding="utf-8")
    return govaudit.load(path)


@pytest.mark.parametrize("pipe", [False, True], ids=["tab", "pipe"])
def test_blank_cells_in_padded_and_first_columns_of_text_tables(tmp_path, pipe):
    lines = SEED.read_text(encoding="utf-8").split("\n")
    _edit(lines, "四、结转下年度", 6, "3")   # a real error to keep finding: 总计 0 -> 3 (T3-ROW-TOTAL)
    original = _write(tmp_path, "original.txt", lines, pipe)
    assert ("T3-ROW-TOTAL", "requests", "carried_forward", "total") in errors(original)
    _edit(lines, "二、上年结转", 0, "")       # 自然人 of a padded row (label, filler, 7 values, empty cell)
    _edit(lines, "一、本年新收", 3, "")       # a middle cell of a padded row
    i = next(i for i, ln in enumerate(lines) if "本机关不掌握" in ln)
    parts = lines[i].split("\t")
    parts[_value_cell(parts, 0)] = ""        # the first value cell of a 表三 row with a three-cell label
    lines[i] = "\t".join(parts)
    variant = _write(tmp_path, "variant.txt", lines, pipe)
    blanked = {("requests", "carried_over", "natural_person"), ("requests", "new_received", "social_org"),
               ("requests", "unable_not_held", "natural_person")}
    assert_only_blanked(original, variant, blanked)
    assert original.value("requests", "carried_over", "natural_person") == 1
    assert original.value("requests", "unable_not_held", "natural_person") == 1
    assert variant.value("requests", "carried_over", "total") == 1


def test_text_row_whose_alignment_is_unknown_stays_na_with_a_warning(tmp_path):
    lines = SEED.read_text(encoding="utf-8").split("\n")
    i = _label_row(lines, "二、上年结转")
    # the row alone keeps its label, a filler cell and six numbers: is the blank 自然人 or the filler? unknown
    lines[i] = "\t".join(["二、上年结转政府信息公开申请数量", "", "0", "0", "0", "0", "0", "1"])
    report = _write(tmp_path, "unknown.txt", lines, pipe=False)
    assert all(report.value("requests", "carried_over", c) is None for c in report.requests.columns)
    assert any(w["code"] == "count-mismatch" and w["row"] == "carried_over" for w in report.warnings)


# --- Word and HTML laid out like the official template -------------------------------------

@pytest.fixture(scope="module")
def flat():
    return govaudit.load(FLAT)


def _docx(flat, path, blank=()):
    write_docx(flat, path, split_requests_before=None)
    doc = WordDocument(str(path))
    for table, row, col in blank:
        doc.tables[table].cell(row, col).text = ""
    doc.save(path)
    return govaudit.load(path)


def test_word_blank_first_value_cells(tmp_path, flat):
    original = _docx(flat, tmp_path / "original.docx")
    assert errors(original) == errors(flat) and errors(original)
    requests_row = 3 + list(original.requests.index).index("denied_state_secret")
    variant = _docx(flat, tmp_path / "variant.docx", [(1, 4, 3), (1, requests_row, 3), (2, 3, 0)])
    blanked = {("requests", "carried_over", "natural_person"), ("requests", "denied_state_secret", "natural_person"),
               ("appeals", "review", "upheld")}
    assert_only_blanked(original, variant, blanked)
    assert cells(original) == cells(flat)


def _td(text, rows=1, cols=1) -> str:
    span = (f" rowspan='{rows}'" if rows > 1 else "") + (f" colspan='{cols}'" if cols > 1 else "")
    return f"<td{span}>{html.escape(text)}</td>"


def _v(report, table, row, col, blank) -> str:
    if (table, row, col) in blank:
        return ""
    v = report.value(table, row, col)
    return "/" if v is None else str(int(v)) if float(v).is_integer() else str(v)


def _html(report, blank=frozenset()) -> str:
    """The report as a web page with the official tables (rowspan/colspan as the template's)."""
    out = [f"<html><body><h1>{html.escape(report.meta['title'])}</h1>"]
    for s in T.SECTIONS:
        out.append(f"<p>{s.number}、{s.title}</p>")
        if s.key == "active":
            out.append("<table>")
            for title, labels, keys in (("第二十条第（一）项", ["本年制发件数", "本年废止件数", "现行有效件数"],
                                         ["regulations", "normative_documents"]),
                                        ("第二十条第（五）项", ["本年处理决定数量"], ["licensing"]),
                                        ("第二十条第（六）项", ["本年处理决定数量"], ["punishment", "coercion"]),
                                        ("第二十条第（八）项", ["本年收费金额（单位：万元）"], ["admin_fees"])):
                out.append(f"<tr>{_td(title, cols=4)}</tr><tr>{_td('信息内容')}"
                           + ("".join(_td(x) for x in labels) if len(labels) > 1 else _td(labels[0], cols=3))
                           + "</tr>")
                for k in keys:
                    vals = [_v(report, "active", k, c, blank) for c in T.active_table("2021").columns_of(k)]
                    out.append(f"<tr>{_td(T.row_label('active', k))}"
                               + ("".join(_td(v) for v in vals) if len(vals) > 1 else _td(vals[0], cols=3))
                               + "</tr>")
            out.append("</table>")
        elif s.key == "requests":
            out.append(_requests_html(report, blank))
        elif s.key == "appeals":
            head = ("<tr>" + _td("行政复议", 2, 5) + _td("行政诉讼", cols=10) + "</tr><tr>"
                    + _td("未经复议直接起诉", cols=5) + _td("复议后起诉", cols=5) + "</tr><tr>"
                    + "".join(_td(x) for x in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计") * 3) + "</tr>")
            vals = "".join(_td(_v(report, "appeals", r, c, blank)) for r in report.appeals.index
                           for c in report.appeals.columns)
            out.append(f"<table>{head}<tr>{vals}</tr></table>")
        else:
            out += [f"<p>{html.escape(x)}</p>" for x in report.sections.get(s.key, "").split("\n") if x.strip()]
    return "".join(out) + "</body></html>"


def _requests_html(report, blank) -> str:
    rows = list(report.requests.index)
    groups = {}
    for key in rows:
        g = next(x for x in T.ALL_REQUEST_ROWS if x.key == key).group
        if g:
            groups[g] = groups.get(g, 0) + 1
    results = sum(1 for k in rows if k not in ("new_received", "carried_over", "carried_forward"))
    out = ["<table><tr>" + _td(T._REQUEST_NOTE, 3, 3) + _td("申请人情况", cols=7) + "</tr><tr>"
           + _td("自然人", 2) + _td("法人或其他组织", cols=5) + _td("总计", 2) + "</tr><tr>"
           + "".join(_td(x) for x in ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")) + "</tr>"]
    seen_results, seen_groups = False, set()
    for key in rows:
        row = next(x for x in T.ALL_REQUEST_ROWS if x.key == key)
        tds = ""
        if key in ("new_received", "carried_over", "carried_forward"):
            tds = _td(row.label, cols=3)
        else:
            if not seen_results:
                tds += _td("三、本年度办理结果", rows=results)
                seen_results = True
            if row.group:
                if row.group not in seen_groups:
                    tds += _td(row.group, rows=groups[row.group])
                    seen_groups.add(row.group)
                tds += _td(row.label)
            else:
                tds += _td(row.label, cols=2)
        tds += "".join(_td(_v(report, "requests", key, c, blank)) for c in report.requests.columns)
        out.append(f"<tr>{tds}</tr>")
    return "".join(out) + "</table>"


@pytest.mark.parametrize("edge", [False, True], ids=["table", "empty-column-at-the-right-edge"])
def test_html_blank_first_value_cells(tmp_path, flat, edge):
    page = (lambda text: text.replace("</tr>", "<td></td></tr>")) if edge else (lambda text: text)
    (tmp_path / "original.html").write_text(page(_html(flat)), encoding="utf-8")
    original = govaudit.load(tmp_path / "original.html")
    assert cells(original) == cells(flat) and errors(original) == errors(flat)
    blanked = {("requests", "carried_over", "natural_person"), ("requests", "denied_state_secret", "natural_person"),
               ("requests", "granted", "natural_person"), ("active", "regulations", "issued"),
               ("appeals", "review", "upheld")}
    (tmp_path / "variant.html").write_text(page(_html(flat, blanked)), encoding="utf-8")
    assert_only_blanked(original, govaudit.load(tmp_path / "variant.html"), blanked)


APPEALS = {"review": (2, 1, 0, 1, 4), "suit_direct": (1, 0, 0, 2, 5), "suit_after_review": (0, 1, 1, 0, 2)}


def _appeals_html(transposed: bool) -> str:
    """表四 with every cell different (suit_direct's 总计 wrong: a real T4-TOTAL error), as the template
    prints it (three kinds of case across, their results below), or with rows and columns swapped."""
    results = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
    if not transposed:
        head = ("<tr>" + _td("行政复议", 2, 5) + _td("行政诉讼", cols=10) + "</tr><tr>"
                + _td("未经复议直接起诉", cols=5) + _td("复议后起诉", cols=5) + "</tr><tr>"
                + "".join(_td(x) for x in results * 3) + "</tr>")
        return f"<table>{head}<tr>{''.join(_td(str(v)) for k in APPEALS for v in APPEALS[k])}</tr></table>"
    head = "<tr>" + "".join(_td(x) for x in ("", "行政复议", "未经复议直接起诉", "复议后起诉")) + "</tr>"
    rows = "".join("<tr>" + _td(r) + "".join(_td(str(APPEALS[k][i])) for k in APPEALS) + "</tr>"
                   for i, r in enumerate(results))
    return f"<table>{head}{rows}</table>"


def test_html_table_four_with_rows_and_columns_swapped(tmp_path, flat):
    page = _html(flat)
    start = page.index("<table>", page.index("四、政府信息公开行政复议"))
    end = page.index("</table>", start) + len("</table>")
    for name, transposed in (("original.html", False), ("variant.html", True)):
        (tmp_path / name).write_text(page[:start] + _appeals_html(transposed) + page[end:], encoding="utf-8")
    original, variant = govaudit.load(tmp_path / "original.html"), govaudit.load(tmp_path / "variant.html")
    assert {k: original.appeals.loc[k].tolist() for k in APPEALS} == {k: list(v) for k, v in APPEALS.items()}
    assert cells(variant) == cells(original)
    assert ("T4-TOTAL", "appeals", "suit_direct", "total") in errors(original) and errors(variant) == errors(original)
    assert [w["code"] for w in variant.warnings if w["table"] == "appeals"] == ["transposed"]


# --- web navigation before the title ------------------------------------------------------

NAV = ["网站首页 | 机构概况 | 政务公开 | 办事服务 | 互动交流",
       "您当前所在位置：首页 > 政务公开 > 政府信息公开年报",
       "示例县政务公开网",
       "当前位置：首页>政府信息公开>年报",
       "字体：[大 中 小] 浏览次数：1234"]


def meta_findings(report) -> set:
    f = govaudit.check(report)
    return {(e.rule, e.severity, str(e.expected), str(e.actual)) for e in f.itertuples()
            if e.rule.startswith(("S-TEMPLATE", "M-"))}


def test_breadcrumb_lines_before_the_title_are_not_the_title(tmp_path):
    # a 2021 report on the old template, published late: S-TEMPLATE-VERSION and M-DEADLINE need year and title
    lines = (REAL / "ptzhsyqhtp-2021.txt").read_text(encoding="utf-8").split("\n")
    lines = [ln.replace("发布时间: 2022-01-12", "发布时间: 2022-03-20") for ln in lines]
    (tmp_path / "original.txt").write_text("\n".join(lines), encoding="utf-8")
    original = govaudit.load(tmp_path / "original.txt")
    title = lines[0].removeprefix("标题: ")
    (tmp_path / "nav.txt").write_text("\n".join(NAV + [title] + lines[1:]), encoding="utf-8")
    variant = govaudit.load(tmp_path / "nav.txt")
    assert (variant.year, variant.agency) == (original.year, original.agency) == (2021, "平潭综合实验区海坛片区管理局")
    assert {r for r, *_ in meta_findings(original)} >= {"S-TEMPLATE-VERSION", "M-DEADLINE"}
    assert meta_findings(variant) == meta_findings(original)
    assert errors(variant) == errors(original)
    assert cells(variant) == cells(original)


def test_breadcrumb_in_a_web_page_layout_before_the_title(tmp_path, flat):
    page = _html(flat).replace("<body>", "<body><p>发布时间：2026-03-20</p>")
    (tmp_path / "original.html").write_text(page, encoding="utf-8")
    original = govaudit.load(tmp_path / "original.html")
    nav = ("<table><tr><td>首页</td><td>|政务公开</td><td>|政府信息公开年报</td></tr></table>"
           "<div>首页 | 政务公开</div>")
    (tmp_path / "nav.html").write_text(page.replace("<body>", "<body>" + nav), encoding="utf-8")
    variant = govaudit.load(tmp_path / "nav.html")
    assert (variant.year, variant.agency, variant.meta["title"]) == \
        (original.year, original.agency, original.meta["title"]) == \
        (2025, "平潭综合实验区海坛片区管理局", "平潭综合实验区海坛片区管理局2025年度政府信息公开工作年度报告")
    assert "M-DEADLINE" in {r for r, *_ in meta_findings(original)}
    assert meta_findings(variant) == meta_findings(original)
    assert errors(variant) == errors(original) and cells(variant) == cells(original)


def test_title_printed_after_the_breadcrumb_on_its_line(tmp_path):
    lines = SEED.read_text(encoding="utf-8").split("\n")
    original = govaudit.load(SEED)
    i = next(i for i, ln in enumerate(lines) if ln.startswith("# "))
    lines[i] = "首页 | 政务公开" + lines[i].removeprefix("# ")
    (tmp_path / "glued.txt").write_text("\n".join(lines), encoding="utf-8")
    variant = govaudit.load(tmp_path / "glued.txt")
    assert (variant.year, variant.agency) == (original.year, original.agency) == (2024, "天坛街道办事处")
