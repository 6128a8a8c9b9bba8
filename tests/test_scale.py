"""Corpus at scale: the parse cache, and the same findings from serial, process-pool and Dask runs."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest

import govaudit
from conftest import ROOT, SEEDS
from govaudit import batch, checks, reading
from govaudit.outofcore import check_files


def _ids(corpus):
    return sorted(govaudit.check(corpus).id)


def test_cache_parses_only_changed_files(tmp_path, monkeypatch):
    data = tmp_path / "reports"
    shutil.copytree(SEEDS, data)
    cache = tmp_path / "cache"
    first = govaudit.load_many(data, progress=False, workers=1, cache_dir=cache)
    assert len(list(cache.glob("*.pkl"))) == 5

    parsed = []
    real_load = reading.load
    monkeypatch.setattr(reading, "load", lambda p: parsed.append(p.name) or real_load(p))
    changed = data / "qufu-shizhuang-street-2024.txt"
    changed.write_text(changed.read_text(encoding="utf-8").replace("全年共主动公开信息37条", "全年共主动公开信息38条"),
                       encoding="utf-8")
    second = govaudit.load_many(data, progress=False, workers=1, cache_dir=cache)
    assert parsed == ["qufu-shizhuang-street-2024.txt"]          # the four others came from the cache
    assert _ids(second) == _ids(first)
    assert "38条" in next(r for r in second if r.agency.startswith("曲阜")).sections["overview"]
    moved = tmp_path / "moved"
    shutil.move(data, moved)
    parsed.clear()
    third = govaudit.load_many(moved, progress=False, workers=1, cache_dir=cache)
    assert parsed == [] and all(str(moved) in r.meta["source"] for r in third)


def test_a_corrupt_cache_entry_is_a_miss(tmp_path):
    cache = tmp_path / "cache"
    govaudit.load_many(SEEDS, progress=False, workers=1, cache_dir=cache)
    for entry in cache.glob("*.pkl"):
        entry.write_bytes(b"not a pickle")
    again = govaudit.load_many(SEEDS, progress=False, workers=1, cache_dir=cache)
    assert len(again) == 5 and not again.errors


def test_pool_dask_and_serial_give_the_same_findings(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    data = tmp_path / "reports"
    for i in range(3):                                  # 15 files: enough for the pool to be used
        shutil.copytree(SEEDS, data / f"batch{i}")
    (data / "broken.txt").write_bytes(b"\x00\x01binary")
    serial = govaudit.load_many(data, progress=False, workers=1)
    pooled = govaudit.load_many(data, progress=False, workers=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        on_dask = govaudit.load_many(data, progress=False, client=client)
    assert len(serial) == len(pooled) == len(on_dask) == 15
    assert [e["path"] for e in serial.errors] == [e["path"] for e in on_dask.errors] == [str(data / "broken.txt")]
    assert _ids(serial) == _ids(pooled) == _ids(on_dask)


# --- check_files: per-report findings in the workers, cached by content and rule plan ------

@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """40 generated reports: two years per unit, three layouts, half of them with an injected defect."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from make_corpus import make_corpus
    out = tmp_path_factory.mktemp("generated")
    truth = make_corpus(out, 40, seed=11, defect_rate=0.5)
    return out, truth


def _frozen(findings):
    return findings.sort_values("id").reset_index(drop=True)


def test_check_files_equals_check_of_load_many(generated, tmp_path):
    data, truth = generated
    expected = govaudit.check(govaudit.load_many(data, progress=False, workers=1))
    assert {"X-CARRY", "C-CROSS-UNIT", "T3-BALANCE"} <= set(expected.rule)    # all three scopes are exercised
    for workers, cache in ((2, None), (1, tmp_path / "cache"), (2, tmp_path / "cache")):   # cold, then cached
        corpus, findings = check_files(data, progress=False, workers=workers, cache_dir=cache)
        assert len(corpus) == len(truth)
        pd.testing.assert_frame_equal(_frozen(findings), _frozen(expected))


