"""The review store on SQLite and on a real PostgreSQL server (started for the run).

1. Review saves per second: each save is one review with its history rows, in its own
   transaction, committed (as the workbench does). Floor: an empty write transaction
   through the same code path.
2. Recording one check run of BENCH_RECORD_REPORTS reports (default 100,000) and their
   findings (synthetic frames with the real columns, about 4 findings a report) with
   ``Store.record_run``, into an empty database and then a second run over it. Floor: the
   same rows written by the bare driver into a table of the same shape in one transaction
   (SQLite: ``executemany``; PostgreSQL: ``COPY``), i.e. the database's own bulk speed. Then the
   time to read the latest findings back (``latest_findings``, what the workbench opens with).

Environment: BENCH_SAVES (default 300), BENCH_RECORD_REPORTS (default 100000).
Run with `make bench`.
"""
from __future__ import annotations

import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from pgserver import running_postgres  # noqa: E402

from govaudit import store  # noqa: E402
from govaudit.rules.finding import FINDING_COLUMNS  # noqa: E402

SAVES = int(os.environ.get("BENCH_SAVES", "300"))
RECORD_REPORTS = int(os.environ.get("BENCH_RECORD_REPORTS", "100000"))
ROUNDS = 3
_RULES = (("T3-TOTAL", "arithmetic", "error", "requests", "total_processed", "total"),
          ("T4-TOTAL", "arithmetic", "error", "appeals", "review", "total"),
          ("N-T3-NEW", "consistency", "warning", "requests", "new_received", "total"),
          ("X-CARRY", "cross-year", "error", "requests", "carried_over", "natural"),
          ("C-COPY", "copy", "warning", "", "", ""),
          ("F-LABEL-EDIT", "formatting", "info", "active", "", "repealed"))


def rate(fn, n: int) -> float:
    rates = []
    for r in range(ROUNDS):
        t0 = time.perf_counter()
        for i in range(n):
            fn(r, i)
        rates.append(n / (time.perf_counter() - t0))
    return statistics.median(rates)


def measure_saves(name: str, url: str) -> None:
    with store.open(url, user="bench") as db:
        def empty_write(r, i):
            with db._writing() as conn:
                conn.execute(sa.text("SELECT 1"))
        floor = rate(empty_write, SAVES)
        new = rate(lambda r, i: db.review(f"r{r}-{i}", report="bench", version=0, status="已确认",
                                          note="基准测试"), SAVES)
        update = rate(lambda r, i: db.review(f"r{r}-{i}", version=1, note=f"第{r}轮修改"), SAVES)
    print(f"{name:<12} {new:>12.0f} {update:>14.0f} {floor:>14.0f} {floor / new:>10.1f}x")


# --- 2. recording a run ------------------------------------------------------------------------

def synthetic_run(n_reports: int, seed: int = 7, dropped: float = 0.0):
    """(findings frame with FINDING_COLUMNS, report stand-ins with the meta record_run reads).

    ``dropped``: the share of findings left out, as in a re-run after some reports were corrected."""
    rng = random.Random(seed)
    reports, rows = [], []
    for i in range(n_reports):
        year = 2023 + i % 2
        agency = f"临江县第{i // 2 + 1}街道办事处"
        rid = f"{agency}-{year}"
        source = f"/data/reports/{i // 2:06d}-{year}.txt"
        reports.append(SimpleNamespace(meta={"id": rid, "sha256": f"{i:064x}", "agency": agency, "year": year,
                                             "source": source}))
        for k in range(rng.choice((0, 1, 2, 3, 4, 5, 6, 7, 8))):
            rule, category, severity, table, row, column = _RULES[k % len(_RULES)]
            if rng.random() < dropped:
                continue
            fid = f"{i:08x}{k:08x}"
            expected = rng.choice((None, 12, "本年废止件数"))
            rows.append({"id": fid, "report": rid, "agency": agency, "year": year, "rule": rule,
                         "category": category, "severity": severity, "table": table, "row": row, "column": column,
                         "section": "problems" if rule == "C-COPY" else "", "expected": expected,
                         "actual": rng.choice((None, 13, "本年度止件数")),
                         "message": f"表三“{row or '合计'}”行合计与各项之和不符：应为{rng.randint(0, 99)}，实为{rng.randint(0, 99)}",
                         "evidence": f"原文：“{rng.randint(0, 9)} {rng.randint(0, 9)} {rng.randint(0, 9)} 0 0 0 1”",
                         "source": source, "problem": fid})
    frame = pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype=object) if c in ("expected", "actual")
                          else [r[c] for r in rows] for c in FINDING_COLUMNS})
    return frame, reports


