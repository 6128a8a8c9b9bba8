"""One file read and parsed: ``load(path) -> Report`` (readers, then the parser), every failure a ReadError."""
from __future__ import annotations

import logging
import os
from pathlib import Path

from . import readers
from .errors import NO_MEMORY, GovauditError, ReadError
from .parse import parse
from .readers._common import os_reason
from .report import Report

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
