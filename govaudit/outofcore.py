"""``govaudit check DIR``: many files checked out of core, with the driver's memory flat in the corpus size.

Pass 1 (``batch.stream``, on workers): parse or take the cache, the rules that read one report, a compact
summary. The driver spills each summary and its findings to disk (``spill.Spill``) and keeps a few numbers a
report: its unit and year (codes), its id's hash and the rows of its compared sections. Between the passes,
on those numbers: last year's report of each unit, the second files of a unit's year (renamed), and copy
candidates by LSH, band by band from band files on disk. Pass 2, in blocks (on workers): the cross-year and
corpus rules, each report's summary and its partners read back from the spill. Each report's findings are
finished (deduplicated, ordered, grouped) as its pass ends and spilled again; ``CheckRun.findings`` yields
them in the run's order (by report id), in frames of a bounded size, for the outputs and the store.
"""
from __future__ import annotations

import ctypes
import hashlib
import heapq
import itertools
import os
import pickle
import tempfile
from array import array
from collections import OrderedDict
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from . import cache, checks, reading
from .batch import Plan, _compared_sections, _error, _on_cluster, _Pool, _progress, stream
from .errors import NO_MEMORY, ReadError
from .readers._common import os_reason
from .report import Report
from .rules._util import unit_key
from .rules.copy import COMPARED, CROSS_UNIT_THRESHOLD, unit_names
from .rules.finding import Finding, group_problems, to_frame
from .rules.similarity import BANDS, PERMUTATIONS, SCREEN_MARGIN, CandidateIndex
from .spill import Spill
from .summary import RENAMED_META, Summaries, Summary

FRAME_ROWS = 5_000      # findings per frame that CheckRun.findings yields
SORT_RUN = 10_000       # report ids sorted in memory at a time (then merged from disk)
LINK_BLOCK = 256        # reports per step of the second pass (their summaries and partners in memory)
PAIRS_PER_PART = 1 << 18    # copy candidate pairs in memory at a time (2 MiB)
_NO_YEAR = -1


