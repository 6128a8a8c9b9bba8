"""A real PDF with what publishers and printers put over it: a diagonal watermark, a page turned by /Rotate.

Made with qpdf from tests/fixtures/real/hongze-district-2023.pdf. A number may go unread (NA, with a
reading note), never read wrong; the file is never lost.
"""
from __future__ import annotations

import shutil
import subprocess

import pytest

import govaudit
from conftest import REAL
from variants import cells

pytestmark = pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf is not installed")

HONGZE = REAL / "hongze-district-2023.pdf"


def _one_page_pdf(content: bytes) -> bytes:
    """An A4 page drawing ``content`` (a PDF content stream) in Helvetica."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >>"
               b" /Contents 4 0 R >>",
               b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _qpdf(*args) -> None:
    subprocess.run(["qpdf", *map(str, args)], check=True)


def test_a_diagonal_watermark_with_digits_changes_no_number(tmp_path):
    """"CONFIDENTIAL 2025-01-20" at 45° over every page: its digits fell between a table's words, and both
    pdfplumber readings read 行政强制 195 as 52195."""
    stamp = b"0.8 g BT /F1 40 Tf " + b" ".join(b"0.707 0.707 -0.707 0.707 80 %d Tm (CONFIDENTIAL 2025-01-20) Tj" % y
                                              for y in (100, 400, 650)) + b" ET"
    (tmp_path / "stamp.pdf").write_bytes(_one_page_pdf(stamp))
    _qpdf(HONGZE, "--overlay", tmp_path / "stamp.pdf", "--repeat=1", "--", tmp_path / "stamped.pdf")
    original, stamped = cells(govaudit.load(HONGZE)), cells(govaudit.load(tmp_path / "stamped.pdf"))
    assert {k: v for k, v in stamped.items() if v is not None and v != original[k]} == {}
    assert sum(v is None and original[k] is not None for k, v in stamped.items()) <= 2


def test_pages_turned_by_rotate_are_read_or_left_unread_never_lost(tmp_path):
    """Every page turned 90° (/Rotate): a value line then a numbered label line once crashed the words
    reading (IndexError), and the whole report was lost."""
    _qpdf(HONGZE, "--rotate=+90", "--", tmp_path / "turned.pdf")
    original, turned = cells(govaudit.load(HONGZE)), cells(govaudit.load(tmp_path / "turned.pdf"))
    assert {k: v for k, v in turned.items() if v is not None and v != original[k]} == {}
