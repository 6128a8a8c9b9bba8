"""Reviewing in the real workbench (headless Chromium, offline): one problem reviewed once, nothing dropped
or applied to the wrong finding."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from browser import CHROMIUM, open_workbench
from conftest import FIXTURES, SEEDS
from govaudit import store

if not Path(CHROMIUM).exists():
    pytest.fail("Debian chromium is missing (make test installs it)", pytrace=False)
pytest.importorskip("playwright.sync_api")

# 君山片区管理局 2020: （七）总计 printed all 0 while 新收 is 1/1/2 -> T3-BALANCE and T3-RESULT-TOTAL in three columns
JUNSHAN_2020 = "ptzhsyqjsp-2020.txt"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    base = tmp_path_factory.mktemp("problems")
    data = base / "reports"
    data.mkdir()
    shutil.copy(FIXTURES / "real" / JUNSHAN_2020, data)
    shutil.copy(SEEDS / "jiyuan-tiantan-street-2024.txt", data)
    return data, f"sqlite:///{base / 'reviews.db'}", base


def worklist(page, url):
    return open_workbench(page, url).locator("table.dataTable tbody tr")


def test_six_symptoms_are_one_problem_reviewed_once(app, page, workspace):
    _, db, _ = workspace
    rows = worklist(page, app)
    balance = rows.filter(has_text="T3-BALANCE")
    assert balance.count() == 1 and "6" in balance.first.inner_text()          # one row, six symptoms
    assert rows.filter(has_text="T3-RESULT-TOTAL").count() == 0
    assert rows.filter(has_text="P-PARSE").count() == 0                        # reading problems: not rows
    balance.first.click()
    page.get_by_text("同一问题的其他表现（5 条").wait_for(timeout=30_000)
    assert page.get_by_text("级别：").count() >= 1                              # the legend is shown
    page.get_by_role("button", name="确认问题").click()
    page.get_by_text("已保存").wait_for(timeout=30_000)
    page.get_by_text("审核记录（").first.wait_for(timeout=30_000)            # the history, in the detail pane
    with store.open(db, readonly=True) as ro:
        work = ro.worklist()
        errors = work[work["severity"].eq("error")]
        assert len(errors) == 6 and set(errors["status"]) == {"已确认"}
        assert errors["problem"].nunique() == 1


def test_leaving_a_finding_saves_its_note(app, page, workspace):
    _, db, _ = workspace
    rows = worklist(page, app)
    rows.first.click()
    page.get_by_text("第 1 /").first.wait_for(timeout=30_000)
    page.get_by_placeholder("审核意见").fill("已电话核实，单位承认填报有误")
    page.get_by_role("button", name="下一条").click()
    page.get_by_text("第 2 /").first.wait_for(timeout=30_000)                 # moved on
    with store.open(db, readonly=True) as ro:
        notes = set(ro.worklist()["note"])
    assert "已电话核实，单位承认填报有误" in notes                               # saved, not dropped


def test_a_filter_that_hides_the_finding_clears_its_buttons(app, page):
    rows = worklist(page, app)
    rows.filter(has_text="T3-BALANCE").first.click()
    page.get_by_role("button", name="确认问题").wait_for(timeout=30_000)
    page.get_by_label("级别", exact=True).first.select_option(label="提示")
    page.get_by_text("在左侧列表中选择一条问题").wait_for(timeout=30_000)
    assert not page.get_by_role("button", name="确认问题").is_visible()


def test_a_wrong_finding_id_in_the_link_says_so(app, page):
    page.goto(app + "?finding=0000000000000000")
    page.get_by_text("链接中的问题编号“0000000000000000”不存在").wait_for(timeout=90_000)


def test_bulk_review_acts_on_the_listed_problems_after_a_second_click(app, page, workspace):
    _, db, _ = workspace

    def listed_findings():                     # reading problems are not rows of the list
        with store.open(db, readonly=True) as ro:
            work = ro.worklist()
        return work[work["category"].ne("parse")].set_index("id")

    before = listed_findings()
    top = before["severity"].map({"error": 0, "warning": 1, "info": 2}).groupby(before["problem"]).transform("min")
    listed = set(before.index[top.eq(0)])     # every symptom of the problems listed under 级别 错误
    assert len(listed) > before.loc[list(listed), "problem"].nunique() and len(listed) < len(before)
    rows = worklist(page, app)
    page.get_by_label("级别", exact=True).first.select_option(label="错误")
    page.wait_for_function("document.querySelectorAll('table.dataTable tbody tr').length === "
                           f"{before.loc[list(listed), 'problem'].nunique()}")
    page.get_by_text("批量审核（当前列表中的问题）").click()
    page.get_by_label("标为").select_option(label="已排除")
    page.get_by_placeholder("批量附加的意见").fill("批量：经核实为版式差异")
    page.get_by_role("button", name="审核列表中的全部问题").click()
    page.get_by_text(f"共 {len(listed)} 条表现").wait_for(timeout=30_000)
    page.get_by_role("button", name="取消").click()
    page.get_by_text("已取消").wait_for(timeout=30_000)
    assert listed_findings()["status"].to_dict() == before["status"].to_dict()      # nothing saved yet

    page.get_by_role("button", name="审核列表中的全部问题").click()
    page.get_by_role("button", name="确定").click()
    page.get_by_text(f"已将 {len(listed)} 条表现标为“已排除”").wait_for(timeout=60_000)
    assert rows.filter(has_text="已排除").count() == rows.count()
    after = listed_findings()
    assert set(after.index[after["status"].eq("已排除")]) == listed
    assert all("批量：经核实为版式差异" in after.at[i, "note"] for i in listed)
    unlisted = before.index.difference(list(listed))
    assert after.loc[unlisted, "status"].to_dict() == before.loc[unlisted, "status"].to_dict()
