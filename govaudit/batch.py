"""Many files at once: what ``load_many``, ``iter_load`` and ``govaudit check DIR`` run.

Per file, in a worker (process pool, Dask cluster, or in-process for a few files): read
and parse, then the rules that read that report alone. Both results are cached by the
file's sha256, so a re-run parses and checks only what changed; cache hits are read in
the main process, as shipping a cached report back from a worker costs more than
reading it. Files go through in blocks, so a caller that streams (``iter_load``) holds
one block at a time. ``check_files`` keeps the corpus: the rules that link reports
(last year's, the rest of the corpus) then run once in the main process over everything.
"""
from __future__ import annotations

import gc
import hashlib
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from pathlib import Path
from typing import Iterable, Iterator

import pandas as pd

from . import cache, readers
from .errors import ReadError
from .report import Corpus, Report

BLOCK = 256           # files in flight at once when streaming


@dataclass(frozen=True)
class Plan:
    """Which per-report rules to run, with which settings (part of the findings' cache key)."""
    rule_ids: tuple[str, ...]
    settings: dict

    def rules(self) -> list:
        return _rules_by_id(self.rule_ids)

    @property
    def key(self) -> str:
        text = json.dumps([self.rule_ids, self.settings], sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


@lru_cache(maxsize=8)
def _rules_by_id(rule_ids: tuple[str, ...]) -> list:
    from .rules import registry
    wanted = set(rule_ids)
    return [r for r in registry.all_rules() if r.id in wanted]


def report_files(paths: str | os.PathLike | Iterable[str | os.PathLike]) -> list[Path]:
    """The report files under the given files and directories (recursively), sorted."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    suffixes = set(readers.suffixes())
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in suffixes
                          and not any(part.startswith(".") for part in f.relative_to(p).parts))
        else:
            out.append(p)
    return out


def stream(paths, *, plan: Plan | None = None, workers: int | None = None, progress: bool = True, client=None,
           cache_dir: str | os.PathLike | None = None) -> Iterator[tuple[Path, Report | dict, list | None]]:
    """(file, report or error record, per-report findings or None) for every file, in file order.

    Files go in blocks of ``BLOCK``: only one block's results are held at a time, so memory
    does not grow with the corpus unless the caller keeps what it gets.
    """
    files = report_files(paths)
    cache_dir = str(cache_dir) if cache_dir else None
    one = partial(_work, cache_dir=cache_dir, plan=plan)
    with ExitStack() as stack:
        bar = _progress(len(files), progress)
        stack.callback(bar.close)
        pool = None
        for start in range(0, len(files), BLOCK):
            block = files[start:start + BLOCK]
            with _no_cycle_collection():
                results = [_cached(f, cache_dir, plan) if cache_dir else None for f in block]
            bar.update(sum(r is not None for r in results))
            todo = [i for i, r in enumerate(results) if r is None]
            if client is not None:
                futures = client.map(one, [block[i] for i in todo])
                done = client.gather(futures)
                bar.update(len(todo))
            elif pool is None and (len(todo) <= 4 or workers == 1):
                done = []
                for i in todo:
                    done.append(one(block[i]))
                    bar.update()
            else:
                if pool is None:
                    size = workers or min(len(files) - start, os.cpu_count() or 1)
                    pool = stack.enter_context(ProcessPoolExecutor(max_workers=size, mp_context=_pool_context()))
                done = []
                for r in pool.map(one, [block[i] for i in todo], chunksize=8):
                    done.append(r)
                    bar.update()
            for i, r in zip(todo, done):
                results[i] = r
            for i, f in enumerate(block):
                r, results[i] = results[i], None          # the caller decides what to keep
                yield (f, r, None) if isinstance(r, dict) else (f, *r)


def _pool_context():
    """Fork, unless this process already runs a JVM (tabula read a PDF here): a forked child inherits the
    JVM without its threads and hangs at its first call, so workers then start from a fresh forkserver."""
    import multiprocessing
    jpype = sys.modules.get("jpype")
    if jpype is not None and jpype.isJVMStarted():
        return multiprocessing.get_context("forkserver")
    return None


def run(paths, *, plan: Plan | None = None, workers: int | None = None, progress: bool = True, client=None,
        cache_dir: str | os.PathLike | None = None) -> tuple[Corpus, dict[int, list]]:
    """Load every file (and, with a plan, run its per-report rules): the corpus and findings by ``id(report)``."""
    corpus, checked = Corpus(), {}
    for _, report, findings in stream(paths, plan=plan, workers=workers, progress=progress, client=client,
                                      cache_dir=cache_dir):
        if isinstance(report, dict):
            corpus.errors.append(report)
            continue
        corpus.reports.append(report)
        if findings is not None:
            checked[id(report)] = findings
    return corpus, checked


def _cached(path: Path, cache_dir: str, plan: Plan | None):
    """(report, findings) from the cache, or None when the file needs a worker."""
    try:
        sha = cache.file_sha256(path)
    except OSError:
        return None                      # the worker will say what is wrong with the file
    report = cache.get(Path(cache_dir), cache.report_key(sha, path))
    if report is None:
        return None
    findings = None
    if plan is not None:
        findings = cache.get(Path(cache_dir), cache.findings_key(sha, path, plan.key))
        if findings is None:
            return None
    return _moved(report, findings, path)


def _moved(report: Report, findings, path: Path):
    """The same bytes may have moved: the report and its findings name the file where it is now."""
    report.meta["source"] = str(path)
    if findings is not None:
        findings = [f if f.source == str(path) else replace(f, source=str(path)) for f in findings]
    return report, findings


def _work(path: Path, cache_dir: str | None = None, plan: Plan | None = None):
    """Load one file and run its per-report rules: (report, findings), or an error record naming the file."""
    from .api import load
    from .checks import report_findings

    hit = _cached(path, cache_dir, None) if cache_dir else None    # e.g. new settings: check again, not parse
    if hit:
        report = hit[0]
    else:
        try:
            report = load(path)
        except ReadError as e:
            return {"path": str(path), "reason": e.reason, "message": str(e)}
    findings = None
    if plan is not None:
        findings = report_findings(report, plan.rules(), plan.settings)
    if cache_dir:
        sha = report.meta["sha256"]
        if not hit:
            cache.put(Path(cache_dir), cache.report_key(sha, path), report)
        if plan is not None:
            cache.put(Path(cache_dir), cache.findings_key(sha, path, plan.key), findings)
    return report, findings


def check_files(paths, previous=None, *, select=None, skip=None, settings=None, workers: int | None = None,
                progress: bool = True, client=None, cache_dir=None) -> tuple[Corpus, pd.DataFrame]:
    """Load and check many files: the corpus and its findings (the same as ``check(load_many(...))``)."""
    from .checks import _as_reports, run_rules, select_rules

    rules = select_rules(select, skip)
    plan = Plan(tuple(r.id for r in rules), settings or {})
    corpus, checked = run(paths, plan=plan, workers=workers, progress=progress, client=client,
                          cache_dir=cache_dir)
    with _no_cycle_collection():
        return corpus, run_rules(list(corpus), _as_reports(previous), rules, settings or {}, checked)


@contextmanager
def _no_cycle_collection():
    """Reading cached reports and checking a corpus allocate millions of objects that all stay alive:
    the cycle collector would scan the growing heap again and again for nothing (a third of a cached
    10,000-report run). Only around main-process work that makes no garbage cycles (no parsing, no pool)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, enabled: bool):
    if not enabled:
        return _NoBar()
    from tqdm.auto import tqdm
    return tqdm(total=total, desc="读取报告", unit="份")
