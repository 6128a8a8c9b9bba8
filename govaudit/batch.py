"""Many files at once: what ``load_many``, ``iter_load`` and ``govaudit check DIR`` run.

Per file, in a worker (process pool, Dask cluster, or in-process for a few files): read
and parse, then the rules that read that report alone. Both results are cached by the
file's sha256, so a re-run parses and checks only what changed; cache hits are read in
the main process, as shipping a cached report back from a worker costs more than
reading it. Files go through in blocks, so a caller that streams (``iter_load``) holds
one block at a time. ``check_files`` (``govaudit check``) runs out of core: the main process
keeps a compact summary per report, and the rules that link reports (last year's, the rest
of the batch) run in a second pass on workers that load the reports from the cache.

The engine of the one-way flow: it imports the reader (``reading``) and the rule runner
(``checks``), never the API, the UI or the CLI.
"""
from __future__ import annotations

import errno
import gc
import hashlib
import json
import logging
import os
import pickle
import sys
import tempfile
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import pandas as pd

from . import cache, checks, reading, readers
from .rules import registry
from .rules.copy import COMPARED, CROSS_UNIT_THRESHOLD, unit_names
from .rules.similarity import LSH, PERMUTATIONS, CandidateIndex
from .summary import RENAMED_META, Summaries, Summary, summarize
from .errors import NO_MEMORY, ReadError
from .readers._common import os_reason, path_problem
from .report import Corpus, Report

BLOCK = 256           # files in flight at once when streaming
CHUNK = 8             # files sent to a pool worker at a time
DIED = "读取时工作进程意外退出（可能是内存耗尽或被系统信号终止），单独重试一次仍然如此，已跳过"

log = logging.getLogger("govaudit")


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
    wanted = set(rule_ids)
    return [r for r in registry.all_rules() if r.id in wanted]


def report_files(paths: str | os.PathLike | Iterable[str | os.PathLike], errors: list | None = None) -> list[Path]:
    """The report files under the given files and directories (recursively), sorted.

    Names starting with "." (hidden) or "~$" (Word's lock file of an open document) are not read. Everything else that looks like a report but is left
    out is appended to ``errors`` as a ``Corpus.errors`` record with its reason: a broken or looping
    symlink, a folder that cannot be opened, a folder or a named pipe whose name ends in .pdf/.txt/...
    Symlinked folders are walked (each folder once, so a link loop ends).
    """
    entries = _listing(paths)
    if errors is not None:
        errors.extend(rec for _, rec in entries if rec is not None)
    return [p for p, rec in entries if rec is None]


