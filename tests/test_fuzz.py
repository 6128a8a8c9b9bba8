"""Fuzzing the readers (hypothesis): text, HTML and Word files built from report fragments, mutated real
reports and raw bytes. Reading and parsing may only raise govaudit's own errors (GovauditError and its
subclasses, ReadError above all), and no file may take more than MEMORY_LIMIT_MIB of memory while it is read.

The readers and the parser are called directly, not through ``govaudit.load``: load turns any exception
into a ReadError so that one bad file cannot end a batch, and the fuzzer must see past that net.

``make test`` runs FUZZ_EXAMPLES examples per reader (2,000 by default); ``make fuzz`` runs many more
(``GOVAUDIT_FUZZ_EXAMPLES``). A failure prints the smallest input hypothesis found and a
``@reproduce_failure`` line to replay it.
"""
from __future__ import annotations

import io
import os
import resource
import tempfile
import warnings
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import SEEDS
from wordmaker import CONTENT_TYPES, PACKAGE_RELS, W
from govaudit import readers
from govaudit.errors import GovauditError
from govaudit.parse import parse

FUZZ_EXAMPLES = int(os.environ.get("GOVAUDIT_FUZZ_EXAMPLES", "2000"))
MEMORY_LIMIT_MIB = 256          # growth of peak memory while one (small) generated file is read

FUZZ = settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.large_base_example])

SAMPLE_TEXTS = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]


# --- memory: the peak while one file is read ------------------------------------------------

def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def _can_reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        _status_kib("VmHWM")
        return True
    except (OSError, LookupError):
        return False


RESET_PEAK = _can_reset_peak()


class PeakMemory:
    """Peak resident memory gained inside the block, in MiB. On Linux the kernel's high-water mark is
    reset first (clear_refs 5), so each file is measured alone; elsewhere the process's lifetime peak
    can only rise, which still catches any file that takes more than the limit over the peak so far."""

    def __enter__(self):
        if RESET_PEAK:
            Path("/proc/self/clear_refs").write_text("5")
            self.start = _status_kib("VmRSS")
        else:
            self.start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return self

    def __exit__(self, *exc):
        peak = _status_kib("VmHWM") if RESET_PEAK else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.mib = (peak - self.start) / 1024
        return False


@pytest.fixture(scope="module")
def workdir():
    with tempfile.TemporaryDirectory(prefix="govaudit-fuzz-") as d:
        yield Path(d)


def read_and_parse(path: Path, data: bytes) -> None:
    """Only govaudit's own errors may escape; memory stays bounded."""
    path.write_bytes(data)
    with warnings.catch_warnings(), PeakMemory() as memory:
        warnings.simplefilter("ignore")
        try:
            report = parse(readers.read(path))
            event("parsed, with tables" if report.meta["tables_found"] else "parsed, no table")
        except GovauditError as e:
            event(f"{type(e).__name__}: {getattr(e, 'reason', str(e))[:12]}")
    assert memory.mib < MEMORY_LIMIT_MIB, f"reading took {memory.mib:.0f} MiB more memory"


# --- building blocks: what reports are made of -----------------------------------------------

FRAGMENTS = [
    "一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项",
    "第二十条第（一）项", "信息内容", "本年制发件数", "本年废止件数", "现行有效件数", "规章", "行政规范性文件",
    "行政许可", "行政处罚", "行政强制", "行政事业性收费", "本年处理决定数量", "（单位：条）",
    "申请人情况", "自然人", "法人或其他组织", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计",
    "一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量", "三、本年度办理结果",
    "（一）予以公开", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "（三）不予公开",
    "1.属于国家秘密", "（四）无法提供", "1.本机关不掌握相关政府信息", "（五）不予处理", "（六）其他处理",
    "（七）总计", "四、结转下年度继续办理", "行政复议", "行政诉讼", "结果维持", "结果纠正", "其他结果",
    "尚未审结", "未经复议直接起诉", "复议后起诉", "曲阜市时庄街道办事处", "2024年", "2023年度", "本机关",
    "共收到", "件", "条", "予以公开及部分公开", "未发生", "国办公开办函〔2021〕30号", "（2019）60号",
    "0", "1", "12", "303", "0000000", "4119", "/", "—", "－", "无", "-", "NA", "０", "１２", "十", "百分之",
    "\t", " ", "  ", "\u3000", "\u00a0", "|", "|---|---|", "：", "，", "。", "\n", "\r\n", "\r",
    "\ufeff", "\ufffd", "\u200b", "\u202e", "\x00", "\x0c", "𠀀", "<", ">", "&amp;", "&#x4e00;", "]]>",
]

