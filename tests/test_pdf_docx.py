"""PDF and Word readers on real files and on Word/PDF files that reproduce what Word and WPS do."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

import govaudit
from conftest import SEEDS
from govaudit.document import Table
from govaudit.parse import parse
from govaudit.readers import docx as docx_reader
from govaudit.readers import pdf as pdf_reader
from wordmaker import write_docx

TABLES = ("active", "requests", "appeals")
needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
needs_java = pytest.mark.skipif(not pdf_reader.java_available(), reason="no JVM for tabula")


def same_values(a, b) -> bool:
    return all(a.table(t).astype(object).fillna("NA").equals(b.table(t).astype(object).fillna("NA")) for t in TABLES)


def soffice_convert(src: Path, fmt: str, outdir: Path) -> Path:
    subprocess.run(["soffice", f"-env:UserInstallation={(outdir / 'lo-profile').as_uri()}", "--headless",
                    "--convert-to", fmt, "--outdir", str(outdir), str(src)], check=True, capture_output=True,
                   timeout=180)
    return outdir / f"{src.stem}.{fmt}"


@pytest.fixture(scope="module")
def hongze(real):
    return govaudit.load(real / "hongze-district-2023.pdf")


# --- the real PDF -------------------------------------------------------------------

def test_hongze_numbers_carry_page_and_box(hongze):
    p = hongze.provenance[("requests", "unable_needs_creation", "total")]
    assert p["page"] == 3 and p["raw"] == "3" and len(p["bbox"]) == 4
    assert hongze.provenance[("appeals", "review", "upheld")]["page"] == 4
    assert hongze.meta["sections_found"] == ["overview", "active", "requests", "appeals", "problems", "other"]
    assert not [w for w in hongze.warnings if w["code"] in ("orphan-values", "stray-number")]  # page numbers dropped


@needs_java
def test_hongze_row_tabula_loses_at_page_break_is_kept_by_the_other_readings(hongze):
    assert hongze.meta["readings"] == ["grid", "tabula", "words"]
    lost = {k[2] for k, p in hongze.provenance.items() if "tabula" not in p["readings"]}
    assert lost == set(hongze.requests.columns)          # the 7 cells of (四)2 only
    assert {k[1] for k, p in hongze.provenance.items() if "tabula" not in p["readings"]} == {"unable_needs_creation"}
    assert hongze.value("requests", "unable_needs_creation", "natural_person") == 3


def test_hongze_real_table4_total_error_is_found(hongze):
    findings = govaudit.check(hongze)
    errors = findings[findings.severity == "error"]
    assert set(zip(errors.rule, errors.row)) == {("T4-TOTAL", "review"), ("T4-TOTAL", "suit_after_review")}
    review = errors[errors.row == "review"].iloc[0]
    assert (review.expected, review.actual) == (11, 0)


def test_readings_that_disagree_give_na_and_a_warning(real):
    doc = pdf_reader.read(real / "hongze-district-2023.pdf")
    for block in doc.alternates["words"].blocks:      # one reading sees 4179 where the others see 4119
        if isinstance(block, Table):
            for cell in block.rows[0]:
                if cell.text == "4119":
                    cell.text = "4179"
    report = parse(doc)
    assert report.value("active", "punishment", "decisions") is None
    [w] = [w for w in report.warnings if w["code"] == "reading-disagree"]
    assert "4179" in w["message"] and "4119" in w["message"] and w["source"]["page"] == 3
    assert report.value("active", "coercion", "decisions") == 195
    findings = govaudit.check(report)
    assert "P-PARSE" in set(findings.rule)


def test_without_tabula_the_pdfplumber_readings_still_agree(real, monkeypatch):
    monkeypatch.setenv("GOVAUDIT_PDF_TABULA", "0")
    report = govaudit.load(real / "hongze-district-2023.pdf")
    assert report.meta["readings"] == ["grid", "words"]
    assert any(w["code"] == "pdf-single-reading" for w in report.warnings)
    assert report.value("appeals", "review", "upheld") == 10


def test_image_only_pdf_is_reported_not_clean(real, tmp_path):
    png = tmp_path / "page"
    subprocess.run(["pdftoppm", "-f", "3", "-l", "3", "-r", "60", "-png", str(real / "hongze-district-2023.pdf"),
                    str(png)], check=True)
    scan = tmp_path / "scan.pdf"
    Image.open(next(tmp_path.glob("page*.png"))).convert("RGB").save(scan)
    report = govaudit.load(scan)
    assert all(report.table(t).isna().all().all() for t in TABLES)
    findings = govaudit.check(report)
    assert "M-NOT-TEXT" in set(findings.rule)
    assert list(findings.rule) == ["M-NOT-TEXT"]      # a missing section would not be true: nothing was read


def test_truncated_and_fake_pdfs_are_read_errors(real, tmp_path):
    data = (real / "hongze-district-2023.pdf").read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(data[: len(data) // 3])
    fake = tmp_path / "fake.pdf"
    fake.write_text("这不是PDF", encoding="utf-8")
    for path in (cut, fake):
        with pytest.raises(govaudit.ReadError) as e:
            govaudit.load(path)
        assert path.name in str(e.value)


# --- Word, and PDFs that LibreOffice makes from it ----------------------------------

@pytest.fixture(scope="module")
def word_files(tmp_path_factory):
    out = tmp_path_factory.mktemp("word")
    return {f.name: (govaudit.load(f), write_docx(govaudit.load(f), out / f"{f.stem}.docx"))
            for f in sorted(SEEDS.glob("*.txt"))}


def test_docx_every_cell_matches_the_text_version(word_files):
    for name, (text_report, docx_path) in word_files.items():
        report = govaudit.load(docx_path)
        assert same_values(report, text_report), name
        assert report.meta["sections_found"] == text_report.meta["sections_found"], name
        assert report.agency == text_report.agency


def test_docx_merged_cells_are_emitted_once_with_their_span(word_files):
    _, path = word_files["lushan-qintai-street-2024.txt"]
    doc = docx_reader.read(path)
    cells = [c for b in doc.blocks if isinstance(b, Table) for row in b.rows for c in row]
    results = [c for c in cells if c.text == "三、本年度办理结果"]
    assert len(results) == 2                       # once in each half of the split 表三
    assert [c.rowspan for c in results] == [11, 11]   # (一)…(四)1 | (四)2…(七)
    [denied] = [c for c in cells if c.text == "（三）不予公开"]
    assert denied.rowspan == 8
    assert max(c.colspan for c in cells if c.text == "申请人情况") == 7


def test_broken_docx_is_a_read_error(tmp_path):
    bad = tmp_path / "bad.docx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(govaudit.ReadError, match="bad.docx"):
        govaudit.load(bad)


@needs_soffice
def test_doc_is_converted_by_libreoffice(word_files, tmp_path):
    text_report, docx_path = word_files["jiyuan-tiantan-street-2024.txt"]
    doc = soffice_convert(docx_path, "doc", tmp_path)
    report = govaudit.load(doc)
    assert same_values(report, text_report)
    assert report.meta["format"] == "doc"


@needs_soffice
@pytest.mark.parametrize("name", ["lushan-qintai-street-2024.txt", "qufu-shizhuang-street-2024.txt"])
def test_pdf_made_by_libreoffice_matches_the_text_version(word_files, tmp_path, name):
    text_report, docx_path = word_files[name]
    report = govaudit.load(soffice_convert(docx_path, "pdf", tmp_path))
    assert same_values(report, text_report)
    assert not [w for w in report.warnings if w["code"] == "reading-disagree"]
    assert {p["page"] for p in report.provenance.values()} >= {2}
