"""The 通报 draft, re-read with python-docx and compared with the review database."""
from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pdfplumber
import pytest
from docx.oxml.ns import qn
from docx.shared import Mm
from lxml import etree

import govaudit
from conftest import SEEDS
from govaudit import store
from govaudit.cli import main

_UNIT_HEADING = re.compile(r"^（[一二三四五六七八九十]+）(.+)（(\d+)条）$")


def _reviewed_round(url: str) -> tuple[dict[str, int], str]:
    """Record a check of the samples, confirm all findings but one, add flags; return confirmed counts by unit."""
    corpus = govaudit.load_many(SEEDS, progress=False, workers=1)
    with store.open(url, user="李四") as db:
        db.record_run(govaudit.check(corpus), list(corpus))
        work = db.worklist()
        dismissed = work.iloc[0]
        db.review(dismissed.id, report=dismissed.report, status="已排除", note="经核实无误")
        for i, rec in enumerate(work.iloc[1:].itertuples()):
            db.review(rec.id, report=rec.report, status="已确认", note=f"=请核实第{i + 1}处", rectification="整改中")
        quiet = next(r for r in corpus if r.id not in set(work.report))        # a unit the rules found clean
        for message in ("表二未说明规范性文件废止情况", "概述部分未写明公开平台建设情况"):
            db.flag(quiet.id, message, section="overview")
        confirmed = db.worklist().query("status == '已确认'")
        return confirmed.groupby("agency").size().to_dict(), dismissed.message


def test_bulletin_names_each_unit_with_its_confirmed_problems(db_url, tmp_path):
    expected, dismissed_message = _reviewed_round(db_url)
    out = tmp_path / "通报.docx"
    assert main(["report", "--db", db_url, "--out", str(out), "--issuer", "某市政务公开办"]) == 0

    doc = docx.Document(str(out))
    text = "\n".join(p.text for p in doc.paragraphs)
    units = [m.groups() for m in map(_UNIT_HEADING.match, (p.text for p in doc.paragraphs)) if m]
    assert {agency: int(n) for agency, n in units} == expected
    assert len(doc.tables) == len(units)
    for (agency, n), table in zip(units, doc.tables):
        assert len(table.rows) == int(n) + 1                       # a header row, then one row per problem
        assert [c.text for c in table.rows[0].cells][:3] == ["序号", "问题", "规则"]
    cells = [c.text for t in doc.tables for row in t.rows[1:] for c in row.cells]
    assert "=请核实第1处" in cells and "人工标注" in cells      # the inspector's note, kept as written
    assert dismissed_message not in cells
    total = sum(expected.values())
    assert f"确认问题{total}条，涉及{len(expected)}家单位" in text
    assert "对5家单位报送的5份2024年度" in text and "某市政务公开办" in text
    assert len(doc.inline_shapes) == 1                             # the chart


def test_bulletin_without_confirmed_problems_says_so(tmp_path):
    url = f"sqlite:///{tmp_path / 'reviews.db'}"
    corpus = govaudit.load_many(SEEDS, progress=False, workers=1)
    with store.open(url) as db:
        db.record_run(govaudit.check(corpus), list(corpus))
    out = tmp_path / "通报.docx"
    assert main(["report", "--db", url, "--out", str(out)]) == 0
    doc = docx.Document(str(out))
    assert "经审核，未发现需要通报的问题。" in [p.text for p in doc.paragraphs]
    assert not doc.tables and not doc.inline_shapes


def test_bulletin_refuses_other_file_types(tmp_path, capsys):
    assert main(["report", "--db", f"sqlite:///{tmp_path / 'r.db'}", "--out", str(tmp_path / "通报.pdf")]) != 0
    assert "通报只能保存为 .docx 文件" in capsys.readouterr().err


# --- GB/T 9704-2012 layout, re-read with python-docx and rendered by LibreOffice -------------------

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")


def _confirmed_round(url: str, files: list[Path]) -> None:
    """Record a check of ``files`` and confirm every finding."""
    corpus = govaudit.load_many(files, progress=False, workers=1)
    with store.open(url, user="李四") as db:
        db.record_run(govaudit.check(corpus), list(corpus))
        for rec in db.worklist().itertuples():
            db.review(rec.id, report=rec.report, status="已确认", note="请核实", rectification="整改中")


@pytest.fixture(scope="module")
def layout_draft(tmp_path_factory) -> Path:
    """The 通报 of the samples (one year, findings confirmed in three units)."""
    tmp = tmp_path_factory.mktemp("layout")
    url = f"sqlite:///{tmp / 'reviews.db'}"
    _confirmed_round(url, [SEEDS])
    out = tmp / "通报.docx"
    assert main(["report", "--db", url, "--out", str(out), "--issuer", "某市政务公开办"]) == 0
    return out


def _close(length, mm: float) -> bool:
    return abs(length - Mm(mm)) < Mm(0.1)         # Word stores twips: 210 mm is 11906 of them


def test_bulletin_page_is_a4_with_official_margins(layout_draft):
    section = docx.Document(str(layout_draft)).sections[0]
    assert _close(section.page_width, 210) and _close(section.page_height, 297)
    assert [round(m.mm) for m in (section.top_margin, section.bottom_margin, section.left_margin,
                                  section.right_margin)] == [37, 35, 28, 26]


