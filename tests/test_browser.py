"""The Voila workbench and dashboard in a real headless Chromium, offline."""
from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest

from browser import CHROMIUM, offline, open_workbench, running_app
from conftest import ROOT, SEEDS
from govaudit import store
from govaudit.ui import serve

if not Path(CHROMIUM).exists():
    pytest.fail("Debian chromium is missing (make test installs it)", pytrace=False)
pytest.importorskip("playwright.sync_api")

XSS = '<img src=x onerror="window.__xss=1">'


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    base = tmp_path_factory.mktemp("app")
    data = base / "reports"
    shutil.copytree(SEEDS, data)
    text = (SEEDS / "qufu-shizhuang-street-2024.txt").read_text(encoding="utf-8")
    text = text.replace("曲阜市时庄街道办事处2024年", f"{XSS}时庄街道办事处2024年", 1)
    text = text.replace("五、存在的主要问题及改进情况", f"五、存在的主要问题及改进情况\n我县{XSS}的工作仍有差距。", 1)
    (data / "xss-2024.txt").write_text(text, encoding="utf-8")
    return data, f"sqlite:///{base / 'reviews.db'}", base


def row(page, text: str):
    return page.locator("table.dataTable tbody tr", has_text=text)


def open_count(page) -> int:
    """N of the page's "现存问题 N 条" (the workbench header, the dashboard headline)."""
    text = page.get_by_text(re.compile(r"现存问题 \d+ 条")).first.inner_text()
    return int(re.search(r"现存问题 (\d+) 条", text).group(1))


def test_workbench_lists_the_seed_findings_offline(app, page):
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    open_workbench(page, app)
    for rule, unit in (("N-TEXT-SELF", "鲁山县琴台街道办事处"), ("C-FOREIGN-NAME", "鲁山县库区乡"),
                       ("S-ROWS", "天坛街道办事处")):
        assert row(page, rule).filter(has_text=unit).count() == 1
    page.get_by_label("报告", exact=True).first.select_option(label="鲁山县琴台街道办事处 2024")
    page.wait_for_function("document.querySelectorAll('table.dataTable tbody tr').length === 2")
    assert row(page, "F-LABEL-EDIT").count() == 1
    assert all("127.0.0.1" not in u for u in page.blocked)       # only outside hosts were refused
    # front-end extensions: only those the page uses, whatever else the environment has (nbconvert brings pygments')
    extensions = {m.group(1) for u in requested if (m := re.search(r"/labextensions/((?:@[^/]+/)?[^/]+)/", u))}
    assert extensions == set(serve.PAGE_EXTENSIONS)


def test_selected_finding_shows_its_cell_highlighted(app, page):
    open_workbench(page, app)
    row(page, "F-LABEL-EDIT").click()
    hit = page.locator("th.ga-hit", has_text="本年废止件数")        # a label finding: its column
    hit.wait_for(timeout=30_000)
    assert page.locator("td.ga-hit").count() == 2             # 规章 and 行政规范性文件 have that column
    assert page.locator("table.ga-table").first.is_visible()


