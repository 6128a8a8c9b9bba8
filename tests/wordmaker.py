"""Write a parsed report back out as a Word file laid out like the official template.

The tables carry what Word does to them: gridSpan headers, the vertically merged
"三、本年度办理结果" and group labels, and (optionally) 表三 split into two tables by a
page break, the second without its header. Used to test the DOCX and PDF readers on
values already verified by hand (tests/expected.py).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from docx import Document
from docx.enum.text import WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Pt

from govaudit import template as T


def _v(value) -> str:
    if value is None or pd.isna(value):
        return "/"
    return str(int(value)) if float(value).is_integer() else str(value)


def _cell(table, r, c, text, size=9):
    cell = table.cell(r, c)
    cell.text = text
    for p in cell.paragraphs:
        for run in p.runs:
            run.font.size = Pt(size)
            run.font.name = "Noto Sans CJK SC"
            run._element.rPr.rFonts.set(qn("w:eastAsia"), "Noto Sans CJK SC")
    return cell


def _merge(table, r0, c0, r1, c1, text):
    cell = table.cell(r0, c0).merge(table.cell(r1, c1))
    cell.text = ""
    _cell(table, r0, c0, text)


def _active(doc, report):
    f = report.active
    t = doc.add_table(rows=0, cols=4)
    t.style = "Table Grid"

    def header(title, labels):
        r = len(t.add_row().cells) and len(t.rows) - 1
        _merge(t, r, 0, r, 3, title)
        r = len(t.rows)
        t.add_row()
        if len(labels) == 1:
            _cell(t, r, 0, "信息内容")
            _merge(t, r, 1, r, 3, labels[0])
        else:
            for c, text in enumerate(["信息内容", *labels]):
                _cell(t, r, c, text)

    def data(key, values):
        r = len(t.rows)
        t.add_row()
        _cell(t, r, 0, T.row_label("active", key))
        if len(values) == 1:
            _merge(t, r, 1, r, 3, values[0])
        else:
            for c, v in enumerate(values, start=1):
                _cell(t, r, c, v)

    header("第二十条第（一）项", ["本年制发件数", "本年废止件数", "现行有效件数"])
    for k in ("regulations", "normative_documents"):
        data(k, [_v(f.at[k, c]) for c in ("issued", "repealed", "in_force")])
    header("第二十条第（五）项", ["本年处理决定数量"])
    data("licensing", [_v(f.at["licensing", "decisions"])])
    header("第二十条第（六）项", ["本年处理决定数量"])
    data("punishment", [_v(f.at["punishment", "decisions"])])
    data("coercion", [_v(f.at["coercion", "decisions"])])
    header("第二十条第（八）项", ["本年收费金额（单位：万元）"])
    data("admin_fees", [_v(f.at["admin_fees", "amount"])])


def _requests(doc, report, split_before: str | None):
    f = report.requests
    rows = list(f.index)
    first = rows if split_before is None else rows[:rows.index(split_before)]
    second = [] if split_before is None else rows[rows.index(split_before):]
    t = doc.add_table(rows=3, cols=10)
    t.style = "Table Grid"
    _merge(t, 0, 0, 2, 2, T._REQUEST_NOTE)
    _merge(t, 0, 3, 0, 9, "申请人情况")
    _merge(t, 1, 3, 2, 3, "自然人")
    _merge(t, 1, 4, 1, 8, "法人或其他组织")
    _merge(t, 1, 9, 2, 9, "总计")
    for c, label in enumerate(("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"), start=4):
        _cell(t, 2, c, label)
    _request_rows(t, f, first)
    if second:
        p = doc.add_paragraph()
        p.add_run().add_break(WD_BREAK.PAGE)
        t2 = doc.add_table(rows=0, cols=10)
        t2.style = "Table Grid"
        _request_rows(t2, f, second)


def _request_rows(t, f, keys):
    start = len(t.rows)
    for key in keys:
        r = len(t.rows)
        t.add_row()
        for c, col in enumerate(f.columns, start=3):
            _cell(t, r, c, _v(f.at[key, col]))
    spans = {}   # merged label columns: results block and groups
    for i, key in enumerate(keys):
        r = start + i
        row = next(x for x in T.ALL_REQUEST_ROWS if x.key == key)
        if key in ("new_received", "carried_over", "carried_forward"):
            _merge(t, r, 0, r, 2, row.label)
            continue
        spans.setdefault("results", [r, r])[1] = r
        if row.group:
            spans.setdefault(row.group, [r, r])[1] = r
            _cell(t, r, 2, row.label)
        else:
            _merge(t, r, 1, r, 2, row.label)
    for name, (r0, r1) in spans.items():
        if name == "results":
            _merge(t, r0, 0, r1, 0, "三、本年度办理结果")
        else:
            _merge(t, r0, 1, r1, 1, name)


def _appeals(doc, report):
    f = report.appeals
    t = doc.add_table(rows=4, cols=15)
    t.style = "Table Grid"
    _merge(t, 0, 0, 1, 4, "行政复议")
    _merge(t, 0, 5, 0, 14, "行政诉讼")
    _merge(t, 1, 5, 1, 9, "未经复议直接起诉")
    _merge(t, 1, 10, 1, 14, "复议后起诉")
    for block in range(3):
        for c, label in enumerate(("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")):
            _cell(t, 2, block * 5 + c, label)
    for block, key in enumerate(("review", "suit_direct", "suit_after_review")):
        for c, col in enumerate(f.columns):
            _cell(t, 3, block * 5 + c, _v(f.at[key, col]))


def write_docx(report, path: Path, *, split_requests_before: str | None = "unable_needs_creation") -> Path:
    """A 2021-template Word report with the report's title, section texts and values."""
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Noto Sans CJK SC"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "Noto Sans CJK SC")
    doc.add_paragraph(report.meta["title"])
    for s in T.SECTIONS:
        doc.add_paragraph(f"{s.number}、{s.title}")
        if s.key == "active":
            _active(doc, report)
        elif s.key == "requests":
            _requests(doc, report, split_requests_before)
        elif s.key == "appeals":
            _appeals(doc, report)
        else:
            for line in report.sections.get(s.key, "").split("\n"):
                if line.strip():
                    doc.add_paragraph(line)
    doc.save(path)
    return path


# --- a bare Word package, part by part (for hostile and fuzzed files built with zipfile) --------------
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Default Extension="png" ContentType="image/png"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '</Types>')
PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="word/document.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    '</Relationships>')
