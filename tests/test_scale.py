"""Corpus at scale: the parse cache, and the same findings from serial, process-pool and Dask runs."""
from __future__ import annotations

import shutil

import pytest

import govaudit
from conftest import SAMPLES
from govaudit import api


def _ids(corpus):
    return sorted(govaudit.check(corpus).id)


def test_cache_parses_only_changed_files(tmp_path, monkeypatch):
    data = tmp_path / "reports"
    shutil.copytree(SAMPLES, data)
    cache = tmp_path / "cache"
    first = govaudit.load_many(data, progress=False, workers=1, cache_dir=cache)
    assert len(list(cache.glob("*.pkl"))) == 5

    parsed = []
    real_load = api.load
    monkeypatch.setattr(api, "load", lambda p: parsed.append(p.name) or real_load(p))
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
    govaudit.load_many(SAMPLES, progress=False, workers=1, cache_dir=cache)
    for entry in cache.glob("*.pkl"):
        entry.write_bytes(b"not a pickle")
    again = govaudit.load_many(SAMPLES, progress=False, workers=1, cache_dir=cache)
    assert len(again) == 5 and not again.errors


def test_pool_dask_and_serial_give_the_same_findings(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    data = tmp_path / "reports"
    for i in range(3):                                  # 15 files: enough for the pool to be used
        shutil.copytree(SAMPLES, data / f"batch{i}")
    (data / "broken.txt").write_bytes(b"\x00\x01binary")
    serial = govaudit.load_many(data, progress=False, workers=1)
    pooled = govaudit.load_many(data, progress=False, workers=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        on_dask = govaudit.load_many(data, progress=False, client=client)
    assert len(serial) == len(pooled) == len(on_dask) == 15
    assert [e["path"] for e in serial.errors] == [e["path"] for e in on_dask.errors] == [str(data / "broken.txt")]
    assert _ids(serial) == _ids(pooled) == _ids(on_dask)