def test_cached_findings_follow_file_and_settings_changes(tmp_path, monkeypatch):
    data = tmp_path / "reports"
    shutil.copytree(SEEDS, data)
    cache = tmp_path / "cache"
    qufu = data / "qufu-shizhuang-street-2024.txt"
    qufu.write_text(qufu.read_text(encoding="utf-8").replace("工作年度报告\n", "工作年度报告\n发布时间：2025-02-20\n", 1),
                    encoding="utf-8")
    _, first = check_files(data, progress=False, workers=1, cache_dir=cache)

    parsed, checked = [], []
    real_load, real_findings = reading.load, checks.report_findings
    monkeypatch.setattr(reading, "load", lambda p: parsed.append(p.name) or real_load(p))
    monkeypatch.setattr(checks, "report_findings", lambda r, *a: checked.append(r.agency) or real_findings(r, *a))
    _, again = check_files(data, progress=False, workers=1, cache_dir=cache)
    assert parsed == checked == []                                   # everything came from the cache
    pd.testing.assert_frame_equal(_frozen(again), _frozen(first))

    late = {"deadline": {"township": (2, 15)}}                       # new settings: checked again, not parsed again
    _, strict = check_files(data, progress=False, workers=1, cache_dir=cache, settings=late)
    assert parsed == [] and len(checked) == 5
    assert set(strict.rule) - set(first.rule) == {"M-DEADLINE"}
    assert strict.loc[strict.rule == "M-DEADLINE", "report"].tolist() == ["曲阜市时庄街道办事处-2024"]

    checked.clear()
    qintai = data / "lushan-qintai-street-2024.txt"                   # fix the one inconsistency the samples have
    text = qintai.read_text(encoding="utf-8")
    assert "N-TEXT-SELF" in set(first[first.report.str.startswith("鲁山县琴台")].rule)
    qintai.write_text(text.replace("信息 186 条", "信息 13 条"), encoding="utf-8")
    _, fixed = check_files(data, progress=False, workers=1, cache_dir=cache)
    assert parsed == ["lushan-qintai-street-2024.txt"] and checked == ["鲁山县琴台街道办事处"]
    assert "N-TEXT-SELF" not in set(fixed[fixed.report.str.startswith("鲁山县琴台")].rule)

    moved = tmp_path / "moved"
    shutil.move(data, moved)
    parsed.clear()
    _, there = check_files(moved, progress=False, workers=1, cache_dir=cache)
    assert parsed == [] and there.source.str.startswith(str(moved)).all() and len(there) == len(fixed)


def test_cli_check_on_a_dask_cluster(generated, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    data, _ = generated
    local = [sys.executable, "-m", "govaudit.cli", "check", str(data), "--format", "json", "--no-progress",
             "--no-cache"]
    serial = subprocess.run(local, capture_output=True, text=True, timeout=300)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        remote = subprocess.run(local + ["--scheduler", cluster.scheduler_address],
                                capture_output=True, text=True, timeout=300)
    assert serial.returncode == remote.returncode == 1, remote.stderr
    assert json.loads(remote.stdout) == json.loads(serial.stdout)
    refused = subprocess.run(local + ["--scheduler", "tcp://127.0.0.1:9"], capture_output=True, text=True,
                             timeout=300)
    assert refused.returncode == 2 and "无法连接 Dask 集群 tcp://127.0.0.1:9" in refused.stderr


def test_iter_load_streams_in_file_order_across_blocks(tmp_path, monkeypatch):
    data = tmp_path / "reports"
    for i in range(3):
        shutil.copytree(SEEDS, data / f"batch{i}")
    (data / "batch1" / "broken.txt").write_bytes(b"\x00\x01binary")
    monkeypatch.setattr(batch, "BLOCK", 6)                 # three blocks, the pool used in each
    errors = []
    streamed = govaudit.iter_load(data, errors=errors, progress=False, workers=2, cache_dir=tmp_path / "cache")
    first = next(streamed)
    assert first.meta["source"] == str(data / "batch0" / "jiyuan-tiantan-street-2024.txt") and errors == []
    rest = list(streamed)
    expected = govaudit.load_many(data, progress=False, workers=1)
    assert [r.meta["source"] for r in [first, *rest]] == [r.meta["source"] for r in expected]
    assert [e["path"] for e in errors] == [str(data / "batch1" / "broken.txt")]
    again = list(govaudit.iter_load(data, progress=False, cache_dir=tmp_path / "cache"))    # from the cache
    assert [r.requests.equals(e.requests) for r, e in zip(again, expected)] == [True] * 15