def _listing(paths) -> list[tuple[Path, dict | None]]:
    """Every file to read (with None) and everything left out (with its error record), sorted per path given."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    suffixes = set(readers.suffixes())
    out: list[tuple[Path, dict | None]] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(_walk(p, suffixes), key=lambda e: e[0])
        else:
            out.append((p, None))         # named explicitly: its reader says what is wrong with it, if anything
    return out


# hidden names, and the lock file Word/WPS keep beside an open document ("~$报告.docx", a few bytes)
_NOT_REPORTS = (".", "~$")


def _walk(root: Path, suffixes: set[str]) -> list[tuple[Path, dict | None]]:
    found: list[tuple[Path, dict | None]] = []
    seen: set[tuple[int, int]] = set()
    real, linked = [root], []              # folders reached through a symlink are walked after the real ones
    while real or linked:
        folder = real.pop() if real else linked.pop(0)
        try:
            st = os.stat(folder)
            if (st.st_dev, st.st_ino) in seen:
                continue                   # already walked by another way (a link to it, or a link loop)
            seen.add((st.st_dev, st.st_ino))
            with os.scandir(folder) as it:
                children = sorted(it, key=lambda e: e.name)
        except OSError as e:
            found.append((folder, _error(folder, f"无法打开文件夹（{_folder_reason(e)}），其中的文件均未读取")))
            continue
        for entry in children:
            if entry.name.startswith(_NOT_REPORTS):
                continue
            path = Path(entry.path)
            named = path.suffix.lower() in suffixes
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir()                     # follows a symlink; False when it is broken
            except OSError as e:
                if named:
                    found.append((path, _error(path, path_problem(path) or os_reason(e))))
                continue
            if is_dir:
                if named:
                    found.append((path, _error(path, "这是一个文件夹，不是报告文件（名称以报告扩展名结尾）；"
                                                     "文件夹中的报告照常读取")))
                (linked if is_link else real).append(path)
                continue
            if not named and is_link:
                try:
                    named = Path(os.readlink(path)).suffix.lower() in suffixes
                except OSError:
                    pass
            if not named:
                continue
            problem = path_problem(path)       # a broken or looping link, a pipe, a device
            found.append((path, _error(path, problem) if problem else None))
    return found


def _folder_reason(e: OSError) -> str:
    if isinstance(e, PermissionError):
        return "没有权限"
    if e.errno == errno.ELOOP:
        return "符号链接循环"
    if isinstance(e, FileNotFoundError):
        return "不存在或符号链接指向的位置不存在"
    return e.strerror or type(e).__name__


def _error(path, reason: str) -> dict:
    """A ``Corpus.errors`` record: the file, why it was not read, and the message naming it (quoted if need be)."""
    return {"path": str(path), "reason": reason, "message": str(ReadError(path, reason))}


def stream(paths, *, plan: Plan | None = None, workers: int | None = None, progress: bool = True, client=None,
           cache_dir: str | os.PathLike | None = None,
           summaries: bool = False) -> Iterator[tuple[Path, Report | Summary | dict, list | None]]:
    """(file, report or error record, per-report findings or None) for every file, in file order.

    ``summaries``: a compact :class:`Summary` in place of each report (the out-of-core check); the parsed
    report then stays in the cache, and a cache hit reads only the summary and the findings.

    Files go in blocks of ``BLOCK``: only one block's results are held at a time, so memory
    does not grow with the corpus unless the caller keeps what it gets. Every file gets a result or
    an error record: what the listing left out (see ``report_files``), what could not be read, and a
    file whose worker died twice (the pool is replaced; its files are retried one by one, alone).
    """
    entries = _listing(paths)
    cache_dir = str(cache_dir) if cache_dir else None
    one = partial(_work, cache_dir=cache_dir, plan=plan, summaries=summaries)
    hit = _cached_summary if summaries else _cached
    with ExitStack() as stack:
        bar = _progress(len(entries), progress)
        stack.callback(bar.close)
        pool = _Pool()
        stack.callback(pool.close)
        for start in range(0, len(entries), BLOCK):
            block = entries[start:start + BLOCK]
            with _no_cycle_collection():
                results = [err if err is not None else hit(f, cache_dir, plan) if cache_dir else None
                           for f, err in block]
            bar.update(sum(r is not None for r in results))
            todo = [i for i, r in enumerate(results) if r is None]
            files = [block[i][0] for i in todo]
            if client is not None:
                done = _on_cluster(client, one, files)
                bar.update(len(todo))
            elif not pool.started and (len(todo) <= 4 or workers == 1):
                done = []
                for f in files:
                    done.append(one(f))
                    bar.update()
            else:
                size = workers or min(len(entries) - start, os.cpu_count() or 1)
                done = pool.map(one, files, size, bar)
            for i, r in zip(todo, done):
                results[i] = r
            for i, (f, _) in enumerate(block):
                r, results[i] = results[i], None          # the caller decides what to keep
                yield (f, r, None) if isinstance(r, dict) else (f, *r)


class _Pool:
    """The process pool, replaced when a worker dies. The files a dead worker's pool still held are
    retried one at a time in a pool of one, so the file that kills its worker is found and reported
    while the others are read."""

    def __init__(self):
        self.pool: ProcessPoolExecutor | None = None
        self.single: ProcessPoolExecutor | None = None
        self.started = False

    def map(self, one, files: list[Path], size: int, bar) -> list:
        if self.pool is None:
            self.pool = ProcessPoolExecutor(max_workers=size, mp_context=_pool_context())
            self.started = True
        chunks = [files[i:i + CHUNK] for i in range(0, len(files), CHUNK)]
        futures = [self._submit(one, chunk) for chunk in chunks]
        out: list = []
        for chunk, future in zip(chunks, futures):
            try:
                if future is None:
                    raise BrokenProcessPool("the pool broke before this chunk was handed out")
                out += future.result()
            except Exception as e:            # BrokenProcessPool: a worker died; the pool and its queue are gone
                if isinstance(e, BrokenProcessPool) and self.pool is not None:
                    log.warning("a pool worker died; retrying its pending files one by one")
                    self._drop("pool")
                out += [self.alone(one, f) for f in chunk]
            bar.update(len(chunk))
        return out

    def _submit(self, one, chunk: list[Path]):
        if self.pool is None:
            return None
        try:
            return self.pool.submit(_work_all, one, chunk)
        except BrokenProcessPool:             # a worker died while the work was being handed out
            self._drop("pool")
            return None

    def alone(self, one, item):
        """``one(item)`` in a pool of its own: the result, or the error record of a worker that died again."""
        path = _path_of(item)
        for _ in range(2):                    # a pool of one found broken before it took this file does not count
            if self.single is None:
                self.single = ProcessPoolExecutor(max_workers=1, mp_context=_pool_context())
            try:
                future = self.single.submit(one, item)
            except BrokenProcessPool:
                self._drop("single")
                continue
            try:
                return future.result()
            except BrokenProcessPool:
                self._drop("single")
                return _error(path, DIED)
            except Exception as e:            # e.g. a result that cannot be sent back
                return _error(path, f"读取时出错（{type(e).__name__}: {e}）")
        return _error(path, DIED)

    def _drop(self, which: str) -> None:
        pool = getattr(self, which)
        setattr(self, which, None)
        pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        for which in ("pool", "single"):
            if getattr(self, which) is not None:
                self._drop(which)


def _work_all(one, items: list) -> list:
    return [one(p) for p in items]


def _path_of(item) -> Path:
    """The file an item of work stands for: a path, or the report of a link task."""
    return Path(item.report.path) if isinstance(item, Link) else item


def _on_cluster(client, one, items: list, **broadcast) -> list:
    """``one`` over the items on a Dask cluster: a task that fails (its worker killed more often than
    the cluster's allowed failures) becomes an error record, never the end of the run. ``broadcast``:
    keyword arguments every task gets (Dask futures of data scattered once to every worker)."""
    from dask.distributed import wait

    futures = client.map(one, items, pure=not broadcast, **broadcast)
    wait(futures)
    finished = [f for f in futures if f.status == "finished"]
    got = dict(zip((f.key for f in finished), client.gather(finished)))
    out = []
    for item, future in zip(items, futures):
        if future.key in got:
            out.append(got[future.key])
        else:
            e = future.exception()
            out.append(_error(_path_of(item), f"在集群上读取失败（{type(e).__name__}: {e}）"))
    return out


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


def _cached_summary(path: Path, cache_dir: str, plan: Plan | None):
    """(summary, findings) from the cache, or None when the file needs a worker (the report is not read)."""
    try:
        sha = cache.file_sha256(path)
    except OSError:
        return None
    summary = cache.get(Path(cache_dir), cache.summary_key(sha, path))
    findings = cache.get(Path(cache_dir), cache.findings_key(sha, path, plan.key)) if plan is not None else None
    if summary is None or (plan is not None and findings is None):
        return None
    summary.path = str(path)
    return _moved(summary, findings, path)


def _moved(report: Report | Summary, findings, path: Path):
    """The same bytes may have moved: the report and its findings name the file where it is now."""
    report.meta["source"] = str(path)
    if findings is not None:
        findings = [f if f.source == str(path) else replace(f, source=str(path)) for f in findings]
    return report, findings


def _work(path: Path, cache_dir: str | None = None, plan: Plan | None = None, summaries: bool = False):
    """Load one file and run its per-report rules: (report or its summary, findings), or an error record
    naming the file. Nothing a file does escapes as an exception: one bad file never ends a batch."""
    try:
        report, findings = _load_and_check(path, cache_dir, plan)
        if not summaries:
            return report, findings
        summary = summarize(report, path)
        if cache_dir:
            sha = report.meta["sha256"]
            cache.put(Path(cache_dir), cache.summary_key(sha, path), summary)
            cache.put(Path(cache_dir), cache.sections_key(sha, path), _compared_sections(report))
        return summary, findings
    except ReadError as e:
        return _error(path, e.reason)
    except MemoryError:
        pass                                 # reported below, once the traceback's objects are freed
    except OSError as e:
        return _error(path, os_reason(e))
    except Exception as e:                   # a reader, parser or rule bug: say which file, go on
        log.exception("reading or checking %r failed", str(path))
        return _error(path, f"读取或审核时出错（{type(e).__name__}: {e}）")
    return _error(path, NO_MEMORY)


def _load_and_check(path: Path, cache_dir: str | None, plan: Plan | None):
    hit = _cached(path, cache_dir, None) if cache_dir else None    # e.g. new settings: check again, not parse
    report = hit[0] if hit else reading.load(path)
    findings = None
    if plan is not None:
        findings = checks.report_findings(report, plan.rules(), plan.settings)
    if cache_dir:
        sha = report.meta["sha256"]
        if not hit:
            cache.put(Path(cache_dir), cache.report_key(sha, path), report)
        if plan is not None:
            cache.put(Path(cache_dir), cache.findings_key(sha, path, plan.key), findings)
    return report, findings


def check_files(paths, previous=None, *, select=None, skip=None, settings=None, workers: int | None = None,
                progress: bool = True, client=None, cache_dir=None) -> tuple[Summaries, pd.DataFrame]:
    """Load and check many files out of core: their summaries and findings (the same findings as
    ``govaudit.check(govaudit.load_many(paths), previous)``).

    The main process never holds a parsed report. Pass 1, per file on a worker: parse (or take the cache),
    the rules that read the report alone, a compact summary; the parsed report goes to the content cache
    (``cache_dir``, else a temporary one for this run). Between the passes, on summaries only: last year's
    report of each unit (``checks.last_year_pairs``), candidate copies by LSH on MinHash signatures, the
    batch's unit names. Pass 2, per report on a worker: the cross-year and corpus rules, with the report,
    last year's and the candidates loaded from the cache (exact similarity there). A process pool and a
    Dask ``client`` run the same two passes.
    """
    rules = checks.select_rules(select, skip)
    plan = Plan(tuple(r.id for r in rules), settings or {})
    how = {"workers": workers, "progress": progress, "client": client}
    with _run_cache(cache_dir) as cache_dir:
        done, found = Summaries(), []
        for _, summary, findings in stream(paths, plan=plan, cache_dir=cache_dir, summaries=True, **how):
            if isinstance(summary, dict):
                done.errors.append(summary)
            else:
                done.reports.append(summary)
                found.append(findings)
        prior = _previous_summaries(previous, cache_dir, **how)
        renamed = _distinct_ids(done.reports)
        tasks = _links(done.reports, prior, rules, renamed)
        shared = _shared(done.reports, rules)
        linked = _run_links(tasks, plan, cache_dir, shared, **how) if tasks else []
    by_report = dict(zip((id(t.report) for t in tasks), linked))
    findings = []
    for summary, own in zip(done.reports, found):
        extra = by_report.get(id(summary), [])
        if isinstance(extra, dict):                  # pass 2 failed on it: the output is incomplete, say so
            done.errors.append(extra)
            extra = []
        findings.extend(() if id(summary) in renamed else own)
        findings.extend(extra)
    with _no_cycle_collection():
        return done, checks.finish(findings)


@dataclass(frozen=True)
class Link:
    """Pass 2 for one report: last year's report, same-year candidates for copy per section, and whether
    its report-scope rules must run again (renamed as a second file of its unit)."""
    report: Summary
    previous: Summary | None
    copies: dict[str, list[Summary]]
    recheck: bool


def _links(summaries: list[Summary], prior: list[Summary], rules, renamed: set[int]) -> list[Link]:
    """The pass-2 tasks: one per report that a cross-year or corpus rule (or a rename) concerns."""
    scopes = {r.scope for r in rules}
    last_year = checks.last_year_pairs(summaries + prior) if "cross-year" in scopes else (lambda s: None)
    copies = _copy_candidates(summaries) if any(r.id == "C-CROSS-UNIT" for r in rules) else {}
    tasks = []
    for s in summaries:
        last = last_year(s)
        if id(s) in renamed or "corpus" in scopes or last is not None:
            tasks.append(Link(s, last, copies.get(id(s), {}), id(s) in renamed))
    return tasks


def _copy_candidates(summaries: list[Summary]) -> dict[int, dict[str, list[Summary]]]:
    """Per summary (by ``id``) and section, the same-year summaries LSH makes candidates (corpus order)."""
    rows = [(s, key) for s in summaries for key in COMPARED if key in s.signatures]
    signatures = np.array([s.signatures[key] for s, key in rows], dtype=np.uint32).reshape(len(rows), PERMUTATIONS)
    lsh = LSH([(s.year, key) for s, key in rows], signatures)
    out: dict[int, dict[str, list[Summary]]] = {}
    for row, (s, key) in enumerate(rows):
        others = lsh.candidates(row, CROSS_UNIT_THRESHOLD)
        if others.size:
            out.setdefault(id(s), {})[key] = [rows[i][0] for i in others]
    return out


def _shared(summaries: list[Summary], rules) -> dict:
    """What every pass-2 task reads: the batch's unit names (C-FOREIGN-NAME), sent once to each worker."""
    return {"unit-names": unit_names(summaries)} if any(r.id == "C-FOREIGN-NAME" for r in rules) else {}


def _distinct_ids(summaries: list[Summary]) -> set[int]:
    """``Corpus.distinct_ids`` on the summaries: ``id`` of each one renamed (a second file of a unit's year)."""
    before = [s.id for s in summaries]
    Corpus(reports=summaries).distinct_ids()
    return {id(s) for s, was in zip(summaries, before) if s.id != was}


def _previous_summaries(previous, cache_dir: str, **how) -> list[Summary]:
    """Last year's reports given as a directory or files (their unreadable files are left out), or reports."""
    if previous is None:
        return []
    if isinstance(previous, (str, os.PathLike)):
        return [s for _, s, _ in stream(previous, cache_dir=cache_dir, summaries=True, **{**how, "progress": False})
                if not isinstance(s, dict)]
    raise TypeError("check_files: previous is a directory or a file; use govaudit.check for reports in memory")


def _run_links(tasks: list[Link], plan: Plan, cache_dir: str, shared: dict, *, workers, progress, client) -> list:
    """Pass 2 over the tasks, in order: each task's findings, or an error record naming its file."""
    one = partial(_link, cache_dir=cache_dir, plan=plan)
    bar = _progress(len(tasks), progress, "关联核对")
    try:
        if client is not None:
            [future] = client.scatter([shared], broadcast=True)
            out = _on_cluster(client, one, tasks, shared=future)
            bar.update(len(tasks))
            return out
        if len(tasks) <= 4 or workers == 1:
            out = []
            for task in tasks:
                out.append(one(task, shared=shared))
                bar.update()
            return out
        one = partial(one, shared=_SharedFile.write(cache_dir, shared))
        pool = _Pool()
        try:
            return pool.map(one, tasks, workers or min(len(tasks), os.cpu_count() or 1), bar)
        finally:
            pool.close()
    finally:
        bar.close()
        _recent.clear()                        # run in this process: keep no report after the run
        _recent_sections.clear()


@dataclass(frozen=True)
class _SharedFile:
    """Data every pool task reads, written once beside the cache: a worker loads it once, not per task."""
    path: str

    @classmethod
    def write(cls, cache_dir: str, data: dict) -> "_SharedFile":
        fd, path = tempfile.mkstemp(dir=cache_dir, prefix="run-", suffix=".shared")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
        return cls(path)


@lru_cache(maxsize=2)
def _shared_data(shared) -> dict:
    if isinstance(shared, _SharedFile):
        return pickle.loads(Path(shared.path).read_bytes())
    return shared


def _link(task: Link, cache_dir: str, plan: Plan, shared) -> list | dict:
    """Pass 2 for one report, on a worker: its cross-year and corpus findings, or an error record."""
    path = Path(task.report.path)
    try:
        data = _shared_data(shared) if isinstance(shared, _SharedFile) else shared
        return _linked(task, cache_dir, plan, data)
    except ReadError as e:
        return _error(path, e.reason)
    except MemoryError:
        pass
    except OSError as e:
        return _error(path, os_reason(e))
    except Exception as e:                   # a rule bug: say which file, go on
        log.exception("checking %r against the batch failed", str(path))
        return _error(path, f"审核时出错（{type(e).__name__}: {e}）")
    return _error(path, NO_MEMORY)


def _linked(task: Link, cache_dir: str, plan: Plan, shared: dict) -> list:
    fetched: dict[int, Report] = {}

    def fetch(s: Summary) -> Report:
        if id(s) not in fetched:
            fetched[id(s)] = _fetch(s, cache_dir)
        return fetched[id(s)]

    report = fetch(task.report)
    last = fetch(task.previous) if task.previous is not None else None
    copies = CandidateIndex({key: [(o, _fetch_sections(o, cache_dir, fetch).get(key, "")) for o in others]
                             for key, others in task.copies.items()})
    return checks.linked_findings(report, last, plan.rules(), plan.settings, {**shared, "copy-index": copies},
                                  report_scope=task.recheck)


RECENT = 8
_recent: OrderedDict[tuple[str, str], Report] = OrderedDict()


def _fetch(summary: Summary, cache_dir: str) -> Report:
    """The parsed report of a summary, named as the summary says (its meta a copy; the frames shared)."""
    key = (summary.path, summary.meta["sha256"])
    report = _recent.get(key)
    if report is None:
        report = _recent[key] = _load_cached(summary, cache_dir)
        if len(_recent) > RECENT:        # a worker's last few: last year's report is usually the task before
            _recent.popitem(last=False)
    else:
        _recent.move_to_end(key)
    return replace(report, meta={**report.meta, **{k: summary.meta[k] for k in ("source", *RENAMED_META)
                                                   if k in summary.meta}})


def _compared_sections(report: Report) -> dict[str, str]:
    return {k: report.sections[k] for k in COMPARED if k in report.sections}


_recent_sections: OrderedDict[tuple[str, str], dict] = OrderedDict()


def _fetch_sections(summary: Summary, cache_dir: str, fetch) -> dict[str, str]:
    """A copy candidate's compared sections: a few KiB from the cache (boilerplate makes many candidates;
    loading each whole report would cost more than the similarity), else from its report."""
    key = (summary.path, summary.meta["sha256"])
    found = _recent_sections.get(key)
    if found is None:
        found = cache.get(Path(cache_dir), cache.sections_key(summary.meta["sha256"], Path(summary.path)))
        if found is None:
            found = _compared_sections(fetch(summary))
        _recent_sections[key] = found
        if len(_recent_sections) > 64 * RECENT:
            _recent_sections.popitem(last=False)
    else:
        _recent_sections.move_to_end(key)
    return found


def _load_cached(summary: Summary, cache_dir: str) -> Report:
    """From the cache, else (a worker without that disk, an entry gone) read again."""
    path = Path(summary.path)
    report = cache.get(Path(cache_dir), cache.report_key(summary.meta["sha256"], path))
    if report is None:
        report = reading.load(path)
        if report.meta.get("sha256") != summary.meta["sha256"]:
            raise ReadError(path, "文件在审核过程中被改动，请重新运行")
    return report


@contextmanager
def _run_cache(cache_dir):
    """The cache directory of a run: the one given, else a temporary one removed at the end."""
    if cache_dir:
        yield str(cache_dir)
        return
    with tempfile.TemporaryDirectory(prefix="govaudit-check-") as tmp:
        yield tmp


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


def _progress(total: int, enabled: bool, desc: str = "读取报告"):
    if not enabled:
        return _NoBar()
    from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc, unit="份")
