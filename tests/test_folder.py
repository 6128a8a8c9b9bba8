"""A folder against the store (govaudit.folder): what changed since its latest run, and the run that records it."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, SEEDS
from govaudit import store
from govaudit.folder import check_folder, differences, listing

TWO = ("jiyuan-tiantan-street-2024.txt", "lushan-qintai-street-2024.txt")


@pytest.fixture
def folder(tmp_path):
    data = tmp_path / "reports"
    data.mkdir()
    for name in TWO:
        shutil.copy(SEEDS / name, data)
    return data


def test_a_run_records_the_files_and_a_second_check_has_nothing_to_do(folder, tmp_path, db_url):
    (folder / "empty.txt").write_bytes(b"")                       # unreadable: recorded with its reason
    with store.open(db_url) as db:
        progress = []
        run = check_folder(folder, db, cache_dir=tmp_path / "cache", progress=lambda *a: progress.append(a))
        assert run and progress[-1] == (3, 3)
        files = db.checked_files(folder)
        assert sorted(os.path.basename(p) for p in files.path) == ["empty.txt", *TWO]
        bad = files[files.error.notna()]
        assert list(bad.path) == [str(folder / "empty.txt")] and bad.report.isna().all()
        good = files[files.error.isna()]
        assert good.sha256.str.len().eq(64).all() and set(good.agency) == {"天坛街道办事处", "鲁山县琴台街道办事处"}
        assert set(db.worklist(list(good.report)).report) <= set(good.report)
        assert check_folder(folder, db, cache_dir=tmp_path / "cache") is None      # nothing changed, no run
        assert db.checked_files(folder.parent / "elsewhere").empty


def test_new_changed_and_removed_files_are_told_apart(folder, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'r.db'}"
    with store.open(db_url) as db:
        check_folder(folder, db, cache_dir=tmp_path / "cache")
        recorded = db.checked_files(folder)
    shutil.copy(SEEDS / "qufu-shizhuang-street-2024.txt", folder)
    with open(folder / TWO[0], "a", encoding="utf-8") as f:
        f.write("\n")
    (folder / TWO[1]).unlink()
    changed, gone = differences(listing(folder), recorded)
    assert sorted(os.path.basename(p) for p in changed) == ["jiyuan-tiantan-street-2024.txt",
                                                             "qufu-shizhuang-street-2024.txt"]
    assert [os.path.basename(p) for p in gone] == [TWO[1]]
    with store.open(db_url) as db:
        check_folder(folder, db, cache_dir=tmp_path / "cache")
        assert sorted(os.path.basename(p) for p in db.checked_files(folder).path) == [
            "jiyuan-tiantan-street-2024.txt", "qufu-shizhuang-street-2024.txt"]


def test_govaudit_check_with_db_leaves_the_folder_checked_for_the_app(folder, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'r.db'}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-m", "govaudit.cli", "check", str(folder), "--db", db_url,
                           "--no-progress", "--format", "json", "--out", str(tmp_path / "f.json")], env=env)
    assert done.returncode in (0, 1)
    with store.open(db_url) as db:
        assert len(db.checked_files(folder)) == 2
        assert check_folder(folder, db, cache_dir=tmp_path / "cache") is None


def test_a_folder_just_checked_opens_in_the_dashboard(folder, tmp_path):
    """Nothing reviewed yet (no confirmed finding, none overdue): the dashboard still shows, not an error card."""
    import ipywidgets as W

    from govaudit.ui import dashboard
    db_url = f"sqlite:///{tmp_path / 'r.db'}"
    with store.open(db_url) as db:
        check_folder(folder, db, cache_dir=tmp_path / "cache")
    page = dashboard.build(db_url)
    assert isinstance(page, W.VBox) and "审核汇总看板" in page.children[0].value