fragment = st.one_of(st.sampled_from(FRAGMENTS),
                     st.integers(min_value=0, max_value=10 ** 40).map(str),
                     st.text(max_size=8))
line = st.lists(fragment, max_size=12).map("".join)


@st.composite
def mutated_sample(draw, max_chars: int = 3000) -> str:
    """A slice of a real report with random edits: cut, repeated, fragments dropped in."""
    text = draw(st.sampled_from(SAMPLE_TEXTS))
    start = draw(st.integers(0, max(0, len(text) - 1)))
    length = draw(st.integers(0, max_chars))
    piece = text[start:start + length]
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(piece)))
        kind = draw(st.sampled_from(["insert", "delete", "repeat"]))
        if kind == "insert":
            piece = piece[:at] + draw(fragment) + piece[at:]
        elif kind == "delete":
            piece = piece[:at] + piece[at + draw(st.integers(0, 200)):]
        else:
            piece = piece[:at] + piece[at:at + 80] * draw(st.integers(1, 20)) + piece[at:]
    return piece


report_text = st.one_of(
    mutated_sample(),
    st.lists(line, max_size=40).map("\n".join),
    st.text(max_size=300),
)


def encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="replace") if encoding != "utf-16" else text.encode("utf-16", "replace")


@st.composite
def text_file(draw) -> bytes:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=2000))
    data = encode(draw(report_text), draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"])))
    for _ in range(draw(st.integers(0, 3))):                 # flipped bytes
        if data:
            at = draw(st.integers(0, len(data) - 1))
            data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1:]
    return data


# --- HTML -----------------------------------------------------------------------------------

TAGS = ["div", "p", "span", "font", "b", "center", "table", "tbody", "tr", "td", "th", "br", "h1", "li",
        "ul", "script", "style", "iframe", "svg", "template", "pre", "section"]
span_value = st.one_of(st.integers(-3, 10 ** 12).map(str), st.sampled_from(["", "x", "2.5", " 3 ", "１"]))
attribute = st.tuples(st.sampled_from(["rowspan", "colspan", "class", "style", "id"]), span_value)


html_op = st.one_of(
    st.tuples(st.just("open"), st.sampled_from(TAGS), st.lists(attribute, max_size=2)),
    st.tuples(st.just("close"), st.sampled_from(TAGS)),
    st.tuples(st.just("text"), line),
    st.sampled_from([("raw", "<br>"), ("raw", "<!-- 注释 -->"), ("raw", "&nbsp;"), ("raw", "<td>"), ("raw", "</table>")]),
)


def html_tags(max_size: int = 30):
    """Tags opened, closed (matching or not) and text between them: markup as careless pages have it."""
    return st.lists(html_op, max_size=max_size).map(_render_html)


def _render_html(ops) -> str:
    out = []
    for op in ops:
        if op[0] == "open":
            out.append(f"<{op[1]}" + "".join(f' {k}="{v}"' for k, v in op[2]) + ">")
        elif op[0] == "close":
            out.append(f"</{op[1]}>")
        else:
            out.append(op[1])
    return "".join(out)


