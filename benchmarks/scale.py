"""`govaudit check DIR --scheduler` at 10,000 and BENCH_SCALE_N (default 100,000) reports (`make bench`).

For each size: a generated text corpus (benchmarks/make_corpus.py, the usual defect mix), a
LocalCluster of 2 single-threaded worker processes started here, and the CLI run as its own
process (the driver) with ``--scheduler --format csv --out``: cold (empty cache), then again
from the cache. The driver's RSS is sampled every 0.2 s (psutil) for its peak. Floor, in the
same run: reading and decoding every file of the corpus without parsing (one process).

Printed per size: cold and cached seconds, reports/s per worker (cold), per-report cost as a
ratio to the floor, and the driver's peak RSS; then the peak's growth from 10,000 to N.

Environment: BENCH_SCALE_N (default 100000), BENCH_SCALE_QUICK=1 (sizes 200 and 1,000, to try the
harness), BENCH_SCALE_DIR (keep generated corpora there, reused when already made; default: a
temporary directory removed at the end).
"""
from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import psutil  # noqa: E402

from govaudit.readers._common import decode  # noqa: E402
from make_corpus import make_corpus  # noqa: E402

QUICK = os.environ.get("BENCH_SCALE_QUICK") == "1"
SIZES = [200, 1_000] if QUICK else sorted({10_000, int(os.environ.get("BENCH_SCALE_N", "100000"))})
WORKERS = 2
SAMPLE_EVERY = 0.2


def corpus(base: Path, n: int) -> Path:
    """N text reports, generated once per directory (a marker says the corpus is complete)."""
    out = base / f"corpus-{n}"
    done = out / ".complete"
    if not done.exists():
        shutil.rmtree(out, ignore_errors=True)
        t0 = time.perf_counter()
        make_corpus(out, n, layouts=("txt",))
        done.write_text("")
        print(f"  generated {n:,} reports in {time.perf_counter() - t0:.0f} s", flush=True)
    return out


def floor_seconds(data: Path) -> float:
    """Reading and decoding every report file, without parsing."""
    t0 = time.perf_counter()
    for f in sorted(data.glob("*.txt")):
        decode(f, f.read_bytes())
    return time.perf_counter() - t0


def run_driver(command: list[str]) -> tuple[float, int, int]:
    """(seconds, peak RSS in bytes, exit code) of the CLI, its RSS sampled every SAMPLE_EVERY seconds."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    t0 = time.perf_counter()
    proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak, watched = 0, psutil.Process(proc.pid)
    stderr = []
    reader = threading.Thread(target=lambda: stderr.append(proc.stderr.read()), daemon=True)
    reader.start()
    while proc.poll() is None:
        try:
            peak = max(peak, watched.memory_info().rss)
        except psutil.Error:             # it ended between poll and the sample
            break
        time.sleep(SAMPLE_EVERY)
    proc.wait()
    seconds = time.perf_counter() - t0
    reader.join()
    if proc.returncode not in (0, 1):    # 1: findings of severity error, as a corpus with defects has
        sys.exit(f"govaudit check failed ({proc.returncode}): {stderr[0].decode(errors='replace')[-2000:]}")
    return seconds, peak, proc.returncode


def measure(n: int, data: Path, scheduler: str, work: Path) -> dict:
    cache, out = work / f"cache-{n}", work / f"findings-{n}.csv"
    shutil.rmtree(cache, ignore_errors=True)
    command = [sys.executable, "-m", "govaudit.cli", "check", str(data), "--scheduler", scheduler,
               "--format", "csv", "--out", str(out), "--no-progress", "--cache", str(cache)]
    floor = floor_seconds(data)
    cold, cold_peak, _ = run_driver(command)
    cached, cached_peak, _ = run_driver(command)
    findings = sum(1 for _ in out.open(encoding="utf-8-sig")) - 1
    shutil.rmtree(cache, ignore_errors=True)
    return {"n": n, "cold": cold, "cached": cached, "floor": floor, "peak": max(cold_peak, cached_peak),
            "cold_peak": cold_peak, "cached_peak": cached_peak, "findings": findings}


def show(r: dict) -> None:
    n, mib = r["n"], 2**20
    print(f"{n:>8,} {r['cold']:>8.0f} s {r['cached']:>8.0f} s {n / r['cold'] / WORKERS:>12.1f} "
          f"{r['cold'] / n * 1e3:>8.2f} ms {r['floor'] / n * 1e3:>8.3f} ms {r['cold'] / r['floor']:>8.0f}x "
          f"{r['cold_peak'] / mib:>8.0f} MiB {r['cached_peak'] / mib:>8.0f} MiB {r['findings']:>9,}", flush=True)


def main() -> int:
    from dask.distributed import LocalCluster

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"{psutil.virtual_memory().total / 2**30:.0f} GiB, Python {platform.python_version()}; "
          f"sizes {', '.join(f'{n:,}' for n in SIZES)}; {WORKERS} Dask workers x 1 thread (LocalCluster)", flush=True)
    keep = os.environ.get("BENCH_SCALE_DIR")
    base = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="govaudit-scale-"))
    base.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        with LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=None,
                          host="127.0.0.1") as cluster:
            header = (f"{'reports':>8} {'cold':>10} {'cached':>10} {'rep/s/worker':>12} {'per rep':>11} "
                      f"{'floor/rep':>11} {'cold/floor':>9} {'peak cold':>12} {'peak cached':>12} {'findings':>9}")
            for n in SIZES:
                data = corpus(base, n)
                results.append(measure(n, data, cluster.scheduler_address, base))
                if len(results) == 1:
                    print(header)
                show(results[-1])
    finally:
        if not keep:
            shutil.rmtree(base, ignore_errors=True)
    if len(results) == 2:
        small, large = results
        print(f"driver peak RSS, {large['n']:,} / {small['n']:,} reports: {large['peak'] / small['peak']:.2f}x "
              f"for {large['n'] / small['n']:.0f}x the reports (flat would be 1x)")
    print("The machine may be shared: compare the ratios (cold/floor, peak growth), not the seconds.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
