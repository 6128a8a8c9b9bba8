"""The public functions: load, load_many, check."""
from __future__ import annotations

import logging
import os
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Iterable

from . import cache, readers
from .errors import GovauditError, ReadError
from .parse import parse
from .report import Corpus, Report

log = logging.getLogger("govaudit")


def load(path: str | os.PathLike) -> Report:
    """Read and parse one report. Raises :class:`govaudit.ReadError` naming the file and the reason."""
    path = Path(path)
    doc = readers.read(path)
    try:
        report = parse(doc)
    except GovauditError:
        raise
    except Exception as e:  # a parser bug must not crash a batch; say which file
        log.exception("parse failed for %s", path)
        raise ReadError(path, f"解析时出错（{type(e).__name__}: {e}）") from e
    if not report.meta["sections_found"] and not report.meta["tables_found"] and not report.meta.get("not_text"):
        raise ReadError(path, "不是政府信息公开工作年度报告（没有找到任何部分标题或统计表）")
    return report


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


def _load_one(path: Path, cache_dir: str | None = None):
    try:
        if not cache_dir:
            return load(path)
        sha = cache.file_sha256(path) if path.is_file() else ""
        report = cache.get(Path(cache_dir), sha) if sha else None
        if report is None:
            report = load(path)
            cache.put(Path(cache_dir), sha, report)
        else:
            report.meta["source"] = str(path)       # the same bytes may have moved
        return report
    except ReadError as e:
        return {"path": str(path), "reason": e.reason, "message": str(e)}


def load_many(paths, *, workers: int | None = None, progress: bool = True, client=None,
              cache_dir: str | os.PathLike | None = None) -> Corpus:
    """Parse many reports in a process pool, with a progress bar.

    One unreadable file becomes an entry of ``Corpus.errors`` and the batch goes on.
    Pass a ``dask.distributed.Client`` as ``client`` to run the same work on a cluster.
    ``cache_dir``: keep parsed reports there by file sha256; unchanged files are not parsed again.
    """
    files = report_files(paths)
    one = partial(_load_one, cache_dir=str(cache_dir) if cache_dir else None)
    if client is not None:
        futures = client.map(one, files)
        results = client.gather(futures)
    elif len(files) <= 4 or workers == 1:
        results = [one(f) for f in _progress(files, progress)]
    else:
        workers = workers or min(len(files), os.cpu_count() or 1)
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(_progress(pool.map(one, files, chunksize=8), progress, total=len(files)))
    corpus = Corpus()
    for r in results:
        (corpus.errors if isinstance(r, dict) else corpus.reports).append(r)
    return corpus


def _progress(iterable, enabled: bool, total: int | None = None):
    if not enabled:
        return iterable
    from tqdm.auto import tqdm
    return tqdm(iterable, total=total, desc="读取报告", unit="份")
