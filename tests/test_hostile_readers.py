"""Hostile files: decompression bombs, oversized and over-nested pages, encrypted PDFs, a stuck converter.

Every input is built here (zipfile, qpdf, generated HTML); nothing large is stored in the repository.
Each limit is refused with a ReadError that names the file and the limit, before the memory is spent.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

import govaudit
from conftest import FIXTURES, SEEDS
from govaudit.readers import docx as docx_reader
from wordmaker import CONTENT_TYPES, PACKAGE_RELS, W

IMAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId5" Target="media/image1.png" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"/>'
    '</Relationships>')
HEAD = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{W}"><w:body>'
TAIL = "</w:body></w:document>"
REPORT_BODY = "".join(f"<w:p><w:r><w:t>{h}</w:t></w:r></w:p>" for h in (
    "一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况"))

needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
needs_qpdf = pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf is not installed (make apt-test)")

MiB = 1024 * 1024


def word_zip(path: Path, body: str = REPORT_BODY, *, repeat: bytes = b"", times: int = 0,
             extra: dict[str, bytes] | None = None, image_mib: int = 0) -> Path:
    """A .docx whose document.xml is ``body`` followed by ``repeat`` × ``times`` (streamed into the zip,
    so a bomb of hundreds of MB never exists in memory or on disk)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", PACKAGE_RELS)
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            f.write((HEAD + body).encode())
            per_chunk = max(1, MiB // max(1, len(repeat)))
            for start in range(0, times, per_chunk):
                f.write(repeat * min(per_chunk, times - start))
            f.write(TAIL.encode())
        if image_mib:
            z.writestr("word/_rels/document.xml.rels", IMAGE_RELS)
            with z.open("word/media/image1.png", "w", force_zip64=True) as f:
                zeros = bytes(MiB)
                for _ in range(image_mib):
                    f.write(zeros)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return path


def load_error(path: Path) -> str:
    with pytest.raises(govaudit.ReadError) as e:
        govaudit.load(path)
    message = str(e.value)
    assert str(path) in message
    return message


# --- DOCX: decompression bombs ----------------------------------------------------------

CHILD = r"""
import json, resource, sys, time
import govaudit

def peak_kib():  # this process image's own high-water mark (ru_maxrss keeps the parent's across fork+exec)
    try:
        return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

t = time.perf_counter()
try:
    govaudit.load(sys.argv[1])
    error = None
except govaudit.GovauditError as e:
    error = str(e)
print(json.dumps({"error": error, "seconds": time.perf_counter() - t, "peak_mib": peak_kib() / 1024}))
"""


def load_in_child(path: Path, memory_cap_mib: int = 1536) -> dict:
    """govaudit.load in a fresh interpreter capped at ``memory_cap_mib`` of address space: its own peak
    memory, untouched by this test process (a bomb that got through would die there, not here)."""
    out = subprocess.run(["/bin/sh", "-c", f'ulimit -v {memory_cap_mib * 1024} && exec "$@"', "sh",
                          sys.executable, "-c", CHILD, str(path)],
                         capture_output=True, text=True, timeout=300, cwd=Path(__file__).parent)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_docx_zip_bomb_is_refused_before_it_is_unpacked(tmp_path):
    # ~310 KB on disk, 205 MB of <w:p/> inside: 4.5 GB of memory and 2 minutes before the limits
    bomb = word_zip(tmp_path / "bomb.docx", repeat=b"<w:p/>", times=205 * MiB // 6)
    assert bomb.stat().st_size < 400 * 1024
    result = load_in_child(bomb)
    assert result["error"] is not None and "bomb.docx" in result["error"]
    assert "XML 解压后共 205 MB" in result["error"] and "上限 16 MB" in result["error"]
    assert "压缩炸弹" in result["error"]
    assert result["peak_mib"] < 250, result          # importing govaudit alone takes ~80 MB


def test_docx_with_an_image_that_unpacks_past_the_limit(tmp_path):
    path = word_zip(tmp_path / "image.docx", image_mib=129)           # 129 MB of zeros: a 130 KB file
    message = load_error(path)
    assert "解压后共 129 MB" in message and "上限 128 MB" in message


def test_docx_with_too_many_parts(tmp_path):
    parts = {f"customXml/item{i}.bin": b"" for i in range(10_000)}
    message = load_error(word_zip(tmp_path / "parts.docx", extra=parts))
    assert "10,003 个部件" in message and "上限 10,000" in message


def test_docx_whose_zip_directory_alone_is_too_big(tmp_path):
    # 2,500 entries with 1,000-character names: a 2.6 MB directory that zipfile would read whole
    parts = {f"customXml/{'x' * 990}{i:05d}": b"" for i in range(2_500)}
    message = load_error(word_zip(tmp_path / "directory.docx", extra=parts))
    assert "部件目录" in message and "上限 2 MB" in message


def test_word_file_over_the_size_limit_is_not_read_into_memory(tmp_path):
    path = tmp_path / "huge.docx"
    with open(path, "wb") as f:                      # sparse: no disk, no write time
        f.truncate(100 * MiB + 1)
    message = load_error(path)
    assert f"文件大小 {100 * 2**20 + 1:,} 字节" in message and "上限 100 MB" in message


def test_converted_doc_is_checked_like_a_docx(tmp_path, monkeypatch):
    """What LibreOffice writes goes through the same limits, and the message names the .doc."""
    doc = tmp_path / "report.doc"
    doc.write_bytes(b"\xd0\xcf\x11\xe0 an OLE file as far as this test is concerned")
    parts = {f"customXml/item{i}.bin": b"" for i in range(10_000)}
    converted = word_zip(tmp_path / "converted.docx", extra=parts)
    monkeypatch.setattr(docx_reader, "_convert", lambda path, outdir: converted)
    message = load_error(doc)
    assert "report.doc" in message and "个部件" in message


def test_renamed_zip_bomb_never_reaches_libreoffice(tmp_path, monkeypatch):
    """LibreOffice opens a zip under any name: a .doc that is a bomb is refused before conversion."""
    def convert(path, outdir):
        raise AssertionError("LibreOffice was asked to convert a zip bomb")
    monkeypatch.setattr(docx_reader, "_convert", convert)
    bomb = word_zip(tmp_path / "bomb.doc", repeat=b"<w:p/>", times=64 * MiB // 6)
    message = load_error(bomb)
    assert "XML 解压后共 64 MB" in message and "压缩炸弹" in message


def _processes_naming(text: str) -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if text.encode() in cmdline:
                found.append(int(pid))
    return found


@needs_soffice
@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")
def test_libreoffice_timeout_ends_the_whole_converter(tmp_path, monkeypatch):
    """soffice is a launcher: on a timeout soffice.bin must end too, not run on without a parent."""
    doc = tmp_path / "slow.doc"
    doc.write_text(r"{\rtf1\ansi Annual report\par}", encoding="ascii")
    monkeypatch.setattr(docx_reader, "CONVERT_TIMEOUT", 0.4)      # a cold LibreOffice takes ~1 s
    try:
        message = load_error(doc)
        deadline = time.monotonic() + 1      # SIGKILL is prompt; a live orphan runs on for seconds
        while _processes_naming(str(doc)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _processes_naming(str(doc)) == [], "soffice.bin outlived the timeout"
        assert "LibreOffice 在 0.4 秒内没有转换完" in message
    finally:
        for pid in _processes_naming(str(doc)):      # what this test started, should it have survived
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass


def _nested_tables(depth: int, cells: int) -> str:
    inner = "<w:tbl><w:tr>" + "<w:tc><w:p><w:r><w:t>1</w:t></w:r></w:p></w:tc>" * cells + "</w:tr></w:tbl>"
    for _ in range(depth):
        inner = f"<w:tbl><w:tr><w:tc>{inner}<w:p/></w:tc></w:tr></w:tbl>"
    return inner


def test_nested_layout_tables_are_walked_once_per_level(tmp_path):
    """A layout table's cells were found by scanning every cell below it, at every level of nesting:
    80 levels over 10,000 cells took ~10x as long as the same cells in one table."""
    flat = word_zip(tmp_path / "flat.docx", REPORT_BODY + _nested_tables(0, 10_000))
    deep = word_zip(tmp_path / "deep.docx", REPORT_BODY + _nested_tables(80, 10_000))

    def seconds(path):
        best = float("inf")
        for _ in range(2):
            t = time.perf_counter()
            doc = docx_reader.read(path)
            best = min(best, time.perf_counter() - t)
        assert len(doc.blocks[-1].rows[0]) == 10_000
        return best

    assert seconds(deep) < 3 * seconds(flat)


# --- HTML: nesting and size ---------------------------------------------------------------

def test_html_cell_spanning_a_billion_columns_and_rows_costs_nothing(tmp_path):
    """A table's grid is worked out to align blank value cells: spans of 10^9 once meant 10^9 steps
    (and a dict of 10^9 columns), past any memory cap."""
    huge = 'colspan="1000000000" rowspan="1000000000"'
    page = ("<html><body><h1>某县2024年政府信息公开工作年度报告</h1><p>三、收到和处理政府信息公开申请情况</p><table>"
            f"<tr><td {huge}>本年度办理结果</td><td>1</td></tr>" + "<tr><td>二、上年结转政府信息公开申请数量</td>"
            + "<td>0</td>" * 7 + "</tr></table></body></html>")
    path = tmp_path / "spans.html"
    path.write_text(page, encoding="utf-8")
    assert load_in_child(path, memory_cap_mib=1024)["error"] is None


def test_html_nested_100000_levels_says_so(tmp_path):
    n = 100_000
    path = tmp_path / "deep.html"
    path.write_text("<html><body>" + "<div>" * n + "一、总体情况 2024年" + "</div>" * n + "</body></html>",
                    encoding="utf-8")
    message = load_error(path)
    assert "标签嵌套超过 256 层" in message
    assert "没有可读的正文" not in message


def test_html_text_deeper_than_the_parser_keeps_is_not_dropped_silently(tmp_path):
    """A readable page whose one table lies 300 tags deep: the parser would drop it without a word."""
    report = (SEEDS / "qufu-shizhuang-street-2024.txt").read_text(encoding="utf-8")
    head = "".join(f"<p>{line}</p>" for line in report.splitlines()[:20])
    path = tmp_path / "page.html"
    path.write_text(f"<html><body>{head}" + "<div>" * 300 + "<table><tr><td>规章</td><td>5</td></tr></table>"
                    + "</div>" * 300 + "</body></html>", encoding="utf-8")
    assert "嵌套超过" in load_error(path)


def test_html_text_longer_than_the_parser_keeps_is_not_dropped_silently(tmp_path):
    path = tmp_path / "long.html"
    page = ('<html><head><meta charset="gbk"></head><body><p>一、总体情况</p><p>'
            + "公开" * 1_700_000 + "</p></body></html>")        # 6.8 MB in GBK, 10.2 MB as UTF-8
    path.write_bytes(page.encode("gb18030"))
    message = load_error(path)
    assert "HTML 解析器的限制" in message and "10 MB" in message


def test_html_over_the_size_limit_is_refused_unread(tmp_path):
    path = tmp_path / "big.html"
    with open(path, "wb") as f:
        f.write(b"<html><body><p>")
        f.truncate(10 * MiB + 1)
    message = load_error(path)
    assert f"网页文件大小 {10 * 2**20 + 1:,} 字节" in message and "上限 10 MB" in message


def test_html_with_too_many_tags_is_refused_before_it_is_walked(tmp_path):
    path = tmp_path / "tags.html"
    path.write_text("<html><body><p>一、总体情况</p>" + "<br>" * 200_001
                    + "</body></html>", encoding="utf-8")
    message = load_error(path)
    assert "超过 200,000 个标签" in message


# --- PDF: encrypted is not broken ---------------------------------------------------------

@needs_qpdf
def test_encrypted_pdf_is_reported_as_encrypted_not_broken(tmp_path):
    plain = FIXTURES / "real" / "hongze-district-2023.pdf"
    locked = tmp_path / "locked.pdf"
    subprocess.run(["qpdf", "--encrypt", "user-secret", "owner-secret", "256", "--", str(plain), str(locked)],
                   check=True, capture_output=True)
    message = load_error(locked)
    assert "加密" in message and "需要打开密码" in message
    assert "损坏" not in message