def sample_as_html(text: str) -> str:
    """A report as a web page: tab rows as table rows, other lines as paragraphs."""
    out, rows = [], []
    for ln in text.split("\n"):
        if "\t" in ln:
            rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in ln.split("\t")) + "</tr>")
            continue
        if rows:
            out.append("<table>" + "".join(rows) + "</table>")
            rows = []
        out.append(f"<p>{ln}</p>")
    if rows:
        out.append("<table>" + "".join(rows) + "</table>")
    return "".join(out)


@st.composite
def html_file(draw) -> bytes:
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(st.binary(max_size=2000))
    if kind <= 4:
        body = sample_as_html(draw(mutated_sample()))
        for _ in range(draw(st.integers(0, 3))):             # stray tags dropped in
            at = draw(st.integers(0, len(body)))
            body = body[:at] + draw(html_tags(max_size=4)) + body[at:]
    else:
        body = draw(html_tags())
    depth = draw(st.sampled_from([0, 0, 0, 5, 250, 300]))
    body = "<div>" * depth + body + "</div>" * depth
    charset = draw(st.sampled_from(["", '<meta charset="utf-8">', '<meta charset="gbk">',
                                    '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">']))
    page = f"<html><head>{charset}</head><body>{body}</body></html>"
    return encode(page, draw(st.sampled_from(["utf-8", "gb18030", "utf-8-sig"])))


# --- Word -----------------------------------------------------------------------------------



def _xml_text(s: str) -> str:
    s = "".join(ch for ch in s if ch in "\t\n\r" or (" " <= ch and not 0xD800 <= ord(ch) <= 0xDFFF
                                                     and ch not in "\ufffe\uffff"))
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _run(text: str) -> str:
    parts = text.split("\t")
    return "<w:r>" + "<w:tab/>".join(f'<w:t xml:space="preserve">{_xml_text(p)}</w:t>' for p in parts) + "</w:r>"


def _paragraph(text: str) -> str:
    return "<w:p>" + "".join(_run(t) if t else "<w:br/>" for t in text.split("\n")) + "</w:p>"


cell_props = st.lists(st.sampled_from([
    '<w:gridSpan w:val="2"/>', '<w:gridSpan w:val="7"/>', '<w:gridSpan w:val="0"/>', '<w:gridSpan w:val="-4"/>',
    '<w:gridSpan w:val="99999999999"/>', '<w:gridSpan w:val="x"/>', '<w:gridSpan/>',
    '<w:vMerge w:val="restart"/>', '<w:vMerge/>', '<w:vMerge w:val="continue"/>']), max_size=2)
row_props = st.sampled_from(["", '<w:trPr><w:gridBefore w:val="1"/></w:trPr>',
                             '<w:trPr><w:gridBefore w:val="100000000"/></w:trPr>',
                             '<w:trPr><w:gridBefore w:val="z"/></w:trPr>'])


word_op = st.one_of(
    st.tuples(st.just("p"), line),
    st.tuples(st.just("tbl")),
    st.tuples(st.just("tr"), row_props),
    st.tuples(st.just("tc"), cell_props),
    st.tuples(st.just("sdt")),
    st.tuples(st.just("end")),
)
_OPEN = {"tbl": "<w:tbl>", "tr": "<w:tr>", "tc": "<w:tc>", "sdt": "<w:sdt><w:sdtContent>"}
_CLOSE = {"tbl": "</w:tbl>", "tr": "</w:tr>", "tc": "<w:p/></w:tc>", "sdt": "</w:sdtContent></w:sdt>"}


def word_body(max_size: int = 40):
    """Paragraphs, tables, rows, cells and content controls opened and closed in any order; the containers
    a part needs are opened for it, so the XML is well formed and the nesting is Word's."""
    return st.lists(word_op, max_size=max_size).map(_render_word)