def test_bulletin_body_has_22_lines_a_page(layout_draft):
    doc = docx.Document(str(layout_draft))
    section, body = doc.sections[0], doc.styles["通报正文"].paragraph_format
    text_height = section.page_height - section.top_margin - section.bottom_margin
    assert body.line_spacing_rule.name == "EXACTLY"
    assert 22 * body.line_spacing <= text_height < 23 * body.line_spacing


def test_bulletin_uses_real_styles_with_official_fonts(layout_draft):
    doc = docx.Document(str(layout_draft))
    by_style = {}
    for p in doc.paragraphs:
        by_style.setdefault(p.style.name, []).append(p.text)
    assert by_style["Title"] == ["关于2024年度政府信息公开工作年度报告审核情况的通报"]
    assert by_style["Heading 1"] == ["一、总体情况", "二、存在的问题", "三、工作要求"]
    assert all(_UNIT_HEADING.match(t) for t in by_style["Heading 2"]) and len(by_style["Heading 2"]) == 3
    assert any(t.startswith("按照政府信息公开工作年度报告审核工作安排") for t in by_style["通报正文"])
    assert "Normal" not in by_style                          # nothing left in the default style
    fonts = {name: (doc.styles[name].element.rPr.rFonts.get(qn("w:eastAsia")), doc.styles[name].font.size.pt)
             for name in ("Title", "Heading 1", "Heading 2", "通报正文")}
    assert fonts == {"Title": ("方正小标宋简体", 22), "Heading 1": ("黑体", 16), "Heading 2": ("楷体_GB2312", 16),
                     "通报正文": ("仿宋_GB2312", 16)}
    cell_styles = {p.style.name for t in doc.tables for c in t._cells for p in c.paragraphs}
    assert cell_styles == {"通报表格文字"}
    assert {t.style.name for t in doc.tables} == {"通报表格"}


def test_bulletin_names_a_common_font_for_each_official_one(layout_draft):
    """Word uses w:altName when the named font is missing; the fallbacks are fonts every Chinese Windows has."""
    with zipfile.ZipFile(layout_draft) as z:
        table = etree.fromstring(z.read("word/fontTable.xml"))
    alt = {f.get(f"{W}name"): f.find(f"{W}altName").get(f"{W}val")
           for f in table.iter(f"{W}font") if f.find(f"{W}altName") is not None}
    assert alt == {"方正小标宋简体": "黑体", "仿宋_GB2312": "仿宋", "黑体": "SimHei", "楷体_GB2312": "楷体",
                   "宋体": "SimSun", "仿宋": "Noto Serif CJK SC"}


def test_bulletin_repeats_the_problem_table_header_on_each_page(layout_draft):
    doc = docx.Document(str(layout_draft))
    assert doc.tables
    for table in doc.tables:
        rows = [row._tr for row in table.rows]
        assert rows[0].trPr is not None and rows[0].trPr.find(qn("w:tblHeader")) is not None
        assert all(tr.trPr is None or tr.trPr.find(qn("w:tblHeader")) is None for tr in rows[1:])


def test_bulletin_footer_numbers_pages_odd_right_even_left(layout_draft):
    doc = docx.Document(str(layout_draft))
    assert doc.settings.odd_and_even_pages_header_footer
    section = doc.sections[0]
    for footer, align in ((section.footer, "RIGHT"), (section.even_page_footer, "LEFT")):
        p = footer.paragraphs[0]
        instructions = "".join(t.text for t in p._p.iter(qn("w:instrText")))
        assert instructions.strip() == "PAGE"
        assert p.text == "— 1 —" and p.alignment.name == align
        assert {r.font.size.pt for r in p.runs} == {14}
        assert {r.element.rPr.rFonts.get(qn("w:eastAsia")) for r in p.runs} == {"宋体"}


def test_bulletin_title_spans_the_years_of_the_round(tmp_path, real):
    url = f"sqlite:///{tmp_path / 'reviews.db'}"
    _confirmed_round(url, [real / "ptzhsyqgyz-2022.txt", real / "ptzhsyqgyz-2023.txt", real / "ptzhsyqgyz-2024.txt"])
    out = tmp_path / "通报.docx"
    assert main(["report", "--db", url, "--out", str(out)]) == 0
    doc = docx.Document(str(out))
    titles = [p.text for p in doc.paragraphs if p.style.name == "Title"]
    assert titles == ["关于2022—2024年度政府信息公开工作年度报告审核情况的通报"]
    assert "报送的3份2022—2024年度政府信息公开工作年度报告" in "\n".join(p.text for p in doc.paragraphs)


@needs_soffice
def test_bulletin_renders_in_libreoffice_without_missing_glyphs(layout_draft, tmp_path):
    subprocess.run(["soffice", f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(layout_draft)],
                   check=True, capture_output=True, timeout=180)
    pdf = tmp_path / f"{layout_draft.stem}.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    assert "关于2024年度政府信息公开工作年度报告审核情况的通报" in re.sub(r"\s+", "", text)
    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:]]
    assert rows and all(row[-5] == "yes" for row in rows)          # every font embedded
    with pdfplumber.open(pdf) as rendered:
        assert len(rendered.pages) >= 1
        cjk = [c for page in rendered.pages for c in page.chars if "\u4e00" <= c["text"] <= "\u9fff"]
    assert cjk and {c["fontname"].split("+")[-1] for c in cjk if "CJK" not in c["fontname"]} == set()
