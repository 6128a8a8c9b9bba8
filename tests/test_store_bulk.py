"""Recording a large run in bulk: exactly what was found, and a re-run marks what is gone (SQLite and PostgreSQL)."""
from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest
import sqlalchemy as sa

import govaudit
from conftest import SEEDS
from govaudit import store
from govaudit.errors import StoreError
from govaudit.rules.finding import FINDING_COLUMNS

REPORTS = 4_000
PER_REPORT = 5                 # 20,000 findings, more than one BULK_CHUNK


def _report(i: int) -> SimpleNamespace:
    return SimpleNamespace(meta={"id": f"单位{i}-2024", "sha256": f"{i:064x}", "agency": f"单位{i}", "year": 2024,
                                 "source": f"/reports/{i}.txt"})


def _run(reports: range, template: pd.DataFrame, corrected: set[int] = frozenset()) -> pd.DataFrame:
    """PER_REPORT findings per report, their fields taken from real findings; none for a corrected report."""
    rows, real = [], template.to_dict("records")
    for i in reports:
        if i in corrected:
            continue
        for k in range(PER_REPORT):
            rows.append({**real[(i + k) % len(real)], "id": f"{i:08x}{k:08x}", "problem": f"{i:08x}{k:08x}", "report": f"单位{i}-2024",
                         "agency": f"单位{i}", "source": f"/reports/{i}.txt"})
    frame = pd.DataFrame(rows, columns=FINDING_COLUMNS)
    # what a finding's expected/actual may hold: a number stays a number's text, a blank or "/" stays itself,
    # a missing value stays missing (never 0)
    frame["expected"] = pd.Series([(9, 9.0, "/", "", None)[j % 5] for j in range(len(frame))], dtype=object)
    return frame


@pytest.fixture(scope="module")
def real_findings() -> pd.DataFrame:
    findings = govaudit.check(govaudit.load_many(SEEDS, progress=False, workers=1))
    assert len(findings) >= 4
    return findings


def test_a_large_run_is_recorded_exactly_and_a_rerun_marks_the_gone(db_url, real_findings):
    reports = [_report(i) for i in range(REPORTS)]
    first = _run(range(REPORTS), real_findings)
    assert len(first) == REPORTS * PER_REPORT > store.BULK_CHUNK
    corrected = set(range(0, REPORTS, 10))
    with store.open(db_url, user="检查员") as db:
        db.record_run(first, reports)
        stored = db.latest_findings().set_index("id").sort_index()
        assert len(stored) == len(first) and set(stored.state) == {"现存"}
        want = first.set_index("id").sort_index()
        for c in ("report", "agency", "rule", "category", "severity", "table", "row", "column", "section",
                  "actual", "message", "evidence", "source", "problem"):
            assert stored[c].tolist() == [None if pd.isna(v) else str(v) for v in want[c]], c
        assert stored.year.tolist() == [2024] * len(first)
        expected = [None if pd.isna(v) else v for v in stored.expected]      # the frame reads NULL as NaN
        assert expected == [{9: "9", "/": "/", "": ""}.get(v) for v in want.expected]      # 9.0 == 9 too
        assert expected.count(None) == expected.count("/") == expected.count("") == len(first) // 5
        assert len(db.checked_reports()) == REPORTS

        kept, gone = "0000000100000000", "0000000000000001"        # report 1 is not corrected, report 0 is
        db.review(kept, version=0, status="已确认")
        db.review(gone, version=0, status="已确认", note="已核实")
        db.record_run(_run(range(REPORTS), real_findings, corrected), reports)
        latest = db.latest_findings().set_index("id")
        assert len(latest) == (REPORTS - len(corrected)) * PER_REPORT + 1       # + the reviewed one that is gone
        assert latest.loc[gone, "state"] == store.CORRECTED and latest.loc[gone, "note"] == "已核实"
        assert latest.loc[kept, "state"] == "现存" and latest.loc[kept, "status"] == "已确认"
        assert not latest.index.str.startswith("0000000a").any()            # report 10's findings, unreviewed
        with db.engine.connect() as conn:
            runs = conn.execute(sa.select(store.runs_t.c.reports, store.runs_t.c.findings)
                                .order_by(store.runs_t.c.id)).all()
            assert [tuple(r) for r in runs] == [(REPORTS, len(first)), (REPORTS, len(first) - len(corrected) * 5)]
            assert conn.execute(sa.select(sa.func.count()).select_from(store.reports_t)).scalar() == REPORTS
        assert len(db.history(gone)) == 3          # status, note, rectification: history untouched by runs


def test_a_run_with_a_duplicate_finding_is_refused_whole(db_url, real_findings):
    reports = [_report(i) for i in range(REPORTS)]
    frame = _run(range(REPORTS), real_findings)
    frame = pd.concat([frame, frame.iloc[[len(frame) - 1]]], ignore_index=True)     # the last one twice
    with store.open(db_url, user="检查员") as db:
        with pytest.raises(StoreError, match="保存检查结果失败"):
            db.record_run(frame, reports)
        assert db.latest_findings().empty and db.checked_reports().empty
        with db.engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(store.runs_t)).scalar() == 0


def test_the_same_file_twice_in_a_run_is_one_stored_report(db_url, real_findings):
    twin = SimpleNamespace(meta={**_report(0).meta, "id": "单位0副本-2024", "source": "/copy/0.txt"})
    with store.open(db_url, user="检查员") as db:
        db.record_run(_run(range(2), real_findings), [_report(0), twin, _report(1)])
        db.record_run(_run(range(2), real_findings), [_report(0), _report(1)])      # nothing new to store
        with db.engine.connect() as conn:
            stored = conn.execute(sa.select(store.reports_t.c.sha256, store.reports_t.c.report)
                                  .order_by(store.reports_t.c.sha256)).all()
            first_seen = set(conn.execute(sa.select(store.reports_t.c.first_seen)).scalars())
            first_run = conn.execute(sa.select(store.runs_t.c.at).order_by(store.runs_t.c.id)).scalars().first()
        assert first_seen == {first_run}          # stored in bulk as SQLAlchemy stores a time, read back equal
        assert [r.report for r in stored] == ["单位0-2024", "单位1-2024"]       # the first of equal contents
        assert set(db.checked_reports().report) == {"单位0-2024", "单位1-2024", "单位0副本-2024"}
