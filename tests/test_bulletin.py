"""The 通报 draft, re-read with python-docx and compared with the review database."""
from __future__ import annotations

import re

import docx

import govaudit
from conftest import SEEDS
from govaudit import store
from govaudit.cli import main

_UNIT_HEADING = re.compile(r"^（[一二三四五六七八九十]+）(.+)（(\d+)条）$")


def _reviewed_round(url: str) -> tuple[dict[str, int], str]:
    """Record a check of the samples, confirm all findings but one, add flags; return confirmed counts by unit."""
    corpus = govaudit.load_many(SEEDS, progress=False, workers=1)
    with store.open(url, user="李四") as db:
        db.record_run(govaudit.check(corpus), list(corpus))
        work = db.worklist()
        dismissed = work.iloc[0]
        db.review(dismissed.id, report=dismissed.report, status="已排除", note="经核实无误")
        for i, rec in enumerate(work.iloc[1:].itertuples()):
            db.review(rec.id, report=rec.report, status="已确认", note=f"=请核实第{i + 1}处", rectification="整改中")
        quiet = next(r for r in corpus if r.id not in set(work.report))        # a unit the rules found clean
        for message in ("表二未说明规范性文件废止情况", "概述部分未写明公开平台建设情况"):
            db.flag(quiet.id, message, section="overview")
        confirmed = db.worklist().query("status == '已确认'")
        return confirmed.groupby("agency").size().to_dict(), dismissed.message


def test_bulletin_names_each_unit_with_its_confirmed_problems(db_url, tmp_path):
    expected, dismissed_message = _reviewed_round(db_url)
    out = tmp_path / "通报.docx"
    assert main(["report", "--db", db_url, "--out", str(out), "--issuer", "某市政务公开办"]) == 0

    doc = docx.Document(str(out))
    text = "\n".join(p.text for p in doc.paragraphs)
    units = [m.groups() for m in map(_UNIT_HEADING.match, (p.text for p in doc.paragraphs)) if m]
    assert {agency: int(n) for agency, n in units} == expected
    assert len(doc.tables) == len(units)
    for (agency, n), table in zip(units, doc.tables):
        assert len(table.rows) == int(n) + 1                       # a header row, then one row per problem
        assert [c.text for c in table.rows[0].cells][:3] == ["序号", "问题", "规则"]
    cells = [c.text for t in doc.tables for row in t.rows[1:] for c in row.cells]
    assert "=请核实第1处" in cells and "人工标注" in cells      # the inspector's note, kept as written
    assert dismissed_message not in cells
    total = sum(expected.values())
    assert f"确认问题{total}条，涉及{len(expected)}家单位" in text
    assert "对5家单位报送的5份2024年度" in text and "某市政务公开办" in text
    assert len(doc.inline_shapes) == 1                             # the chart


def test_bulletin_without_confirmed_problems_says_so(tmp_path):
    url = f"sqlite:///{tmp_path / 'reviews.db'}"
    corpus = govaudit.load_many(SEEDS, progress=False, workers=1)
    with store.open(url) as db:
        db.record_run(govaudit.check(corpus), list(corpus))
    out = tmp_path / "通报.docx"
    assert main(["report", "--db", url, "--out", str(out)]) == 0
    doc = docx.Document(str(out))
    assert "经审核，未发现需要通报的问题。" in [p.text for p in doc.paragraphs]
    assert not doc.tables and not doc.inline_shapes


def test_bulletin_refuses_other_file_types(tmp_path, capsys):
    assert main(["report", "--db", f"sqlite:///{tmp_path / 'r.db'}", "--out", str(tmp_path / "通报.pdf")]) != 0
    assert "通报只能保存为 .docx 文件" in capsys.readouterr().err