class CheckRun:
    """An out-of-core check's result, on disk until read: the summaries, the findings in output order, the
    ``Corpus.errors`` records of the files not read (or whose second pass failed)."""

    def __init__(self, workdir: str):
        self.errors: list[dict] = []
        self._summaries = Spill(workdir)         # this batch's reports, in file order, then last year's given
        self._found = Spill(workdir)             # per summary: pass-1 findings, then the finished findings
        self._agency = array("q")                # hashes of the name and of its unit key (rules/_util.unit_key)
        self._unit = array("q")
        self._year = array("i")
        self._id_hash = array("q")
        self._bands = [tempfile.TemporaryFile(dir=workdir, prefix="govaudit-band-") for _ in range(BANDS)]
        self._signatures = tempfile.TemporaryFile(dir=workdir, prefix="govaudit-sig-")
        self._row_report, self._row_key = array("i"), array("b")
        self.reports = 0                         # this batch's reports (the rest are last year's, given)
        self.renamed: set[int] = set()
        self._sorted_runs: list[Spill] | None = None
        self._workdir = workdir

    # --- pass 1: what comes back of each report -----------------------------------------------------

    def add(self, summary: Summary, findings: list | None, *, signed: bool = True) -> int:
        i = self._summaries.append(summary)
        self._found.append(findings)
        agency = summary.agency
        self._agency.append(_hash(agency) if agency else 0)
        self._unit.append(_hash(unit_key(agency)) if agency else 0)
        year = summary.year
        self._year.append(year if isinstance(year, int) and 0 <= year < 1 << 20 else _NO_YEAR)
        self._id_hash.append(_hash(summary.id))
        if signed:
            self._add_signatures(i, summary)
        return i

    def _add_signatures(self, i: int, summary: Summary) -> None:
        """Each compared section's signature to disk, and per band one 64-bit hash of (year, section, band)."""
        width = PERMUTATIONS // BANDS
        for k, key in enumerate(COMPARED):
            sig = summary.signatures.get(key)
            if sig is None:
                continue
            self._row_report.append(i)
            self._row_key.append(k)
            sig = np.asarray(sig, dtype=np.uint32)
            self._signatures.write(sig.tobytes())
            group = f"{self._year[i]}|{k}|".encode()
            for b, f in enumerate(self._bands):
                f.write(hashlib.blake2b(group + sig[b * width:(b + 1) * width].tobytes(), digest_size=8).digest())

    def summary(self, i: int) -> Summary:
        return self._summaries[i]

    def summaries(self) -> Iterator[Summary]:
        """This batch's summaries, in file order."""
        return (self._summaries[i] for i in range(self.reports))

    def __len__(self) -> int:
        return self.reports

    __iter__ = summaries

    # --- between the passes -----------------------------------------------------------------------------

    def distinct_ids(self) -> None:
        """``Corpus.distinct_ids`` on this batch: a second file of a unit's year is renamed after its file."""
        hashes = np.frombuffer(self._id_hash, dtype=np.int64)[:self.reports]
        _, first, counts = np.unique(hashes, return_index=True, return_counts=True)
        for start in first[counts > 1]:
            same = np.flatnonzero(hashes == hashes[start])
            firsts: dict[str, Summary] = {}
            for i in same:                       # in file order; the real ids decide (a hash may collide)
                s = self._summaries[int(i)]
                other = firsts.setdefault(s.id, s)
                if other is not s:
                    name = Path(s.meta.get("source", "")).name
                    s.meta.update(id=f"{s.id}（{name}）", finding_key=f"{s.agency or s.id}|{name}",
                                  same_as=other.meta.get("source", ""))
                    self._summaries.replace(int(i), s)
                    self.renamed.add(int(i))

    def last_years(self) -> np.ndarray:
        """Per report of this batch, the index of last year's report of its unit, or -1: ``checks.last_year_pairs``
        on the names' 64-bit hashes (the first of duplicates wins; a unit key pairs only when the batch spells
        the unit at most two ways, one of them the key itself). A pair is confirmed on the names in ``_tasks``."""
        agency = np.frombuffer(self._agency, dtype=np.int64)
        unit = np.frombuffer(self._unit, dtype=np.int64)
        year = np.frombuffer(self._year, dtype=np.int32).astype(np.int64)
        rows = np.flatnonzero((agency != 0) & (year != _NO_YEAR))
        by_name = _FirstOf(agency[rows], year[rows], rows)
        by_unit = _FirstOf(unit[rows], year[rows], rows)
        names = np.unique(np.column_stack([unit[rows], agency[rows]]), axis=0)      # (unit, spelling)
        units, spellings = np.unique(names[:, 0], return_counts=True)
        spelled_as_key = np.isin(units, np.intersect1d(names[:, 0], names[:, 1]))
        mine = rows[rows < self.reports]
        mine = mine[year[mine] > 0]
        out = np.full(self.reports, -1, dtype=np.int64)
        found = by_name.find(agency[mine], year[mine] - 1)
        at = np.searchsorted(units, unit[mine])
        unit_ok = spelled_as_key[at] & (spellings[at] <= 2)
        found = np.where((found < 0) & unit_ok, by_unit.find(unit[mine], year[mine] - 1), found)
        out[mine] = found
        return out

    def copy_candidates(self) -> "_Candidates":
        """Same-year, same-section rows whose signatures agree on a whole band, screened as ``LSH.candidates``
        does (enough equal signature entries). One band's bucket labels in memory at a time; a bucket's pairs
        are screened as they are made, kept only in the first band they share (no duplicates), and written to
        disk: boilerplate makes the candidate pairs grow faster than the corpus."""
        key = np.frombuffer(self._row_key, dtype=np.int8)
        pairs = tempfile.TemporaryFile(dir=self._workdir, prefix="govaudit-pairs-")
        per_row = np.zeros(len(key), dtype=np.int64)           # candidate pairs of each row, to partition them
        self._signatures.flush()
        for i, f in enumerate(self._bands):       # 8 bytes a row of one band in memory at a time
            f.flush()
            f.seek(0)
            for members in _shared_buckets(np.fromfile(f, dtype=np.uint64)):
                for found in self._screen(members, i):
                    pairs.write(found.tobytes())
                    np.add.at(per_row, found[:, 0], 1)
        return _Candidates(pairs, per_row, np.frombuffer(self._row_report, dtype=np.int32), key, self._workdir)

    def _screen(self, members: np.ndarray, band: int) -> Iterator[np.ndarray]:
        """The (a, b) pairs of a bucket, a != b, first equal in ``band`` and estimated similar enough, as int32
        rows, in pieces of about 4 MiB of comparisons."""
        fd, size = self._signatures.fileno(), PERMUTATIONS * 4
        sig = np.frombuffer(b"".join(os.pread(fd, size, int(r) * size) for r in members),
                            dtype=np.uint32).reshape(len(members), PERMUTATIONS)
        step = max(1, (1 << 22) // (len(members) * PERMUTATIONS))
        for start in range(0, len(members), step):
            equal = sig[start:start + step, None, :] == sig[None, :, :]
            estimate = equal.mean(axis=2)
            bands_equal = equal.reshape(*equal.shape[:2], BANDS, -1).all(axis=3)
            first = bands_equal[:, :, band] & (bands_equal.argmax(axis=2) == band)     # (a hash may collide)
            a, b = np.nonzero(first & (estimate >= CROSS_UNIT_THRESHOLD - SCREEN_MARGIN))
            a += start
            keep = a != b
            if keep.any():
                yield np.column_stack([members[a[keep]], members[b[keep]]]).astype(np.int32)

    def unit_names(self) -> tuple[set[str], list[int]]:
        """``rules.copy.unit_names`` of this batch, read from the spilled summaries."""
        return unit_names(self.summaries())

    # --- after pass 2 -------------------------------------------------------------------------------------

    def finish(self, i: int, own: list | None, linked: list) -> None:
        """Report ``i``'s findings as the run gives them (``checks.finish`` for one report)."""
        seen: set[str] = set()
        found = [f for f in [*(own or ()), *linked] if not (f.id in seen or seen.add(f.id))]
        found.sort(key=lambda f: (f.report, checks.SEVERITY_ORDER[f.severity], f.rule))
        self._found.replace(i, group_problems(found))

    def own_findings(self, i: int) -> list | None:
        return None if i in self.renamed else self._found[i]

    def findings(self, rows: int = FRAME_ROWS) -> Iterator[pd.DataFrame]:
        """Every finding of the run, in its order (by report id, severity, rule), in frames of about ``rows``."""
        batch: list[Finding] = []
        for i in self._output_order():
            batch += self._found[i] or ()
            if len(batch) >= rows:
                yield to_frame(batch)
                batch = []
        if batch:
            yield to_frame(batch)

    def _output_order(self) -> Iterator[int]:
        """Report indexes by report id (then file order): sorted runs of ``SORT_RUN`` ids on disk, merged."""
        if self._sorted_runs is None:
            self._sorted_runs = []
            for start in range(0, self.reports, SORT_RUN):
                ids = sorted((self._summaries[i].id, i) for i in range(start, min(start + SORT_RUN, self.reports)))
                spill = Spill(self._workdir)
                for j in range(0, len(ids), 1000):
                    spill.append(ids[j:j + 1000])
                self._sorted_runs.append(spill)
        for _, i in heapq.merge(*(itertools.chain.from_iterable(run) for run in self._sorted_runs)):
            yield i

    def close(self) -> None:
        for f in (self._summaries, self._found, *(self._sorted_runs or ())):
            f.close()
        for f in (*self._bands, self._signatures):
            f.close()


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little", signed=True)


class _FirstOf:
    """The first row of each (key, year) (rows ascending), looked up for many at once (-1 when absent)."""

    def __init__(self, keys: np.ndarray, years: np.ndarray, rows: np.ndarray):
        order = np.lexsort((rows, years, keys))
        keys, years, rows = keys[order], years[order], rows[order]
        first = np.ones(len(keys), dtype=bool)
        first[1:] = (keys[1:] != keys[:-1]) | (years[1:] != years[:-1])
        self.keys, self.years, self.rows = keys[first], years[first], rows[first]

    def find(self, keys: np.ndarray, years: np.ndarray) -> np.ndarray:
        if not len(self.keys):
            return np.full(len(keys), -1, dtype=np.int64)
        at = np.searchsorted(self.keys, keys, side="left")
        out = np.full(len(keys), -1, dtype=np.int64)
        for j in range(len(keys)):                # a key's years are few and consecutive in the order
            i = at[j]
            while i < len(self.keys) and self.keys[i] == keys[j]:
                if self.years[i] == years[j]:
                    out[j] = self.rows[i]
                    break
                i += 1
        return out


def _shared_buckets(hashes: np.ndarray) -> Iterator[np.ndarray]:
    """The rows (ascending) of each run of equal band hashes that has more than one."""
    if len(hashes) < 2:
        return
    order = np.argsort(hashes, kind="stable")
    starts, ends = _run_bounds(hashes[order])
    for start, end in zip(starts[ends - starts > 1], ends[ends - starts > 1]):
        yield order[start:end]


def _run_bounds(ordered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The starts and ends of the runs of equal values in a sorted, non-empty array."""
    edges = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
    return np.concatenate([[0], edges]), np.concatenate([edges, [len(ordered)]])


class _Candidates:
    """Copy candidates per report and section, in corpus order (report indexes). The pairs stay on disk,
    partitioned by their first row into parts of about ``PAIRS_PER_PART``: pass 2 goes through the reports in
    order and holds one part at a time."""

    def __init__(self, pairs, per_row: np.ndarray, report: np.ndarray, key: np.ndarray, workdir: str):
        self._report, self._key = report, key
        before = np.cumsum(per_row) - per_row                  # pairs of the rows before each row
        part = before // PAIRS_PER_PART
        self._part_rows = np.flatnonzero(np.diff(part, prepend=-1))      # a part's first row
        self._part_at = np.append(before[self._part_rows], per_row.sum())   # its first pair in the file; the end
        self._file = tempfile.TemporaryFile(dir=workdir, prefix="govaudit-parts-")
        self._partition(pairs)
        self._loaded = -1
        self._a = self._b = np.empty(0, dtype=np.int32)

    def _partition(self, pairs) -> None:
        """The pairs file rewritten part after part, read back ``PAIRS_PER_PART`` pairs at a time."""
        filled = self._part_at[:-1].copy()
        pairs.flush()
        pairs.seek(0)
        while chunk := pairs.read(PAIRS_PER_PART * 8):
            found = np.frombuffer(chunk, dtype=np.int32).reshape(-1, 2)
            part = np.searchsorted(self._part_rows, found[:, 0], side="right") - 1
            order = np.argsort(part, kind="stable")
            found, part = found[order], part[order]
            for start, end in zip(*_run_bounds(part)):
                p = part[start]
                os.pwrite(self._file.fileno(), found[start:end].tobytes(), int(filled[p]) * 8)
                filled[p] += end - start
        pairs.close()

    def _load(self, part: int) -> None:
        start, end = self._part_at[part], self._part_at[part + 1]
        found = np.frombuffer(os.pread(self._file.fileno(), int(end - start) * 8, int(start) * 8),
                              dtype=np.int32).reshape(-1, 2)
        order = np.lexsort((found[:, 1], found[:, 0]))
        self._a, self._b = found[order, 0], found[order, 1]
        self._loaded = part

    def of(self, i: int) -> dict[str, list[int]]:
        out = {}
        # Needles of the arrays' own dtype: numpy would otherwise cast the whole array on every call.
        first, last = np.searchsorted(self._report, np.array([i, i + 1], dtype=self._report.dtype))
        for row in range(first, last):         # rows were added in report order
            part = int(np.searchsorted(self._part_rows, row, side="right")) - 1
            if part != self._loaded:
                self._load(part)
            lo, hi = np.searchsorted(self._a, np.array([row, row + 1], dtype=self._a.dtype))
            if hi > lo:
                out[COMPARED[self._key[row]]] = [int(self._report[r]) for r in self._b[lo:hi]]
        return out

    def close(self) -> None:
        self._file.close()


class _NoCandidates:
    def of(self, i: int) -> dict:
        return {}

    def close(self) -> None:
        pass


def check_files(paths, previous=None, **how) -> tuple[Summaries, pd.DataFrame]:
    """Load and check many files out of core: their summaries and findings, all in memory at the end (the
    same findings as ``govaudit.check(govaudit.load_many(paths), previous)``). For a corpus too large to hold
    its findings, read them from :func:`check_run` frame by frame."""
    with check_run(paths, previous, **how) as run:
        frames = list(run.findings())
        findings = pd.concat(frames, ignore_index=True) if frames else checks.finish([])
        return Summaries(list(run.summaries()), run.errors), findings


@contextmanager
def check_run(paths, previous=None, *, select=None, skip=None, settings=None, workers: int | None = None,
              progress: bool = True, client=None, cache_dir=None) -> Iterator[CheckRun]:
    """Check many files out of core; the :class:`CheckRun` is readable inside the ``with`` block.

    The main process never holds a parsed report, nor more than a block of summaries or findings. Pass 1, per
    file on a worker: parse (or take the cache), the rules that read the report alone, a compact summary; the
    parsed report goes to the content cache (``cache_dir``, else a temporary one for this run). Between the
    passes, on the run's numbers: last year's report of each unit, second files renamed, copy candidates by LSH.
    Pass 2, per report on a worker: the cross-year and corpus rules, with the report, last year's and the
    candidates loaded from the cache (exact similarity there). A process pool and a Dask ``client`` run the
    same two passes.
    """
    rules = checks.select_rules(select, skip)
    plan = Plan(tuple(r.id for r in rules), settings or {})
    how = {"workers": workers, "progress": progress, "client": client}
    _large_blocks_from_the_system()
    with _run_cache(cache_dir) as cache_dir, tempfile.TemporaryDirectory(prefix="govaudit-run-") as workdir:
        run = CheckRun(workdir)
        try:
            for _, summary, findings in stream(paths, plan=plan, cache_dir=cache_dir, summaries=True, **how):
                if isinstance(summary, dict):
                    run.errors.append(summary)
                else:
                    run.add(summary, findings)
            run.reports = len(run._summaries)
            _add_previous(run, previous, cache_dir, how)
            _give_back_freed_memory()
            run.distinct_ids()
            _second_pass(run, rules, plan, cache_dir, **how)
            yield run
        finally:
            run.close()


def _add_previous(run: CheckRun, previous, cache_dir: str, how: dict) -> None:
    """Last year's reports given as a directory or files (their unreadable files are left out)."""
    if previous is None:
        return
    if not isinstance(previous, (str, os.PathLike)):
        raise TypeError("check_files: previous is a directory or a file; use govaudit.check for reports in memory")
    for _, s, _ in stream(previous, cache_dir=cache_dir, summaries=True, **{**how, "progress": False}):
        if not isinstance(s, dict):
            run.add(s, None, signed=False)


def _second_pass(run: CheckRun, rules, plan: Plan, cache_dir: str, *, workers, progress, client) -> None:
    """Pass 2 in blocks of ``LINK_BLOCK`` reports; every report's findings finished and spilled in file order."""
    scopes = {r.scope for r in rules}
    last_year = run.last_years() if "cross-year" in scopes else np.full(run.reports, -1)
    copies = run.copy_candidates() if any(r.id == "C-CROSS-UNIT" for r in rules) else _NoCandidates()
    shared = {"unit-names": run.unit_names()} if any(r.id == "C-FOREIGN-NAME" for r in rules) else {}
    _give_back_freed_memory()
    needs_task = (last_year >= 0) | ("corpus" in scopes)
    for i in run.renamed:
        needs_task[i] = True
    bar = _progress(int(needs_task.sum()), progress, "关联核对")
    one = partial(_link, cache_dir=cache_dir, plan=plan)
    with ExitStack() as stack:
        stack.callback(bar.close)
        stack.callback(copies.close)
        stack.callback(_recent.clear)            # run in this process: keep no report after the run
        stack.callback(_recent_sections.clear)
        pool = _Pool()
        stack.callback(pool.close)
        if client is not None:
            [shared_arg] = client.scatter([shared], broadcast=True)
        elif run.reports > 4 and workers != 1:
            shared_arg = _SharedFile.write(cache_dir, shared)
        else:
            shared_arg = shared
        del shared                               # the workers have it (the unit names: as many as the units)
        for start in range(0, run.reports, LINK_BLOCK):
            block = range(start, min(start + LINK_BLOCK, run.reports))
            todo = [i for i in block if needs_task[i]]
            tasks = _tasks(run, todo, last_year, copies)
            if client is not None:
                done = _on_cluster(client, one, tasks, shared=shared_arg)
                bar.update(len(tasks))
            elif len(tasks) <= 4 and not pool.started or workers == 1:
                done = []
                for task in tasks:
                    done.append(one(task, shared=shared_arg))
                    bar.update()
            else:
                done = pool.map(partial(one, shared=shared_arg), tasks,
                                workers or min(run.reports, os.cpu_count() or 1), bar)
            linked = dict(zip(todo, done))
            for i in block:
                extra = linked.get(i, [])
                if isinstance(extra, dict):          # pass 2 failed on it: the output is incomplete, say so
                    run.errors.append(extra)
                    extra = []
                run.finish(i, run.own_findings(i), extra)


def _tasks(run: CheckRun, todo: list[int], last_year: np.ndarray, copies) -> list["Link"]:
    """The pass-2 tasks of a block, with the summaries they name read back from the spill (once each)."""
    read: dict[int, Summary] = {}

    def summary(i: int) -> Summary:
        if i not in read:
            read[i] = run.summary(i)
            read[i].signatures = {}              # pass 2 compares texts, not signatures: ship less
        return read[i]

    def last(i: int) -> Summary | None:
        s, p = summary(i), summary(int(last_year[i])) if last_year[i] >= 0 else None
        if p is not None and (p.year != s.year - 1 or unit_key(p.agency) != unit_key(s.agency)):
            return None                          # two names with one hash: no pair (never seen; 2**-64 a pair)
        return p

    return [Link(summary(i), last(i), {key: [summary(j) for j in others] for key, others in copies.of(i).items()},
                 i in run.renamed)
            for i in todo]


@dataclass(frozen=True)
class Link:
    """Pass 2 for one report: last year's report, same-year candidates for copy per section, and whether
    its report-scope rules must run again (renamed as a second file of its unit)."""
    report: Summary
    previous: Summary | None
    copies: dict[str, list[Summary]]
    recheck: bool


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
        import logging
        logging.getLogger("govaudit").exception("checking %r against the batch failed", str(path))
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


def _give_back_freed_memory() -> None:
    """Return the heap's free pages to the system (glibc keeps them after a phase's many small objects die)."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):       # not glibc
        pass


_M_MMAP_THRESHOLD = -3


def _large_blocks_from_the_system() -> None:
    """Blocks of 128 KiB and more (numpy arrays of a block, a bucket's comparisons) are mapped and unmapped
    by glibc, never cut from the heap: its default raises that threshold after a free, and the heap then
    keeps growing with the corpus although the arrays do not (measured: +13 MiB at 20,000 reports)."""
    try:
        ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, 128 * 1024)
    except (OSError, AttributeError):
        pass


@contextmanager
def _run_cache(cache_dir):
    """The cache directory of a run: the one given, else a temporary one removed at the end."""
    if cache_dir:
        yield str(cache_dir)
        return
    with tempfile.TemporaryDirectory(prefix="govaudit-check-") as tmp:
        yield tmp
