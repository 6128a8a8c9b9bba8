"""Peak memory of ``govaudit check`` itself (the driver), apart from its pool workers.

    python benchmarks/check_memory.py DIR [govaudit check options...]

Runs the CLI in this process (output to /dev/null) and prints one JSON line: seconds, the driver's peak
RSS (VmHWM) and the largest worker's peak RSS (RUSAGE_CHILDREN), in MiB.
"""
from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path


def peak_rss_mib() -> float:
    line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def main() -> int:
    from govaudit import cli

    t0 = time.perf_counter()
    with open(os.devnull, "w") as null:
        stdout, sys.stdout = sys.stdout, null
        try:
            code = cli.main(["check", *sys.argv[1:], "--format", "json", "--no-progress"])
        finally:
            sys.stdout = stdout
    print(json.dumps({"exit": code, "seconds": round(time.perf_counter() - t0, 2),
                      "driver_peak_mib": round(peak_rss_mib(), 1),
                      "worker_peak_mib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
