"""The public functions: load, load_many, iter_load (check is in checks)."""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Iterator

from . import batch, readers
from .errors import NO_MEMORY, GovauditError, ReadError
from .parse import parse
from .readers._common import os_reason
from .report import Corpus, Report

log = logging.getLogger("govaudit")


def load(path: str | os.PathLike) -> Report:
    """Read and parse one report. Raises :class:`govaudit.ReadError` naming the file and the reason."""
    path = Path(path)
    out_of_memory = False
    try:
        doc = readers.read(path)
    except GovauditError:
        raise
    except MemoryError:
        out_of_memory = True        # raised below, once what the reader built (held by the traceback) is freed
    except OSError as e:
        raise ReadError(path, os_reason(e)) from e
    except Exception as e:  # a reader bug must not crash a batch either
        log.exception("reading failed for %r", str(path))
        raise ReadError(path, f"读取时出错（{type(e).__name__}: {e}）") from e
    if out_of_memory:
        raise ReadError(path, NO_MEMORY)
    try:
        report = parse(doc)
    except GovauditError:
        raise
    except MemoryError:
        out_of_memory = True        # as above: the half-built report is freed first
    except Exception as e:  # a parser bug must not crash a batch; say which file
        log.exception("parse failed for %r", str(path))
        raise ReadError(path, f"解析时出错（{type(e).__name__}: {e}）") from e
    if out_of_memory:
        del doc
        raise ReadError(path, NO_MEMORY)
    if not report.meta["sections_found"] and not report.meta["tables_found"] and not report.meta.get("not_text"):
        raise ReadError(path, "不是政府信息公开工作年度报告（没有找到任何部分标题或统计表）")
    return report


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
