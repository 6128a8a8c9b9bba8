"""Findings at their source in the real workbench and the dashboard's charts (headless Chromium, offline); a cell
low in a tall PDF table is shown in a capped crop with its column headers."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import govaudit
from browser import CHROMIUM, offline, open_workbench, running_app
from conftest import REAL, SEEDS
from govaudit import store
from govaudit.ui.sources import MAX_CROP, RESOLUTION, crop_boxes, pdf_region

if not Path(CHROMIUM).exists():
    pytest.fail("Debian chromium is missing (make test installs it)", pytrace=False)
pytest.importorskip("playwright.sync_api")

REPORTS = ("hongze-district-2023.pdf", "ptzhsyqhtp-2024.txt", "ptzhsyqjjp-2022.txt")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    base = tmp_path_factory.mktemp("sources")
    data = base / "reports"
    data.mkdir()
    for name in REPORTS:
        shutil.copy(REAL / name, data)
    return data, f"sqlite:///{base / 'reviews.db'}", base


def open_(page, url: str):
    page.set_default_navigation_timeout(240_000)      # the kernel reads the PDF (tabula) before the page loads
    return open_workbench(page, url)


def choose(page, report: str, rule: str):
    """Filter the worklist to one report, then select the first row naming ``rule`` (never a stale grid)."""
    page.get_by_label("报告", exact=True).first.select_option(label=report)
    agency = report.rsplit(" ", 1)[0]
    page.wait_for_function("a => [...document.querySelectorAll('table.dataTable tbody tr')]"
                           ".every(r => r.innerText.includes(a))", arg=agency, timeout=60_000)
    row = page.locator("table.dataTable tbody tr", has_text=rule).first
    row.click()
    if "selected" not in (row.get_attribute("class") or ""):     # it was already selected: the click toggled it off
        row.click()


def test_pdf_finding_shows_the_page_region(app, page):
    open_(page, app)
    choose(page, "洪泽区人民政府 2023", "T4-TOTAL")
    region = page.locator("img.widget-image")
    region.wait_for(state="visible", timeout=60_000)
    page.wait_for_function("[...document.querySelectorAll('img.widget-image')].some(i => i.naturalHeight > 100)",
                           timeout=60_000)
    assert page.blocked == []


def test_text_finding_quotes_the_line_and_keeps_table3_groups(app, page):
    open_(page, app)
    choose(page, "平潭综合实验区海坛片区管理局 2024", "T3-ROW-TOTAL")
    cite = page.locator(".ga-context mark.ga-cite").first
    cite.wait_for(timeout=30_000)
    assert cite.inner_text().isdigit()
    assert "原文第10行第" in page.locator(".ga-context").first.inner_text()
    groups = page.locator("tr.ga-group").all_inner_texts()
    assert "（三）不予公开" in groups and "（六）其他处理" in groups


def test_reading_problem_shows_where_it_was_printed(app, page):
    open_(page, app)
    choose(page, "平潭综合实验区金井片区管理局 2022", "金井")
    page.get_by_text("处内容无法读取").first.click()
    cite = page.locator("details .ga-context mark.ga-cite", has_text="0 00000")
    cite.wait_for(timeout=30_000)
    assert cite.is_visible()


def test_dashboard_charts_are_pictures_with_chinese_titles(workspace, browser, app, page):
    data, db, base = workspace
    open_(page, app)                 # the workbench records the run the dashboard reads
    with running_app(data, db, dashboard=True, log=base / "dashboard.log") as url:
        dash = browser.new_page(viewport={"width": 1400, "height": 1100})
        blocked = offline(dash)
        dash.set_default_navigation_timeout(240_000)
        dash.goto(url)
        dash.locator("img.ga-chart").first.wait_for(timeout=90_000)
        alts = dash.locator("img.ga-chart").evaluate_all("imgs => imgs.map(i => i.alt)")
        assert alts == ["各单位问题数", "问题类别", "审核进度", "已确认问题的整改进度"]
        dash.wait_for_function("[...document.querySelectorAll('img.ga-chart')].every(i => i.naturalWidth > 300)")
        assert "单位 3 个（报告 3 份）" in dash.locator("body").inner_text()
        assert blocked == []
        dash.close()


def open_count(page) -> int:
    """N of the page's "现存问题 N 条" (the workbench header, the dashboard headline)."""
    text = page.get_by_text(re.compile(r"现存问题 \d+ 条")).first.inner_text()
    return int(re.search(r"现存问题 (\d+) 条", text).group(1))


