"""The workbench's navigation in Python, on real reports: the 搜索 box and the keyboard's actions."""
from __future__ import annotations

import shutil

import pytest

from conftest import REAL
from govaudit import store
from govaudit.folder import check_folder
from govaudit.ui.workbench import Workbench, _matching


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    base = tmp_path_factory.mktemp("bench")
    data = base / "reports"
    data.mkdir()
    for path in sorted(REAL.glob("ptzhsyqjsp-*.txt")):
        shutil.copy(path, data)
    url = f"sqlite:///{base / 'reviews.db'}"
    with store.open(url) as db:                 # checked before the page opens, as `govaudit check --db` does
        check_folder(data, db, cache_dir=base / "cache")
    return Workbench(data, url)


def test_search_keeps_rows_holding_every_word_in_any_case(bench):
    rows = bench.worklist()
    assert _matching(rows, "").equals(rows) and _matching(rows, "   ").equals(rows)
    balance = _matching(rows, "t3-balance")
    assert len(balance) and set(balance.rule) == {"T3-BALANCE"}
    year = str(int(balance.year.iloc[0]))
    both = _matching(rows, f"T3-BALANCE {year}")
    assert len(both) and all(int(y) == int(year) for y in both.year)
    assert _matching(rows, "T3-BALANCE 没有这样的词").empty
    assert _matching(rows, "nan").empty                   # a blank cell is not the text "nan"


def test_search_box_sets_the_list_and_the_counter(bench):
    bench.f_search.value = "T3-BALANCE"
    try:
        assert len(bench.rows) and set(bench.rows.rule) == {"T3-BALANCE"}
        bench._on_key("next")
        assert bench.position.value == f"第 1 / {len(bench.rows)} 条"
        assert bench.grid.selected_rows == [0] and bench.keys.shown_row["row"] == 0
    finally:
        bench.f_search.value = ""


def test_keys_step_and_review_and_unknown_actions_do_nothing(bench):
    bench.select(bench.rows.id.iloc[0])
    bench._on_key("next")
    assert bench.position.value.startswith("第 2 /")
    bench._on_key("prev")
    assert bench.position.value.startswith("第 1 /")
    fid = bench.current["id"]
    bench.keys._received(bench.keys, {"action": "rm -rf"}, [])        # from the page: checked, ignored
    bench.keys._received(bench.keys, "confirm", [])
    assert bench.db.get_review(fid).status == "待核实"
    bench.keys._received(bench.keys, {"action": "confirm"}, [])
    assert bench.db.get_review(fid).status == "已确认"
    bench.keys._received(bench.keys, {"action": "dismiss"}, [])
    assert bench.db.get_review(fid).status == "已排除"


def test_after_a_conflict_their_review_is_loaded_with_my_note_below(bench):
    """Two inspectors on one finding: the later save is refused, then 载入对方的修改 keeps both notes."""
    fid = bench.rows.id.iloc[-1]
    bench.select(fid)
    colleague = Workbench(bench.data_dir, bench.db.url)
    colleague.select(fid)
    colleague.note.value = "已电话核实"
    colleague._save(status="已确认")
    bench.note.value = "请单位更正表三"
    bench._save()
    assert "未保存" in bench.message.value and bench.load_theirs.layout.display == "inline-flex"
    bench._load_theirs()
    assert bench.note.value == "已电话核实\n请单位更正表三" and bench.status.value == "已确认"
    bench._save()
    saved = bench.db.get_review(fid)
    assert (saved.status, saved.note) == ("已确认", "已电话核实\n请单位更正表三")
    bench._load_theirs()                      # loaded again: my note is already there, not added twice
    assert bench.note.value == "已电话核实\n请单位更正表三"
