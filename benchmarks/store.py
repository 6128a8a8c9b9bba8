"""Review saves per second on SQLite and on a real PostgreSQL server (started for the run).

Each save is one review with its history rows, in its own transaction, committed
(as the workbench does). Floor: an empty write transaction through the same code path.
Run with `make bench`.
"""
from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from pgserver import running_postgres  # noqa: E402

from govaudit import store  # noqa: E402

SAVES = int(os.environ.get("BENCH_SAVES", "300"))
ROUNDS = 3


def rate(fn, n: int) -> float:
    rates = []
    for r in range(ROUNDS):
        t0 = time.perf_counter()
        for i in range(n):
            fn(r, i)
        rates.append(n / (time.perf_counter() - t0))
    return statistics.median(rates)


def measure(name: str, url: str) -> None:
    with store.open(url, user="bench") as db:
        def empty_write(r, i):
            with db._writing() as conn:
                conn.execute(sa.text("SELECT 1"))
        floor = rate(empty_write, SAVES)
        new = rate(lambda r, i: db.review(f"r{r}-{i}", report="bench", version=0, status="已确认",
                                          note="基准测试"), SAVES)
        update = rate(lambda r, i: db.review(f"r{r}-{i}", version=1, note=f"第{r}轮修改"), SAVES)
    print(f"{name:<12} {new:>12.0f} {update:>14.0f} {floor:>14.0f} {floor / new:>10.1f}x")


def main() -> int:
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"median of {ROUNDS} rounds of {SAVES} saves")
    print(f"{'backend':<12} {'new/s':>12} {'update/s':>14} {'floor ops/s':>14} {'floor/new':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        measure("sqlite", f"sqlite:///{tmp}/bench.db")
    with running_postgres() as base:
        import psycopg
        with psycopg.connect(base.replace("postgresql+psycopg", "postgresql") + "/postgres", autocommit=True) as c:
            c.execute("CREATE DATABASE bench")
        measure("postgresql", f"{base}/bench")
    return 0


if __name__ == "__main__":
    sys.exit(main())