def _render_word(ops) -> str:
    out, stack = [], []

    def open_(kind, extra=""):
        out.append(_OPEN[kind] + extra)
        stack.append(kind)

    def inside_cell():                       # where a paragraph, table or control may go
        if stack and stack[-1] == "tbl":
            open_("tr")
        if stack and stack[-1] == "tr":
            open_("tc")

    for op in ops:
        kind = op[0]
        if kind == "p":
            inside_cell()
            out.append(_paragraph(op[1]))
        elif kind in ("tbl", "sdt"):
            inside_cell()
            open_(kind)
        elif kind == "tr":
            if not stack or stack[-1] != "tbl":
                inside_cell()
                open_("tbl")
            open_("tr", op[1])
        elif kind == "tc":
            if not stack or stack[-1] not in ("tbl", "tr"):
                inside_cell()
                open_("tbl")
            if stack[-1] == "tbl":
                open_("tr")
            open_("tc", f"<w:tcPr>{''.join(op[1])}</w:tcPr>" if op[1] else "")
        elif stack:                          # end
            out.append(_CLOSE[stack.pop()])
    while stack:
        out.append(_CLOSE[stack.pop()])
    return "".join(out)


def sample_as_word(text: str) -> str:
    out, rows = [], []
    for ln in text.split("\n"):
        if "\t" in ln:
            rows.append("<w:tr>" + "".join(f"<w:tc>{_paragraph(c)}</w:tc>" for c in ln.split("\t")) + "</w:tr>")
            continue
        if rows:
            out.append("<w:tbl>" + "".join(rows) + "</w:tbl>")
            rows = []
        out.append(_paragraph(ln))
    if rows:
        out.append("<w:tbl>" + "".join(rows) + "</w:tbl>")
    return "".join(out)


@st.composite
def word_file(draw) -> bytes:
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(st.binary(max_size=2000))
    if kind <= 4:
        body = sample_as_word(draw(mutated_sample()))
    else:
        body = draw(word_body())
    if len(body) < 4000:                                          # some amplification, within the limits
        body *= draw(st.sampled_from([1, 1, 1, 2, 30]))
    xml = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{W}"><w:body>{body}</w:body></w:document>'
    if draw(st.integers(0, 9)) == 0:                             # broken XML
        at = draw(st.integers(0, len(xml)))
        xml = xml[:at] + draw(st.sampled_from(["<", "&", "</w:p>", "<w:p>", '"', "\x00", "]]>"])) + xml[at:]
    members = {"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": PACKAGE_RELS, "word/document.xml": xml}
    if draw(st.integers(0, 19)) == 0:                            # a part missing
        del members[draw(st.sampled_from(sorted(members)))]
    buf = io.BytesIO()
    method = draw(st.sampled_from([zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED]))
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, content in members.items():
            z.writestr(name, content.encode("utf-8", "surrogatepass"))
    data = buf.getvalue()
    for _ in range(draw(st.sampled_from([0] * 9 + [1, 3]))):    # flipped bytes in the zip itself
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1:]
    return data


# --- the fuzz tests ---------------------------------------------------------------------------

@FUZZ
@given(data=text_file(), suffix=st.sampled_from([".txt", ".md"]))
def test_fuzz_text_reader(workdir, data, suffix):
    read_and_parse(workdir / f"report{suffix}", data)


@FUZZ
@given(data=html_file())
def test_fuzz_html_reader(workdir, data):
    read_and_parse(workdir / "report.html", data)


@FUZZ
@given(data=word_file())
def test_fuzz_docx_reader(workdir, data):
    read_and_parse(workdir / "report.docx", data)


def test_a_count_past_any_frame_is_na_with_a_warning(workdir):
    """Found by the DOCX fuzzer: a cell of 20 digits once overflowed pandas Int64 in parse._frame."""
    text = (SEEDS / "qufu-shizhuang-street-2024.txt").read_text(encoding="utf-8")
    at = text.index("\t0", text.index("四、政府信息公开行政复议"))
    path = workdir / "overflow.txt"
    path.write_text(text[:at] + "\t99999999999999999999" + text[at + 2:], encoding="utf-8")
    report = parse(readers.read(path))
    assert int(report.appeals.isna().sum().sum()) == 1                    # that cell, and only it, is NA
    assert [w["quote"] for w in report.warnings if "位数过多" in w["message"]] == ["99999999999999999999"]
