"""PDF layouts that LibreOffice and WPS make of 表三, read the same by both pdfplumber readings.

A real report's 表三 is written as the plain HTML table of the official layout (rowspans for
"三、本年度办理结果" and the group labels) and converted by LibreOffice, which, as WPS does, centres each
cell vertically (HTML's default). A wrapped row label then starts above its numbers, and the wrapped
merged "三、本年度办理结果" puts its last character on the same line as the next row's label
("果 （二）部分公开（区分处理的，"). That character belongs to the merged column on the left, not to a row.
"""
from __future__ import annotations

import html
import shutil
import subprocess

import pandas as pd
import pytest

import govaudit
from govaudit import template as T

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")

SOURCE = "shanghai-stcsm-2024.md"       # 11 rows of 表三 not 0, and (一) 9 where (二) is 0: a swap shows
OUTER = ("new_received", "carried_over", "carried_forward")


def _value(value) -> str:
    if value is None or pd.isna(value):
        return "/"
    return str(int(value)) if float(value).is_integer() else str(value)


def _td(text: str, rows: int = 1, cols: int = 1) -> str:
    span = (f' rowspan="{rows}"' if rows > 1 else "") + (f' colspan="{cols}"' if cols > 1 else "")
    return f"<td{span}>{html.escape(text)}</td>"


def _requests_rows(frame) -> list[list[str]]:
    """表三 as the official layout: merged header, merged results column, merged group labels."""
    out = [[_td(T._REQUEST_NOTE, 3, 3), _td("申请人情况", cols=7)],
           [_td("自然人", rows=2), _td("法人或其他组织", cols=5), _td("总计", rows=2)],
           [_td(x) for x in ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")]]
    rows = [next(x for x in T.ALL_REQUEST_ROWS if x.key == key) for key in frame.index]
    results = [r for r in rows if r.key not in OUTER]
    groups: set[str] = set()
    for r in rows:
        values = [_td(_value(frame.at[r.key, c])) for c in frame.columns]
        if r.key in OUTER:
            out.append([_td(r.label, cols=3)] + values)
            continue
        cells = [_td("三、本年度办理结果", rows=len(results))] if r is results[0] else []
        if r.group and r.group not in groups:
            groups.add(r.group)
            cells.append(_td(r.group, rows=sum(x.group == r.group for x in results)))
        cells.append(_td(r.label) if r.group else _td(r.label, cols=2))
        out.append(cells + values)
    return out


def _write_html(report, path):
    parts = [f"<h1>{html.escape(report.meta['title'])}</h1>"]
    for s in T.SECTIONS:
        parts.append(f"<p>{s.number}、{s.title}</p>")
        if s.key == "requests":
            rows = "".join("<tr>" + "".join(r) + "</tr>" for r in _requests_rows(report.requests))
            parts.append(f'<table border="1" cellspacing="0">{rows}</table>')
        elif s.key in ("overview", "problems", "other"):
            parts += [f"<p>{html.escape(line)}</p>" for line in report.sections.get(s.key, "").split("\n") if line.strip()]
    path.write_text('<html><head><meta charset="utf-8"></head><body>' + "".join(parts) + "</body></html>",
                    encoding="utf-8")
    return path


def _to_pdf(src, outdir):
    subprocess.run(["soffice", f"-env:UserInstallation={(outdir / 'lo-profile').as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(outdir), str(src)], check=True, capture_output=True,
                   timeout=180)
    return outdir / f"{src.stem}.pdf"


@pytest.fixture(scope="module")
def centred(real, tmp_path_factory):
    out = tmp_path_factory.mktemp("centred")
    source = govaudit.load(real / SOURCE)
    return source, govaudit.load(_to_pdf(_write_html(source, out / "centred.html"), out))


def test_centred_wrapped_rows_keep_their_values(centred):
    source, pdf = centred
    assert pdf.requests.astype(object).fillna("NA").equals(source.requests.astype(object).fillna("NA"))
    assert not [w for w in pdf.warnings if w["code"] == "reading-disagree"]


def test_both_readings_give_every_cell_of_the_wrapped_rows(centred):
    """Not one reading copying the other: grid and words each read (一) and (二) themselves."""
    _, pdf = centred
    assert {"grid", "words"} <= set(pdf.meta["readings"])
    for row in ("granted", "partly_granted", "denied_state_secret", "denied_prohibited"):
        for col in pdf.requests.columns:
            assert {"grid", "words"} <= set(pdf.provenance[("requests", row, col)]["readings"]), (row, col)
