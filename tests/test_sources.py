"""Source views without a browser: 表三 with its block headings, quoted text for one-line dumps, the PDF region."""
from __future__ import annotations

import io
import re

import pytest

import govaudit
from conftest import REAL
from govaudit.readers import read
from govaudit.tokens import nfkc
from govaudit.ui.render import table_html
from govaudit.ui.sources import cited_text, pdf_region, quote_html
from govaudit.ui.workbench import reading_warning

HAITAN_2024 = REAL / "ptzhsyqhtp-2024.txt"        # one-line web dump: the whole report is line 10
JINJING_2022 = REAL / "ptzhsyqjjp-2022.txt"       # 结转下年度 printed "0 00000": a reading problem
HONGZE = REAL / "hongze-district-2023.pdf"        # 表四 行政复议 总计 printed 0 on page 4


def test_table3_keeps_its_block_headings_above_their_rows():
    r = govaudit.load(HAITAN_2024)
    html = table_html(r, "requests", "unable_not_held", "total")
    headings = re.findall(r"<tr class='ga-group'><th colspan='8'>(.*?)</th></tr>", html)
    assert headings == ["三、本年度办理结果", "（三）不予公开", "（四）无法提供", "（五）不予处理", "（六）其他处理"]
    assert html.index("（四）无法提供") < html.index("1.本机关不掌握相关政府信息") < html.index("（五）不予处理")


def test_offsets_point_into_the_source_line_of_every_real_text_report():
    checked = 0
    for path in sorted(REAL.glob("*.txt")) + [REAL / "shanghai-stcsm-2024.md"]:
        r = govaudit.load(path)
        lines = {}
        for b in read(path).blocks:
            if hasattr(b, "text"):
                lines.setdefault(b.source["line"], []).append(nfkc(b.text))
        for key, p in r.provenance.items():
            if "offset" in p:
                assert any(t.startswith(cited_text(p), p["offset"]) for t in lines[p["line"]]), (path.name, key, p)
                checked += 1
    assert checked > 5000


def test_a_one_line_dump_is_quoted_around_the_cited_number():
    r = govaudit.load(HAITAN_2024)
    p = r.provenance[("requests", "total_processed", "total")]
    assert p["line"] == 10
    html = quote_html(r.meta["source"], p, cited_text(p))
    assert "<mark class='ga-cite'>5100000</mark>" in html          # the printed run the 0 was split from
    quoted = re.search(r"<div class='ga-quote'>(.*?)</div>", html).group(1)
    assert "(七)总计" in quoted and "四、结转下年度继续办理" in quoted
    assert len(re.sub(r"<[^>]+>", "", quoted)) < 100                 # about 80 characters, not the whole report
    assert "原文第10行第" in html


def test_a_reading_problem_is_quoted_where_it_was_printed():
    r = govaudit.load(JINJING_2022)
    finding = govaudit.check(r).query("rule == 'P-PARSE'").iloc[0].to_dict()
    w = reading_warning(r, finding)
    assert w["quote"] == "0 00000" and "offset" in w["source"]
    html = quote_html(r.meta["source"], w["source"], w["quote"])
    assert "<mark class='ga-cite'>0 00000</mark>" in html and "结转下年度继续办理" in html


def test_quoted_text_is_escaped(tmp_path):
    src = tmp_path / "r.txt"
    src.write_text("第一行\n数字<b>2</b>在此 1 2 3 以及<img src=x>\n", encoding="utf-8")
    html = quote_html(str(src), {"line": 2}, "1 2 3")
    assert "<mark class='ga-cite'>1 2 3</mark>" in html
    assert "&lt;img src=x&gt;" in html and "<img" not in html and "<b>" not in html
    assert quote_html(str(src), {"line": 2}, "2") == ""       # "2" is printed twice: no guessing which


@pytest.fixture(scope="module")
def hongze():
    return govaudit.load(HONGZE)


def test_pdf_region_boxes_the_cell_in_red_below_the_table_headers(hongze):
    import pdfplumber
    from PIL import Image
    p = hongze.provenance[("appeals", "review", "total")]
    png, box = pdf_region(hongze.meta["source"], p["page"], p["bbox"])
    with pdfplumber.open(HONGZE) as pdf:
        words = pdf.pages[p["page"] - 1].crop(box).extract_words()
    text = "".join(w["text"] for w in words)
    assert all(h in text for h in ("行政复议", "未经复议直接起诉", "复议后起诉", "尚未", "总计"))   # the headers
    image = Image.open(io.BytesIO(png)).convert("RGB")
    scale = image.width / (box[2] - box[0])
    x0, top, x1, bottom = p["bbox"]
    red = [(x, y) for x in range(image.width) for y in range(image.height) if image.getpixel((x, y)) == (220, 38, 38)]
    xs, ys = [x for x, _ in red], [y for _, y in red]
    assert red
    assert abs(min(xs) / scale - (x0 - 2)) < 3 and abs(max(xs) / scale - (x1 + 2)) < 3
    assert abs(min(ys) / scale + box[1] - (top - 2)) < 3 and abs(max(ys) / scale + box[1] - (bottom + 2)) < 3