def test_problem_means_the_same_on_the_workbench_and_the_dashboard(workspace, browser, app, page):
    """问题 = findings of one cause grouped (the worklist's rows); both pages count those, not the findings."""
    data, db, base = workspace
    open_(page, app)
    listed = open_count(page)
    page.get_by_label("每页").select_option("200")
    page.wait_for_function("n => document.querySelectorAll('table.dataTable tbody tr').length === n", arg=listed)
    with store.open(db, readonly=True) as ro:
        findings = ro.worklist()
    open_findings = findings[(findings.state == "现存") & findings.category.ne("parse")]
    assert listed < len(open_findings)               # this folder has problems of several findings
    with running_app(data, db, dashboard=True, log=base / "dashboard-count.log") as url:
        dash = browser.new_page(viewport={"width": 1400, "height": 1100})
        offline(dash)
        dash.set_default_navigation_timeout(240_000)
        dash.goto(url)
        dash.locator("img.ga-chart").first.wait_for(timeout=90_000)
        assert open_count(dash) == listed
        dash.close()


# --- a cell low in a tall table: the crop is capped around it, the column headers kept when they fit ----------

def test_tall_table_crop_keeps_the_headers_and_the_cell_only():
    """The real district PDF, page 3: 表三 is 415 points tall; its second-to-last row is the cell."""
    import pdfplumber
    from PIL import Image

    report = govaudit.load(REAL / "hongze-district-2023.pdf")
    p = report.provenance[("requests", "unable_needs_creation", "natural_person")]
    with pdfplumber.open(REAL / "hongze-district-2023.pdf") as pdf:
        page = pdf.pages[p["page"] - 1]
        header, around = crop_boxes(page, p["bbox"])
        head_text = "".join(w["text"] for w in page.crop(header).extract_words())
        cell_text = "".join(w["text"] for w in page.crop(around).extract_words())
    assert all(h in head_text for h in ("申请人情况", "自然人", "法人或其他组织", "总计"))
    assert "没有现成信息需要另行制作" in cell_text and "予以公开" not in cell_text    # rows far above are left out
    assert around[1] <= p["bbox"][1] and p["bbox"][3] <= around[3]
    assert (header[3] - header[1]) + (around[3] - around[1]) <= MAX_CROP
    png, box = pdf_region(report.meta["source"], p["page"], p["bbox"])
    assert box == around
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.height <= MAX_CROP * RESOLUTION / 72 + 10
    scale = RESOLUTION / 72
    red = [y for y in range(image.height) if image.getpixel((int((p["bbox"][0] + p["bbox"][2]) / 2 * scale), y))
           == (220, 38, 38)]
    head_px = image.height - round((around[3] - around[1]) * scale)      # the strip and the rule above the cell's part
    assert red and abs(min(red) - head_px - (p["bbox"][1] - 2 - around[1]) * scale) < 4


def tall_table_pdf(folder: Path) -> Path:
    """A Word report made into a PDF by LibreOffice whose 表三 runs over three pages (narrow label columns), with
    a row total wrong on the second: its cell is far below the top of that page's part of the table."""
    import docx
    from docx.enum.text import WD_BREAK
    from wordmaker import write_docx

    report = govaudit.load(SEEDS / "jiyuan-tiantan-street-2024.txt")
    report.requests.at["other_no_correction", "natural_person"] = (
        report.requests.at["other_no_correction", "natural_person"] or 0) + 7
    path = write_docx(report, folder / "tall-2024.docx", split_requests_before=None)
    document = docx.Document(path)
    table = next(t for t in document.tables if t.cell(0, 3).text == "申请人情况")
    page_break = document.add_paragraph()
    page_break.add_run().add_break(WD_BREAK.PAGE)
    table._tbl.addprevious(page_break._p)           # 表三 starts on a page of its own
    document.save(path)
    subprocess.run(["soffice", f"-env:UserInstallation={(folder / 'lo-profile').as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(folder), str(path)], check=True, capture_output=True,
                   timeout=180)
    path.unlink()
    return folder / "tall-2024.pdf"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_a_cell_low_in_a_tall_table_is_shown_in_a_capped_crop(tmp_path, browser):
    data = tmp_path / "reports"
    data.mkdir()
    pdf = tall_table_pdf(data)
    shutil.rmtree(data / "lo-profile", ignore_errors=True)
    with running_app(data, f"sqlite:///{tmp_path / 'reviews.db'}", log=tmp_path / "tall.log") as url:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.blocked = offline(page)
        open_(page, url)
        row = page.locator("table.dataTable tbody tr", has_text="T3-ROW-TOTAL").first
        row.click()
        if "selected" not in (row.get_attribute("class") or ""):
            row.click()
        page.wait_for_function("[...document.querySelectorAll('img.widget-image')].some(i => i.naturalHeight > 100)",
                               timeout=120_000)
        height = page.locator("img.widget-image").evaluate("i => i.naturalHeight")
        assert height <= MAX_CROP * RESOLUTION / 72 + 10          # not the page-high table above the cell
        assert page.blocked == []
        page.close()
    assert pdf.exists()
