"""The out-of-core check (issue 17 item 1): ``govaudit check DIR`` / ``outofcore.check_files`` keep a compact
summary per report, never the parsed report, and give exactly the findings of the in-memory path
``govaudit.check(govaudit.load_many(...))``: the same ids, messages, expected and actual values, in the same order.
"""
from __future__ import annotations

import shutil
import sys

import pandas as pd
import pytest

import govaudit
from conftest import REAL, ROOT, SEEDS
from govaudit import outofcore
from govaudit.outofcore import check_files
from govaudit.report import Report
from govaudit.summary import Summary


def _in_memory(paths, previous=None):
    return govaudit.check(govaudit.load_many(paths, progress=False, workers=1), previous)


def _same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True))


def _generate(tmp_path_factory, n: int):
    """``n`` generated reports, two years a unit, half with an injected defect (copies, carry mismatches, ...)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from make_corpus import make_corpus
    out = tmp_path_factory.mktemp(f"generated{n}")
    truth = make_corpus(out, n, seed=5, defect_rate=0.5)
    assert {"copied-section", "carry-mismatch"} <= set(truth.values())
    return out


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return _generate(tmp_path_factory, 300)


def test_generated_corpus_same_findings_as_in_memory(tmp_path_factory, tmp_path):
    generated = _generate(tmp_path_factory, 1_000)
    expected = _in_memory(generated)
    assert {"C-CROSS-UNIT", "C-FOREIGN-NAME", "X-CARRY", "X-TEXT-REPEAT", "T3-BALANCE"} <= set(expected.rule)
    for workers, cache in ((2, None), (2, tmp_path / "cache"), (2, tmp_path / "cache"), (1, tmp_path / "cache")):
        summaries, findings = check_files(generated, progress=False, workers=workers, cache_dir=cache)
        _same(findings, expected)
        assert len(summaries) == 1_000 and not summaries.errors
        assert all(type(s) is Summary for s in summaries)          # the driver kept summaries, not reports
    assert not list(tmp_path.glob("govaudit-check-*"))


def test_real_reports_and_samples_same_findings_as_in_memory(tmp_path):
    data = tmp_path / "now"
    shutil.copytree(REAL, data / "real")
    shutil.copytree(SEEDS, data / "samples")
    shutil.copyfile(SEEDS / "qufu-shizhuang-street-2024.txt", data / "qufu-again.txt")   # same unit and year
    expected = _in_memory(data)
    assert "M-CHANGED" in set(expected.rule) and expected.report.str.contains("（").any()   # one renamed
    assert {"X-CARRY", "X-INFORCE", "C-FOREIGN-NAME"} & set(expected.rule)
    _, findings = check_files(data, progress=False, workers=2, cache_dir=tmp_path / "cache")
    _same(findings, expected)


def test_previous_directory_pairs_like_in_memory(tmp_path):
    now, before = tmp_path / "now", tmp_path / "before"
    for f in REAL.glob("ptzhsyq*-2025.txt"):
        (now / f.name).parent.mkdir(exist_ok=True)
        shutil.copyfile(f, now / f.name)
    for f in REAL.glob("ptzhsyq*-2024.txt"):
        before.mkdir(exist_ok=True)
        shutil.copyfile(f, before / f.name)
    expected = _in_memory(now, previous=str(before))
    assert "cross-year" in set(expected.category)
    _, findings = check_files(now, previous=str(before), progress=False, workers=2)
    _same(findings, expected)
    _, alone = check_files(now, progress=False, workers=1)
    assert "cross-year" not in set(alone.category)


def test_a_report_in_memory_is_no_previous_for_check_files(tmp_path):
    with pytest.raises(TypeError):
        check_files(SEEDS, previous=Report({}, *(pd.DataFrame(),) * 3, {}), progress=False)


def test_small_blocks_sorted_runs_and_frames_give_the_same_findings(generated, tmp_path, monkeypatch):
    """Pass 2 in blocks, copy candidates in parts on disk, report ids sorted in runs merged from disk, findings
    in frames: the same findings as in memory whatever the sizes (the defaults only show on 10,000+ reports)."""
    expected = _in_memory(generated)
    monkeypatch.setattr(outofcore, "LINK_BLOCK", 7)
    monkeypatch.setattr(outofcore, "SORT_RUN", 11)
    monkeypatch.setattr(outofcore, "PAIRS_PER_PART", 3)
    with outofcore.check_run(generated, progress=False, workers=2, cache_dir=tmp_path / "cache") as run:
        frames = list(run.findings(rows=50))
        assert len(run) == 300 and len(frames) > 10
        assert all(len(f) < 50 + 40 for f in frames)        # a report's findings are never split across frames
        again = list(run.findings(rows=50))                  # read twice: for the store, then for the output
    _same(pd.concat(frames), expected)
    _same(pd.concat(again), expected)


def test_streamed_csv_and_json_are_byte_for_byte_one_frame(generated, tmp_path):
    """What ``govaudit check`` writes frame by frame is exactly what one frame of all findings gives."""
    from govaudit.outputs import write_findings, write_findings_frames
    with outofcore.check_run(generated, progress=False, workers=2, cache_dir=tmp_path / "cache") as run:
        for fmt in ("csv", "json"):
            write_findings_frames(run.findings(rows=100), fmt, str(tmp_path / f"streamed.{fmt}"))
        whole = pd.concat(list(run.findings()), ignore_index=True)
    for fmt in ("csv", "json"):
        write_findings(whole, fmt, str(tmp_path / f"whole.{fmt}"))
        assert (tmp_path / f"streamed.{fmt}").read_bytes() == (tmp_path / f"whole.{fmt}").read_bytes()
    for fmt in ("csv", "json"):                                  # and nothing found: an empty list / a header
        write_findings_frames(iter(()), fmt, str(tmp_path / f"none.{fmt}"))
        write_findings(whole.iloc[:0], fmt, str(tmp_path / f"none-whole.{fmt}"))
        assert (tmp_path / f"none.{fmt}").read_bytes() == (tmp_path / f"none-whole.{fmt}").read_bytes()


def test_a_run_streamed_into_the_store_is_the_run_recorded_whole(generated, tmp_path):
    from govaudit import store
    with outofcore.check_run(generated, progress=False, workers=2, cache_dir=tmp_path / "cache") as run:
        with store.open(f"sqlite:///{tmp_path / 'streamed.db'}") as db:
            db.record_run(run.findings(rows=64), run.summaries())
            streamed = db.latest_findings()
        with store.open(f"sqlite:///{tmp_path / 'whole.db'}") as db:
            db.record_run(pd.concat(list(run.findings()), ignore_index=True), list(run.summaries()))
            whole = db.latest_findings()
    assert len(streamed) == len(whole) > 300
    _same(streamed.drop(columns=[c for c in streamed if "at" in c.split("_")]),
          whole.drop(columns=[c for c in whole if "at" in c.split("_")]))
