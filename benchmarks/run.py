"""Speed of load and load+check on the bundled samples, against a floor measured in the same run.

Floor: reading the file and decoding its text, nothing else. Medians over repeated runs.
Run with `make bench`.
"""
from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from pathlib import Path

import govaudit
from govaudit.readers._common import decode

ROOT = Path(__file__).resolve().parents[1]
REPEAT = int(os.environ.get("BENCH_REPEAT", "30"))


def median_seconds(fn) -> float:
    fn()                                   # warm up imports and caches
    times = []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    files = sorted((ROOT / "data" / "samples").glob("*.txt"))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.platform()}; median of {REPEAT} runs")
    print(f"{'file':<40} {'floor ms':>9} {'load ms':>9} {'load+check ms':>14} {'ratio':>7}")
    for f in files:
        floor = median_seconds(lambda: decode(f, f.read_bytes()))
        load = median_seconds(lambda: govaudit.load(f))
        full = median_seconds(lambda: govaudit.check(govaudit.load(f)))
        print(f"{f.name:<40} {floor * 1e3:>9.3f} {load * 1e3:>9.2f} {full * 1e3:>14.2f} {full / floor:>7.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
