"""The public functions: load, load_many, iter_load and check.

The top of the one-way flow below the UI and CLI: it wires the reader and parser (``reading``), the rule
runner (``checks``) and the engine that runs many files (``batch``); none of those imports this module.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Iterator

import pandas as pd

from . import batch, checks
from .reading import load
from .report import Corpus, Report

log = logging.getLogger("govaudit")


def load_many(paths, *, workers: int | None = None, progress: bool = True, client=None,
              cache_dir: str | os.PathLike | None = None) -> Corpus:
    """Parse many reports in a process pool, with a progress bar.

    One unreadable file becomes an entry of ``Corpus.errors`` and the batch goes on.
    Pass a ``dask.distributed.Client`` as ``client`` to run the same work on a cluster.
    ``cache_dir``: keep parsed reports there by file sha256; unchanged files are not parsed again.
    """
    corpus, _ = batch.run(paths, workers=workers, progress=progress, client=client, cache_dir=cache_dir)
    return corpus


def iter_load(paths, *, errors: list | None = None, workers: int | None = None, progress: bool = True,
              client=None, cache_dir: str | os.PathLike | None = None) -> Iterator[Report]:
    """Yield the reports one at a time, in file order, without holding the corpus in memory.

    The same work as :func:`load_many`, for a corpus larger than memory (tidy cells of a
    whole province, say). An unreadable file is logged and, when ``errors`` is a list,
    appended to it as a ``Corpus.errors`` record.
    """
    for _, report, _ in batch.stream(paths, workers=workers, progress=progress, client=client, cache_dir=cache_dir):
        if isinstance(report, dict):
            log.warning("%s", report["message"])
            if errors is not None:
                errors.append(report)
            continue
        yield report


def check(obj, previous=None, *, select=None, skip=None, settings=None) -> pd.DataFrame:
    """Findings of a Report or Corpus as a DataFrame with DESIGN.md's finding columns.

    ``previous``: last year's reports (a Report, a Corpus, or a directory) to pair by agency;
    inside a corpus, last year's report of the same agency is paired automatically.
    ``select``/``skip``: rule ids or glob patterns ("T3-*").
    """
    if isinstance(previous, (str, Path)):
        previous = load_many(previous, progress=False)
    return checks.check(obj, previous, select=select, skip=skip, settings=settings)


__all__ = ["load", "load_many", "iter_load", "check"]
