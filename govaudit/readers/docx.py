"""Word: .docx with python-docx; .doc and .wps converted to .docx by LibreOffice first.

The body is walked in document order. A table cell is emitted once, in the row where
it starts: horizontal spans (gridSpan) and vertical merges (vMerge) become colspan and
rowspan, exactly as an HTML table, so a merged "三、本年度办理结果" label does not repeat.
A table that holds other tables is layout and is walked into. Deleted text of tracked
changes, bookmarks and images are ignored.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from ..document import Cell, Document, Paragraph, Table
from ..errors import ReadError
from ._common import require_file, sha256

SUFFIXES = (".docx", ".doc", ".wps")
CONVERT_TIMEOUT = 120      # s; LibreOffice on a long report with images

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def read(path: Path) -> Document:
    data = require_file(path)
    if path.suffix.lower() in (".doc", ".wps"):
        with tempfile.TemporaryDirectory(prefix="govaudit-") as tmp:
            converted = _convert(path, Path(tmp))
            doc = _read_docx(path, converted)
    else:
        doc = _read_docx(path, path)
    doc.sha256 = sha256(data)
    return doc


def _convert(path: Path, outdir: Path) -> Path:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise ReadError(path, f"读取 {path.suffix} 文件需要 LibreOffice（Debian：apt-get install libreoffice-writer-nogui），"
                              "或先在 Word/WPS 中另存为 .docx")
    # a private profile: a second LibreOffice (or the user's) must not block this one
    profile = (outdir / "profile").as_uri()
    try:
        subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "docx",
                        "--outdir", str(outdir), str(path)],
                       check=True, capture_output=True, timeout=CONVERT_TIMEOUT)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
        raise ReadError(path, f"LibreOffice 无法转换该文件（{type(e).__name__}）") from e
    out = outdir / (path.stem + ".docx")
    if not out.exists():
        raise ReadError(path, "LibreOffice 没有生成 .docx（文件可能已损坏）")
    return out


def _read_docx(path: Path, docx_path: Path) -> Document:
    import docx
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
                    for tc in el.iter(_W + "tc"):
                        if tc.getparent().getparent() is el:
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
