"""One problem, shown once and reviewed once, in the real workbench (headless Chromium, offline)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from browser import CHROMIUM, CHROMIUM_ARGS, offline, running_app
from conftest import FIXTURES
from govaudit import store

if not Path(CHROMIUM).exists():
    pytest.fail("Debian chromium is missing (make test installs it)", pytrace=False)
sync_api = pytest.importorskip("playwright.sync_api")

# 君山片区管理局 2020: （七）总计 printed all 0 while 新收 is 1/1/2 -> T3-BALANCE and T3-RESULT-TOTAL in three columns
JUNSHAN_2020 = "ptzhsyqjsp-2020.txt"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    base = tmp_path_factory.mktemp("problems")
    data = base / "reports"
    data.mkdir()
    shutil.copy(FIXTURES / "real" / JUNSHAN_2020, data)
    return data, f"sqlite:///{base / 'reviews.db'}", base


def test_six_symptoms_are_one_problem_reviewed_once(workspace):
    data, db, base = workspace
    with running_app(data, db, log=base / "workbench.log") as url, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        offline(page)
        page.goto(url)
        page.get_by_text("审核工作台").first.wait_for(timeout=90_000)
        rows = page.locator("table.dataTable tbody tr")
        rows.first.wait_for(timeout=60_000)
        balance = rows.filter(has_text="T3-BALANCE")
        assert balance.count() == 1 and "6" in balance.first.inner_text()          # one row, six symptoms
        assert rows.filter(has_text="T3-RESULT-TOTAL").count() == 0
        assert rows.filter(has_text="P-PARSE").count() == 0                        # reading problems: not rows
        balance.first.click()
        page.get_by_text("同一问题的其他表现（5 条").wait_for(timeout=30_000)
        assert page.get_by_text("级别：").count() >= 1                              # the legend is shown
        page.get_by_role("button", name="确认问题").click()
        page.get_by_text("已保存").wait_for(timeout=30_000)
        browser.close()
    with store.open(db, readonly=True) as ro:
        work = ro.worklist()
        errors = work[work["severity"].eq("error")]
        assert len(errors) == 6 and set(errors["status"]) == {"已确认"}
        assert errors["problem"].nunique() == 1
