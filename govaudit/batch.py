"""Many files at once: what ``load_many``, ``iter_load`` and ``govaudit check DIR`` run.

Per file, in a worker (process pool, Dask cluster, or in-process for a few files): read
and parse, then the rules that read that report alone. Both results are cached by the
file's sha256, so a re-run parses and checks only what changed; cache hits are read in
the main process, as shipping a cached report back from a worker costs more than
reading it. Files go through in blocks, so a caller that streams (``iter_load``) holds
one block at a time. With ``summaries=True`` each report comes back as a compact summary: the
first pass of the out-of-core check (outofcore.py, ``govaudit check``).

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
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from pathlib import Path
from typing import Iterable, Iterator

from . import cache, checks, reading, readers
from .rules import registry
from .rules.copy import COMPARED
from .summary import Summary, summarize
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
    return [Path(p) for p, rec in entries if rec is None]


def _listing(paths) -> list[tuple[str, dict | None]]:
    """Every file to read (with None) and everything left out (with its error record), sorted per path given
    (as paths sort: part by part). Paths as text: a folder may hold 100,000 reports."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    suffixes = set(readers.suffixes())
    out: list[tuple[str, dict | None]] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(_walk(p, suffixes), key=lambda e: e[0].replace(os.sep, "\0"))
        else:
            out.append((str(p), None))    # named explicitly: its reader says what is wrong with it, if anything
    return out


# hidden names, and the lock file Word/WPS keep beside an open document ("~$报告.docx", a few bytes)
_NOT_REPORTS = (".", "~$")


def _walk(root: Path, suffixes: set[str]) -> list[tuple[str, dict | None]]:
    found: list[tuple[str, dict | None]] = []
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
                folders = _walk_entries(it, suffixes, found)
        except OSError as e:
            found.append((str(folder), _error(folder, f"无法打开文件夹（{_folder_reason(e)}），其中的文件均未读取")))
            continue
        for name, path, is_link in sorted(folders):
            (linked if is_link else real).append(path)
    return found


def _walk_entries(entries, suffixes: set[str], found: list) -> list[tuple[str, Path, bool]]:
    """Add a folder's report files to ``found`` (in any order: the listing sorts them), each entry seen once
    and not kept (a folder may hold 100,000 files); its subfolders, to walk: (name, path, is a link)."""
    folders = []
    for entry in entries:
        if entry.name.startswith(_NOT_REPORTS):
            continue
        path = Path(entry.path)
        named = path.suffix.lower() in suffixes
        try:
            is_link = entry.is_symlink()
            is_dir = entry.is_dir()                     # follows a symlink; False when it is broken
        except OSError as e:
            if named:
                found.append((entry.path, _error(path, path_problem(path) or os_reason(e))))
            continue
        if is_dir:
            if named:
                found.append((entry.path, _error(path, "这是一个文件夹，不是报告文件（名称以报告扩展名结尾）；"
                                                       "文件夹中的报告照常读取")))
            folders.append((entry.name, path, is_link))
            continue
        if not named and is_link:
            try:
                named = Path(os.readlink(path)).suffix.lower() in suffixes
            except OSError:
                pass
        if not named:
            continue
        problem = path_problem(path)       # a broken or looping link, a pipe, a device
        found.append((entry.path, _error(path, problem) if problem else None))
    return folders


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
    files = [p for p, _ in entries]                       # compact: the listing's pairs are let go
    refused = {i: rec for i, (_, rec) in enumerate(entries) if rec is not None}
    del entries
    cache_dir = str(cache_dir) if cache_dir else None
    one = partial(_work, cache_dir=cache_dir, plan=plan, summaries=summaries)
    hit = _cached_summary if summaries else _cached
    with ExitStack() as stack:
        bar = _progress(len(files), progress)
        stack.callback(bar.close)
        pool = _Pool()
        stack.callback(pool.close)
        for start in range(0, len(files), BLOCK):
            block = [(Path(f), refused.get(i)) for i, f in enumerate(files[start:start + BLOCK], start)]
            with _no_cycle_collection():
                results = [err if err is not None else hit(f, cache_dir, plan) if cache_dir else None
                           for f, err in block]
            bar.update(sum(r is not None for r in results))
            todo = [i for i, r in enumerate(results) if r is None]
            paths = [block[i][0] for i in todo]
            if client is not None:
                done = _on_cluster(client, one, paths)
                bar.update(len(todo))
            elif not pool.started and (len(todo) <= 4 or workers == 1):
                done = []
                for f in paths:
                    done.append(one(f))
                    bar.update()
            else:
                size = workers or min(len(files) - start, os.cpu_count() or 1)
                done = pool.map(one, paths, size, bar)
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
    """The file an item of work stands for: a path, or the report of a second-pass task (outofcore.Link)."""
    return Path(item.report.path) if hasattr(item, "report") else item


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


def _compared_sections(report: Report) -> dict[str, str]:
    return {k: report.sections[k] for k in COMPARED if k in report.sections}


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
