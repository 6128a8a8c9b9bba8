"""Word: .docx with python-docx; .doc and .wps converted to .docx by LibreOffice first.

The body is walked in document order. A table cell is emitted once, in the row where
it starts: horizontal spans (gridSpan) and vertical merges (vMerge) become colspan and
rowspan, exactly as an HTML table, so a merged "三、本年度办理结果" label does not repeat.
A table that holds other tables is layout and is walked into. Deleted text of tracked
changes, bookmarks and images are ignored.

Limits: a Word file is checked from its zip directory before anything is unpacked or parsed, and
refused with a ReadError naming the limit (a 300 KB "zip bomb" would otherwise expand to 200 MB of XML
and 4.5 GB of memory). Python's zipfile never returns more than a member's declared size (a member
that inflates past it fails its CRC check), so the declared sizes bound what python-docx unpacks.
A .doc/.wps is checked the same way before LibreOffice sees it (LibreOffice opens a zip under any
name), and LibreOffice runs with a time limit and a cap on its address space.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import zipfile
from pathlib import Path

from ..document import Cell, Document, Paragraph, Table
from ..errors import ReadError
from ._common import check_file_size, require_file, sha256, size_text

SUFFIXES = (".docx", ".doc", ".wps")
CONVERT_TIMEOUT = 120      # s; LibreOffice on a long report with images

MB = 1024 * 1024
MAX_FILE_BYTES = 100 * MB       # the .docx/.doc/.wps file itself
MAX_UNPACKED_BYTES = 128 * MB   # all zip members together, uncompressed (images included)
MAX_XML_BYTES = 16 * MB         # all XML parts together, uncompressed: parsed, XML takes up to ~25x its size
MAX_MEMBERS = 10_000            # parts in the zip (a real report has 15-100)
MAX_DIRECTORY_BYTES = 2 * MB    # the zip's central directory, checked before zipfile reads it
CONVERT_MEMORY = 2048 * MB      # address space LibreOffice may use (a real report needs ~250 MB resident)

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def read(path: Path) -> Document:
    check_file_size(path, MAX_FILE_BYTES, "Word 文件")
    data = require_file(path)
    if path.suffix.lower() in (".doc", ".wps"):
        check_zip(path, path)      # a .docx (or .odt) renamed: LibreOffice would unpack it unchecked
        with tempfile.TemporaryDirectory(prefix="govaudit-") as tmp:
            converted = _convert(path, Path(tmp))
            doc = _read_docx(path, converted)
    else:
        doc = _read_docx(path, path)
    doc.sha256 = sha256(data)
    return doc


def check_zip(path: Path, zip_path: Path) -> None:
    """Refuse a Word file whose zip would unpack past the limits, before anything is unpacked.

    ``path`` is the file named in the message; ``zip_path`` the zip checked (a converted .doc's output).
    A file that is not a zip at all is left to the reader's own error.
    """
    try:
        with open(zip_path, "rb") as f:
            end = zipfile._EndRecData(f) if hasattr(zipfile, "_EndRecData") else None
    except Exception:  # zipfile's own reading of the end record; what it cannot read, ZipFile refuses below
        end = None
    if end and end[zipfile._ECD_SIZE] > MAX_DIRECTORY_BYTES:
        raise ReadError(path, f"Word 文件的部件目录有 {size_text(end[zipfile._ECD_SIZE])}，超过上限 "
                              f"{size_text(MAX_DIRECTORY_BYTES)}（部件过多），未读取")
    try:
        with zipfile.ZipFile(zip_path) as z:
            members = z.infolist()
    except Exception:  # not a zip, or a broken one (NotImplementedError for a garbled version field):
        return         # python-docx fails on it the same way, and the reader says so
    if len(members) > MAX_MEMBERS:
        raise ReadError(path, f"Word 文件包含 {len(members):,} 个部件，超过上限 {MAX_MEMBERS:,}，未读取")
    unpacked = sum(m.file_size for m in members)
    xml = sum(m.file_size for m in members if m.filename.lower().endswith((".xml", ".rels")))
    if xml > MAX_XML_BYTES:
        raise ReadError(path, f"Word 文件中的 XML 解压后共 {size_text(xml)}，超过上限 {size_text(MAX_XML_BYTES)}"
                              f"（压缩包只有 {size_text(zip_path.stat().st_size)}，可能是“压缩炸弹”），未读取")
    if unpacked > MAX_UNPACKED_BYTES:
        raise ReadError(path, f"Word 文件解压后共 {size_text(unpacked)}，超过上限 {size_text(MAX_UNPACKED_BYTES)}"
                              f"（压缩包只有 {size_text(zip_path.stat().st_size)}，可能是“压缩炸弹”），未读取")


def _end_group(proc: subprocess.Popen) -> None:
    """Kill the converter's process group (the launcher and soffice.bin) and reap the launcher.

    Only called before the launcher is reaped: until then its pid, the group's id, cannot be reused.
    """
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.communicate()


def _convert(path: Path, outdir: Path) -> Path:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise ReadError(path, f"读取 {path.suffix} 文件需要 LibreOffice（Debian：apt-get install libreoffice-writer-nogui），"
                              "或先在 Word/WPS 中另存为 .docx")
    # a private profile: a second LibreOffice (or the user's) must not block this one. Its own session,
    # so that a timeout ends soffice.bin too (soffice is a launcher whose child does the work); an
    # absolute path, so that a file named "-x.doc" is never read as an option. The memory cap is set by
    # the shell's ulimit, not a preexec_fn (unsafe in a process that runs threads, such as tabula's JVM).
    profile = (outdir / "profile").as_uri()
    proc = subprocess.Popen(["/bin/sh", "-c", f'ulimit -v {CONVERT_MEMORY // 1024} && exec "$@"', "soffice",
                             soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "docx",
                             "--outdir", str(outdir), str(path.absolute())],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        proc.communicate(timeout=CONVERT_TIMEOUT)
    except subprocess.TimeoutExpired as e:
        _end_group(proc)
        raise ReadError(path, f"LibreOffice 在 {CONVERT_TIMEOUT} 秒内没有转换完该文件，未读取") from e
    except BaseException:           # interrupted: soffice.bin must not outlive us
        _end_group(proc)
        raise
    if proc.returncode != 0:
        raise ReadError(path, f"LibreOffice 无法转换该文件（退出码 {proc.returncode}；文件可能已损坏，"
                              f"或转换超出 {size_text(CONVERT_MEMORY)} 内存上限）")
    out = outdir / (path.stem + ".docx")
    if not out.exists():
        raise ReadError(path, "LibreOffice 没有生成 .docx（文件可能已损坏）")
    return out


def _read_docx(path: Path, docx_path: Path) -> Document:
    import docx
    check_zip(path, docx_path)
    try:
        body = docx.Document(str(docx_path)).element.body
    except Exception as e:  # not a zip, no word/document.xml, broken XML
        raise ReadError(path, f"不是有效的 Word 文档（{type(e).__name__}）") from e
    walker = _Walker()
    walker.walk(body)
    return Document(path=str(path), blocks=walker.blocks)


class _Walker:
    def __init__(self):
        self.blocks: list = []
        self.paragraphs = 0
        self.tables = 0

    def walk(self, parent) -> None:
        for el in parent.iterchildren():
            if el.tag == _W + "p":
                self.paragraph(el)
            elif el.tag == _W + "tbl":
                if any(True for _ in el.iter(_W + "tc") if _nested_table(_)):
                    for row in el.iterchildren():    # the table's own cells only: each level is walked once
                        for tc in row.iterchildren(_W + "tc"):
                            self.walk(tc)
                else:
                    self.table(el)
            elif el.tag in (_W + "sdt", _W + "sdtContent", _W + "customXml"):
                self.walk(el)

    def paragraph(self, p) -> None:
        self.paragraphs += 1
        text = _text(p)
        source = {"paragraph": self.paragraphs}
        parts = text.split("\t")
        if sum(1 for s in parts if s.strip()) >= 2:     # a table typed with tab stops
            self.blocks.append(Table(rows=[[Cell(s.strip(), source={**source, "col": i})
                                            for i, s in enumerate(parts)]], source=source))
        elif text.strip():
            self.blocks.append(Paragraph(text, source=source))

    def table(self, tbl) -> None:
        index = self.tables
        self.tables += 1
        rows: list[list[Cell]] = []
        open_cells: dict[int, Cell] = {}      # grid column -> the cell a vertical merge continues
        for r, tr in enumerate(tbl.iterchildren(_W + "tr")):
            row, col = [], _grid_before(tr)
            for tc in tr.iterchildren(_W + "tc"):
                span = _int_prop(tc, "gridSpan", 1)
                merge = _vmerge(tc)
                if merge == "continue" and col in open_cells:
                    open_cells[col].rowspan += 1
                else:
                    cell = Cell(_cell_text(tc), colspan=span,
                                source={"table": index, "row": r, "col": len(row)})
                    row.append(cell)
                    if merge == "restart":
                        open_cells[col] = cell
                    else:
                        open_cells.pop(col, None)
                col += span
            rows.append(row)
        self.blocks.append(Table(rows=rows, source={"table": index}))


def _nested_table(tc) -> bool:
    return any(child.tag == _W + "tbl" for child in tc.iterchildren())


def _text(p) -> str:
    """Visible text of a paragraph: w:t runs (also inside insertions and hyperlinks), tabs and breaks."""
    out = []
    for el in p.iter(_W + "t", _W + "tab", _W + "br", _W + "cr"):
        if el.tag == _W + "t":
            out.append(el.text or "")
        elif el.tag == _W + "tab" and el.getparent().tag == _W + "r":
            out.append("\t")
        elif el.tag in (_W + "br", _W + "cr"):
            out.append("\n")
    return "".join(out)


def _cell_text(tc) -> str:
    # a label wrapped by hand over several paragraphs is one label
    return "".join(_text(p).replace("\n", "").replace("\t", " ") for p in tc.iter(_W + "p")).strip()


def _int_prop(tc, name: str, default: int) -> int:
    el = tc.find(f"{_W}tcPr/{_W}{name}")
    try:
        return int(el.get(_W + "val")) if el is not None else default
    except (TypeError, ValueError):
        return default


def _vmerge(tc) -> str:
    el = tc.find(f"{_W}tcPr/{_W}vMerge")
    if el is None:
        return ""
    return "restart" if el.get(_W + "val") == "restart" else "continue"


def _grid_before(tr) -> int:
    el = tr.find(f"{_W}trPr/{_W}gridBefore")
    try:
        return int(el.get(_W + "val")) if el is not None else 0
    except (TypeError, ValueError):
        return 0
