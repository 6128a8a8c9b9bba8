"""The workbench reads a checked folder from the store (headless Chromium, offline): a file added after the check
is checked beside the page with a Chinese progress text and its findings appear without a reload; reviews
survive; a failed check is retried from the page (重新检查); a report's source is read when its finding is
opened; Voila's loading text is Chinese."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from browser import CHROMIUM, open_workbench, running_app
from conftest import FIXTURES, ROOT, SEEDS
from govaudit import store
from govaudit.folder import _one_check_at_a_time

if not Path(CHROMIUM).exists():
    pytest.fail("Debian chromium is missing (make test installs it)", pytrace=False)
pytest.importorskip("playwright.sync_api")

JUNSHAN_2020 = "ptzhsyqjsp-2020.txt"     # 表三（七）总计 all 0 while 新收 is 1/1/2: T3-BALANCE
ROWS = "table.dataTable tbody tr"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """Two sample reports, checked with ``govaudit check --db`` before the app starts."""
    base = tmp_path_factory.mktemp("store")
    data = base / "reports"
    data.mkdir()
    for name in ("jiyuan-tiantan-street-2024.txt", "lushan-qintai-street-2024.txt"):
        shutil.copy(SEEDS / name, data)
    db = f"sqlite:///{base / 'reviews.db'}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(base / "cache")}
    subprocess.run([sys.executable, "-m", "govaudit.cli", "check", str(data), "--db", db, "--no-progress",
                    "--format", "json", "--out", str(base / "findings.json")], env=env, check=False)
    with store.open(db) as s:
        assert len(s.checked_files(data)) == 2
    return data, db, base, env


@pytest.fixture(autouse=True)
def patient(page):
    page.set_default_navigation_timeout(180_000)     # a page is served once its kernel has built it (shared machine)


@pytest.fixture(scope="module")
def app(workspace):
    data, db, base, env = workspace
    with running_app(data, db, log=base / "workbench.log", env=env) as url:
        yield url


def test_the_loading_text_is_chinese(app, page):
    served = page.goto(app).text()           # the page as served, before any widget renders
    assert "正在打开审核工作台" in served
    assert "Running" not in served and "Executing" not in served


def test_a_checked_folder_opens_from_the_store(app, page):
    open_workbench(page, app)
    page.get_by_text("2 份报告").first.wait_for(timeout=30_000)
    assert page.locator(ROWS).filter(has_text="天坛街道办事处").count() >= 1
    assert page.get_by_text("正在检查新增或改动的文件").count() == 0        # nothing new: no check


def test_an_added_file_is_checked_beside_the_page_and_reviews_survive(app, page, workspace):
    data, db, base, _ = workspace
    open_workbench(page, app)
    first = page.locator(ROWS).filter(has_text="S-ROWS").first
    first.click()
    page.get_by_placeholder("审核意见").fill("表四多出一列，已与街道核实")
    page.get_by_role("button", name="确认问题").click()
    page.get_by_text("已保存").wait_for(timeout=30_000)

    with _one_check_at_a_time(data, base / "cache" / "govaudit"):   # another check holds the folder (XDG_CACHE_HOME/govaudit)
        shutil.copy(FIXTURES / "real" / JUNSHAN_2020, data)
        page.goto(app)
        page.locator(ROWS).filter(has_text="S-ROWS").first.wait_for(timeout=90_000)      # usable meanwhile
        page.get_by_text("正在检查新增或改动的文件").first.wait_for(timeout=30_000)
        assert page.locator(ROWS).filter(has_text="T3-BALANCE").count() == 0
        page.locator(ROWS).filter(has_text="S-ROWS").first.click()
        page.get_by_text("第 1 /").first.wait_for(timeout=30_000)
    page.locator(ROWS).filter(has_text="T3-BALANCE").first.wait_for(timeout=120_000)   # no reload
    page.get_by_text("3 份报告").first.wait_for(timeout=30_000)
    assert page.get_by_text("正在检查新增或改动的文件").count() == 0
    assert page.get_by_placeholder("审核意见").input_value() == "表四多出一列，已与街道核实"   # selection kept
    with store.open(db, readonly=True) as ro:
        work = ro.worklist()
        assert set(work[work.rule == "S-ROWS"].status) == {"已确认"}
        assert len(ro.checked_files(data)) == 3


def test_a_report_is_read_when_its_finding_is_opened(app, page, workspace):
    data, _, _, _ = workspace
    if not (data / JUNSHAN_2020).exists():
        shutil.copy(FIXTURES / "real" / JUNSHAN_2020, data)
    open_workbench(page, app)
    row = page.locator(ROWS).filter(has_text="T3-BALANCE").first
    row.wait_for(timeout=120_000)
    row.click()
    page.get_by_text(str(data / JUNSHAN_2020)).first.wait_for(timeout=30_000)     # the source, with its path
    page.locator("table.ga-table").filter(has_text="本年新收").first.wait_for(timeout=30_000)


def test_a_failed_check_is_retried_from_the_page(tmp_path, page):
    """The background check fails (its lock file cannot be made); 重新检查 beside the error runs it again."""
    data = tmp_path / "reports"
    data.mkdir()
    shutil.copy(SEEDS / "jiyuan-tiantan-street-2024.txt", data)
    db = f"sqlite:///{tmp_path / 'reviews.db'}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    subprocess.run([sys.executable, "-m", "govaudit.cli", "check", str(data), "--db", db, "--no-progress",
                    "--format", "json", "--out", str(tmp_path / "findings.json")], env=env, check=False)
    lock = tmp_path / "cache" / "govaudit" / f"check-{hashlib.sha1(str(data).encode()).hexdigest()[:16]}.lock"
    with running_app(data, db, log=tmp_path / "workbench.log", env=env) as url:
        lock.parent.mkdir(parents=True, exist_ok=True)
        lock.unlink(missing_ok=True)
        lock.mkdir()                                   # the check cannot open its lock: it fails
        shutil.copy(FIXTURES / "real" / JUNSHAN_2020, data)
        open_workbench(page, url)
        page.get_by_text("检查新增或改动的文件时出错").first.wait_for(timeout=120_000)
        retry = page.get_by_role("button", name="重新检查")
        assert retry.is_visible()
        assert page.locator(ROWS).filter(has_text="T3-BALANCE").count() == 0      # the list of the last check
        lock.rmdir()
        retry.click()
        page.locator(ROWS).filter(has_text="T3-BALANCE").first.wait_for(timeout=120_000)   # no reload
        assert page.get_by_text("检查新增或改动的文件时出错").count() == 0
        assert not retry.is_visible()
    with store.open(db, readonly=True) as ro:
        assert len(ro.checked_files(data)) == 2