def floor_rows_per_s(url: str, frame: pd.DataFrame) -> float:
    """The same rows (as text, year as int) written by the bare driver into a scratch table, one transaction."""
    cols = list(FINDING_COLUMNS)
    rows = [tuple(None if v is None or (not isinstance(v, str) and pd.isna(v)) else v if c == "year" else str(v)
                  for c, v in zip(cols, rec)) for rec in frame[cols].itertuples(index=False)]
    ddl = "CREATE TABLE floor_rows (" + ", ".join(f'"{c}" {"INTEGER" if c == "year" else "TEXT"}' for c in cols) + ")"
    names = ", ".join(f'"{c}"' for c in cols)
    engine = sa.create_engine(store.check_url(url))
    try:
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute(ddl)
            raw.commit()
            t0 = time.perf_counter()
            if engine.dialect.name == "sqlite":
                cur.executemany(f"INSERT INTO floor_rows ({names}) VALUES ({', '.join('?' * len(cols))})", rows)
            else:
                with cur.copy(f"COPY floor_rows ({names}) FROM STDIN") as copy:
                    for r in rows:
                        copy.write_row(r)
            raw.commit()
            return len(rows) / (time.perf_counter() - t0)
        finally:
            raw.close()
    finally:
        engine.dispose()


def measure_record(name: str, url: str) -> None:
    first, reports = synthetic_run(RECORD_REPORTS)
    second, _ = synthetic_run(RECORD_REPORTS, dropped=0.1)
    with store.open(url, user="bench") as db:
        t0 = time.perf_counter()
        db.record_run(first, reports)
        t_first = time.perf_counter() - t0
        t0 = time.perf_counter()
        db.record_run(second, reports)
        t_second = time.perf_counter() - t0
        t0 = time.perf_counter()
        latest = len(db.latest_findings())
        t_read = time.perf_counter() - t0
    floor = floor_rows_per_s(url, first)
    rows_per_s = len(first) / t_first
    print(f"{name:<12} {len(first):>9,} {t_first:>9.1f} s {rows_per_s:>10,.0f} {t_second:>9.1f} s "
          f"{floor:>10,.0f} {floor / rows_per_s:>9.1f}x {t_read:>9.1f} s ({latest:,} rows)")


def _fresh_pg_database(base: str, name: str) -> str:
    import psycopg
    with psycopg.connect(base.replace("postgresql+psycopg", "postgresql") + "/postgres", autocommit=True) as c:
        c.execute(f"CREATE DATABASE {name}")
    return f"{base}/{name}"


def main() -> int:
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"1. review saves: median of {ROUNDS} rounds of {SAVES} saves")
    print(f"{'backend':<12} {'new/s':>12} {'update/s':>14} {'floor ops/s':>14} {'floor/new':>11}")
    with tempfile.TemporaryDirectory() as tmp, running_postgres() as base:
        measure_saves("sqlite", f"sqlite:///{tmp}/bench.db")
        measure_saves("postgresql", _fresh_pg_database(base, "bench"))
        print(f"\n2. record_run of {RECORD_REPORTS:,} reports (one run, then a re-run with 10% of findings gone)")
        print(f"{'backend':<12} {'findings':>9} {'first run':>11} {'rows/s':>10} {'re-run':>11} "
              f"{'floor rows/s':>10} {'floor/ours':>9} {'latest_findings':>15}")
        measure_record("sqlite", f"sqlite:///{tmp}/record.db")
        measure_record("postgresql", _fresh_pg_database(base, "record"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
