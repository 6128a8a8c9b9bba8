"""The fast content-stream tokenizer (govaudit/readers/pdf_objects.py) gives exactly pdfminer's objects:
on every content stream of the test PDFs, on hand-made streams covering each kind of token, and as
pdfplumber's page objects; streams it does not recognise are left to pdfminer."""
from __future__ import annotations

import random

import pdfplumber
import pytest
from pdfminer.pdfinterp import PDFContentParser
from pdfminer.pdftypes import PDFStream, stream_value
from pdfminer.psparser import PSEOF

from govaudit.readers.pdf_objects import char_centres, parse_page, table_texts, tokens
from pdf_snapshot import golden_pdfs


def pdfminer_objects(data: bytes) -> list:
    parser = PDFContentParser([PDFStream({}, data)])
    out = []
    while True:
        try:
            out.append(parser.nextobject()[1])
        except PSEOF:
            return out


def same(a: list, b: list) -> bool:
    """Equal, and of the same types (1 == 1.0 == True in Python)."""
    return a == b and repr(a) == repr(b) and [type(x) for x in a] == [type(x) for x in b]


def test_pdf_fixtures_tokenize_as_pdfminer_does():
    streams = 0
    for path in golden_pdfs():
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                for ref in page.page_obj.contents:
                    data = stream_value(ref).get_data()
                    fast = tokens(data)
                    assert fast is not None, (path.name, page.page_number)   # these are all on the fast path
                    assert same(fast, pdfminer_objects(data)), (path.name, page.page_number)
                    streams += 1
    assert streams >= 17


@pytest.mark.parametrize("data", [
    b"0.1 w\nq 0 0.028 611.971 791.971 re\nW* n\nBT\n90.1 707.2 Td /F1 11 Tf<4AC5C60D>Tj\nET\nQ",
    b"1 0 0 -1 0 842 cm\r/GS13 gs\r0.05 0 0 -0.05 115.44 802.49 Tm\r<0010>Tj 319.188 -0 TD<10CD>Tj\nET",
    b"[(Hello) -250 (World) 12.5 <00 41 4>] TJ",            # array; hex with spaces and an odd digit
    b"+5 -.5 5. 007 -0 1.2.3 5-3 .25",                     # numbers as pdfminer splits them
    b"/Span <</MCID 3 /Alt (x) /N [1 2] /D <</E true>>>> BDC EMC",   # marked content with dictionaries
    b"/ 0 Tc //x (a) ' 1 2 (b) \" true false trueish",      # empty names, ' and " operators, booleans
    b"/F\xe4 1 Tf /\xc3\xa4 1 Tf () Tj <> Tj T* 0 0 m 10 10 l S",   # a non-UTF-8 name stays bytes
    b"(a\\(b\\)c \\101\\7\\0123 \\n\\t\\\\ \\q x\\\r\ny x\\\ny) Tj (a(b)c) Tj",   # escapes, nested ()
    b"/A#20B gs /A#2 gs /A#/B gs % a comment\n0 0 m",       # # escapes in names; a comment
    b"",
])
def test_hand_made_streams_tokenize_as_pdfminer_does(data):
    fast = tokens(data)
    assert fast is not None
    assert same(fast, pdfminer_objects(data))


@pytest.mark.parametrize("data", [
    b"{ 1 } 2",                    # procedure
    b"BI /W 1 /H 1 ID \x00 EI",     # inline image
    b"[1 2 TJ", b"1 2] TJ", b"<</A>> BDC", b"<</A 1]", b"<41>> x", b"(open",   # unbalanced or odd
    b"- 1 . 2", b"1 \x00 2", b"\xff Tj", b"#", b"(\\777)",
    b"1 Tf /A#4",                  # pdfminer drops a name ending in an escape at the end of the data
    b" " * 4095 + b"<</A 1>> BDC",  # pdfminer reads "<<" split between two of its blocks differently
])
def test_streams_it_does_not_recognise_go_to_pdfminer(data):
    assert tokens(data) is None


PIECES = [b"0", b"12", b"-3", b"+4", b"1.5", b"-.25", b"7.", b"1.2.3", b"-", b".", b"/F1", b"/A#20B", b"/A#2", b"/#",
          b"/\xe4", b"Tj", b"T*", b"'", b'"', b"true", b"<4AC5>", b"<4 A C>", b"<>", b"(abc)", b"()", b"(a(b)c)",
          b"(a\\(b)", b"(\\101\\7\\0123)", b"(\\n\\t\\\\)", b"(x\\\r\ny)", b"(\\q)", b"(\\777)", b"[1 (a) <41>]",
          b"<</A 1 /B [2] /C <</D (x)>>>>", b"% comment\n", b"[", b"]", b"<<", b">>", b"{", b"BI", b"\x00", b"#"]


def test_random_streams_tokenize_as_pdfminer_does_or_go_to_pdfminer():
    """Random streams, some longer than pdfminer's 4 KiB blocks: whatever the tokenizer accepts,
    it reads as pdfminer does."""
    rng = random.Random(17)
    accepted = 0
    for n in range(1500):
        size = rng.choice([3, 10, 40, 1200])
        data = b"".join(rng.choice(PIECES) + rng.choice([b" ", b"\n", b"\r\n", b"", b"\r"]) for _ in range(size))
        fast = tokens(data)
        if fast is not None:
            accepted += 1
            assert same(fast, pdfminer_objects(data)), data
    assert accepted >= 150


def comparable(objects: dict) -> dict:
    """Page objects with an image's stream by its description (two opened files have two stream objects)."""
    return {kind: [{k: repr(v) if k == "stream" else v for k, v in o.items()} for o in found]
            for kind, found in objects.items()}


def matplotlib_pdf(path, fonttype: int):
    """A PDF of another producer: Type 3 or TrueType fonts, form XObjects (markers), an image, hatching,
    escapes in strings."""
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"pdf.fonttype": fonttype}):
        fig = Figure()
        ax = fig.subplots()
        ax.plot(range(30), [i % 7 for i in range(30)], "o-", label="a (b) \\ c")
        ax.bar([1, 2, 3], [3, 1, 2], hatch="//")
        ax.imshow([[0, 1], [1, 0]], extent=(0, 10, 0, 1))
        ax.set_title("Title (with) \\backslash #hash")
        ax.legend()
        fig.savefig(path)
    return path


def test_page_objects_are_pdfplumbers_own(tmp_path):
    """The objects built from the fast interpreter's layout (characters by our own converter) equal pdfplumber's own."""
    others = [matplotlib_pdf(tmp_path / f"plot-{t}.pdf", t) for t in (3, 42)]
    for path in [*golden_pdfs(), *others]:
        with pdfplumber.open(path) as stock, pdfplumber.open(path) as fast:
            for a, b in zip(stock.pages, fast.pages):
                parse_page(b)
                assert comparable(a.objects) == comparable(b.objects), (path.name, a.page_number)
                assert b.objects.get("char"), path.name


def test_table_texts_are_pdfplumbers_extract():
    tables = 0
    for path in golden_pdfs():
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                centres = char_centres(page.chars)
                for table in page.find_tables():
                    assert table_texts(table, centres) == table.extract(), (path.name, page.page_number)
                    tables += 1
    assert tables >= 10
