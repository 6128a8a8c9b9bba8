"""HTML pages (saved report pages, exports): paragraphs and tables in document order.

Layout tables that only hold other tables or the whole page are walked into;
leaf tables become Table blocks whose cells keep rowspan/colspan and their
(table, row, col) position and source line.
"""
from __future__ import annotations

import itertools
import re
from pathlib import Path

import lxml.html
from lxml import etree

from ..document import Cell, Document, Paragraph, Table
from ..errors import ReadError
from ._common import check_file_size, decode, require_file, sha256

SUFFIXES = (".html", ".htm", ".xhtml", ".shtml")
MAX_DEPTH = 256            # levels of tags; libxml2's HTML parser keeps nothing deeper
MB = 1024 * 1024
MAX_FILE_BYTES = 10 * MB   # a report page is 50 KB-3 MB; 10 MB of bare tags parse to ~350 MB
MAX_ELEMENTS = 200_000     # tags, counted before the page is walked (a report page has 2,000-20,000)

_SKIP = {"script", "style", "head", "noscript", "template", "iframe", "object", "svg"}
_BLOCK = {"p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "section",
          "article", "header", "footer", "blockquote", "pre", "hr", "dd", "dt", "dl", "center",
          "tr", "table", "form", "main", "nav", "aside", "body", "html"}
_SPACE = re.compile(r"[ \t\r\n\u00a0\u3000]+")
_START_TAG = re.compile(r"<[A-Za-z]")
_TOO_MANY = f"网页有超过 {MAX_ELEMENTS:,} 个标签，超过上限，未读取（报告网页通常只有几千个）"
_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?\s*([\w-]+)""", re.I)


def read(path: Path) -> Document:
    check_file_size(path, MAX_FILE_BYTES, "网页文件")
    data = require_file(path)
    text = _decode_html(path, data)
    if _count(_START_TAG.finditer(text)) > MAX_ELEMENTS:      # before the tree is built: it costs ~270 B a tag
        raise ReadError(path, _TOO_MANY)
    parser = lxml.html.HTMLParser()       # one per read: its error log tells what the parser dropped
    try:
        root = lxml.html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError) as e:
        raise ReadError(path, f"不是有效的 HTML：{e}") from e
    _check_limits(path, parser.error_log)
    if _count(root.iter()) > MAX_ELEMENTS:
        raise ReadError(path, _TOO_MANY)
    walker = _Walker()
    walker.walk(root)
    walker.flush(None)
    if not any(isinstance(b, Table) or b.text.strip() for b in walker.blocks):
        raise ReadError(path, "网页中没有可读的正文")
    title = _clean(root.findtext(".//title") or "")
    return Document(path=str(path), blocks=walker.blocks, sha256=sha256(data),
                    meta={"page_title": title} if title else {})


def _count(items) -> int:
    return sum(1 for _ in itertools.islice(items, MAX_ELEMENTS + 1))


def _check_limits(path: Path, log) -> None:
    """libxml2 drops what lies deeper than MAX_DEPTH levels of tags, and a text or attribute over 10 MB:
    say so, rather than read a page without the text it hid (or report it as having none)."""
    for entry in log:
        if entry.type_name == "ERR_RESOURCE_LIMIT":
            if "depth" in entry.message.lower():
                raise ReadError(path, f"网页的标签嵌套超过 {MAX_DEPTH} 层（第 {entry.line} 行起），"
                                      "超出部分无法读取；请用浏览器另存或复制正文为文本")
            what = "一段文字或一个属性超过 10 MB" if "buffer" in entry.message.lower() else entry.message.strip()
            raise ReadError(path, f"网页超出 HTML 解析器的限制（第 {entry.line} 行：{what}），该处内容无法读取")


def _decode_html(path: Path, data: bytes) -> str:
    declared = _CHARSET.search(data[:4096])
    if declared and declared.group(1).lower() in (b"gbk", b"gb2312", b"gb18030"):
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            pass
    return decode(path, data)


def _clean(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _is_layout_table(table) -> bool:
    """A table that holds other tables is a page-layout container, not a data table."""
    return any(True for _ in table.iterdescendants("table"))


class _Walker:
    def __init__(self):
        self.blocks: list = []
        self.buffer: list[str] = []
        self.buffer_line: int | None = None
        self.tables = 0

    def flush(self, line):
        text = _clean("".join(self.buffer))
        if text:
            self.blocks.append(Paragraph(text, source={"line": self.buffer_line}))
        self.buffer, self.buffer_line = [], None

    def add_text(self, text: str | None, line):
        if text:
            if self.buffer_line is None and text.strip():
                self.buffer_line = line
            self.buffer.append(text)

    def walk(self, el):
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _SKIP or not tag:
            self.add_text(el.tail if tag or isinstance(el, etree._Comment) else None, el.sourceline)
            return
        if tag == "table" and not _is_layout_table(el):
            self.flush(el.sourceline)
            self.blocks.append(self._table(el))
            self.add_text(el.tail, el.sourceline)
            return
        block = tag in _BLOCK or tag in ("td", "th")
        if block:
            self.flush(el.sourceline)
        self.add_text(el.text, el.sourceline)
        for child in el:
            self.walk(child)
        if block:
            self.flush(el.sourceline)
        self.add_text(el.tail, el.sourceline)

    def _table(self, table) -> Table:
        self.tables += 1
        n = self.tables
        rows = []
        for r, tr in enumerate(table.iter("tr")):
            cells = []
            for c, td in enumerate(tr.iterchildren("td", "th")):
                cells.append(Cell(_clean(td.text_content()),
                                  rowspan=_span(td.get("rowspan")), colspan=_span(td.get("colspan")),
                                  source={"table": n, "row": r, "col": c, "line": td.sourceline}))
            if cells:
                rows.append(cells)
        return Table(rows=rows, source={"table": n, "line": table.sourceline})


def _span(value) -> int:
    try:
        return max(1, int(str(value).strip()))
    except (TypeError, ValueError):
        return 1