def test_confirm_and_note_persist_across_reload_and_reach_the_dashboard(app, page, workspace, browser):
    open_workbench(page, app)
    row(page, "N-TEXT-SELF").click()
    page.get_by_text("正文先称发布信息13条").first.wait_for()
    page.get_by_placeholder("审核意见").fill("已与街道核实：186条为低保公示条数")
    page.get_by_role("button", name="确认问题").click()
    page.get_by_text("已保存").wait_for(timeout=30_000)

    page.reload()
    open_workbench(page, app)
    assert "已确认" in row(page, "N-TEXT-SELF").inner_text()
    row(page, "N-TEXT-SELF").click()
    page.wait_for_function("[...document.querySelectorAll('textarea')].some(t => t.value.includes('186条为低保'))")
    open_problems = open_count(page)                  # the workbench's count of 问题 (grouped findings)

    data, db, base = workspace
    with running_app(data, db, dashboard=True, log=base / "dashboard.log") as url:
        dash = browser.new_page(viewport={"width": 1400, "height": 1100})
        offline(dash)
        dash.goto(url)
        ranking = dash.locator("#ga-ranking")
        ranking.wait_for(timeout=90_000)
        first = ranking.locator("tr").nth(1).inner_text()
        assert first.startswith("鲁山县琴台街道办事处") and first.split()[1] == "1"     # 1 confirmed, open
        assert dash.get_by_text("已确认 1 条").count() == 1
        assert open_count(dash) == open_problems          # 问题 counts the same thing on both pages
        dash.locator("img.ga-chart").first.wait_for(timeout=30_000)
        assert dash.get_by_role("button", name="保存").count() == 0
        assert dash.get_by_role("button", name="确认问题").count() == 0
        assert dash.get_by_text("下载问题清单（Excel）").count() == 0      # built only when asked for
        dash.get_by_role("button", name="生成问题清单（Excel）").click()
        with dash.expect_download() as download:
            dash.get_by_text("下载问题清单（Excel）").click()
        import openpyxl
        sheet = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))["问题清单"]
        headers = [c.value for c in sheet[1]]
        assert headers[:4] == ["单位", "年度", "级别", "规则"]
        notes = [r[headers.index("审核意见")] for r in sheet.iter_rows(min_row=2, values_only=True)]
        assert "已与街道核实：186条为低保公示条数" in notes
        dash.get_by_role("button", name="生成通报草稿（Word）").click()
        with dash.expect_download() as download:
            dash.get_by_text("下载通报草稿（Word）").click()
        import docx
        bulletin = docx.Document(download.value.path())
        assert "（一）鲁山县琴台街道办事处（1条）" in [p.text for p in bulletin.paragraphs]
        dash.close()
    with store.open(db, readonly=True) as ro:        # the dashboard wrote nothing
        assert len(ro.history()) == 3


def test_hand_added_flag_appears_in_the_list(app, page):
    open_workbench(page, app)
    page.get_by_text("添加问题（人工标注）").click()
    page.get_by_label("报告", exact=True).nth(1).select_option(label="鲁山县库区乡 2024")   # the form's, not the filter
    page.get_by_label("位置", exact=True).select_option(label="五、存在的主要问题及改进情况")
    page.get_by_placeholder("发现的问题").fill("第五部分与2023年报告逐字相同")
    page.get_by_role("button", name="添加问题").click()
    page.get_by_text("已添加").wait_for(timeout=30_000)
    flagged = row(page, "第五部分与2023年报告逐字相同")
    flagged.wait_for(timeout=30_000)
    assert "人工标注" in flagged.inner_text() and "鲁山县库区乡" in flagged.inner_text()


def test_report_text_renders_as_text_never_as_html(app, page):
    open_workbench(page, app)
    hit = row(page, "C-FOREIGN-NAME").filter(has_text="时庄")
    # the grid shows the tag as text (the agency name is read with its spaces removed)
    assert 'onerror="window.__xss=1">时庄街道办事处' in hit.inner_text()
    hit.click()
    quote = page.locator(".ga-quote", has_text="我县")
    quote.wait_for(timeout=30_000)
    assert XSS in quote.inner_text()
    assert page.evaluate("window.__xss") is None
    assert page.locator("img[src='x']").count() == 0


def test_url_opens_a_given_finding(app, page, workspace):
    _, db, _ = workspace
    with store.open(db, readonly=True) as ro:
        target = ro.latest_findings().query("rule == 'S-ROWS'").iloc[0]
    open_workbench(page, f"{app}?report={target.report}&finding={target.id}")
    page.get_by_text("行有16个数值").last.wait_for(timeout=30_000)
    assert page.locator(".ga-card").inner_text().startswith("[警告]")
    assert page.get_by_text("第 1 / 1 条").count() == 1      # the report filter came from the URL


def test_readme_shows_the_screenshots():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("workbench.png", "dashboard.png"):
        assert f"docs/{name}" in readme and (ROOT / "docs" / name).is_file()
