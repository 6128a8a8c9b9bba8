"""The 通报 draft and the analysts' notebook on a generated corpus, against floors measured in the same run.

1. 通报: ``bulletin.draft`` of a review round in which every finding of N generated reports
   (benchmarks/make_corpus.py) is confirmed, SQLite. Floor: python-docx writing the same number of
   table rows into a blank document (no layout, no database, no chart). Median of ROUNDS runs.
2. Notebook: notebooks/explore.ipynb executed by nbclient on the same N reports (load, tidy, check,
   three charts), once. Floor: a one-cell notebook that imports govaudit (kernel start and import).
   Also prints the charts' heights in pixels: the top-N charts stay the same size whatever N is.

    python benchmarks/bulletin_notebook.py          # BENCH_NOTEBOOK_REPORTS (default 200), BENCH_ROUNDS (3)
"""
from __future__ import annotations

import base64
import io
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import docx  # noqa: E402
import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

import govaudit  # noqa: E402
from govaudit import store  # noqa: E402
from govaudit.bulletin import draft  # noqa: E402
from make_corpus import make_corpus  # noqa: E402

REPORTS = int(os.environ.get("BENCH_NOTEBOOK_REPORTS", "200"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
NOTEBOOK = ROOT / "notebooks" / "explore.ipynb"


def median_time(fn, rounds: int = ROUNDS) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def confirmed_round(corpus_dir: Path, url: str) -> int:
    corpus = govaudit.load_many(corpus_dir, progress=False)
    with store.open(url, user="bench") as db:
        db.record_run(govaudit.check(corpus), list(corpus))
        work = db.worklist()
        for rec in work.itertuples():
            db.review(rec.id, report=rec.report, status="已确认", note="基准测试", rectification="整改中")
    return len(work)


def blank_docx_floor(rows: int) -> None:
    doc = docx.Document()
    table = doc.add_table(rows=1, cols=6)
    for _ in range(rows):
        for cell in table.add_row().cells:
            cell.text = "问题"
    doc.save(io.BytesIO())


def run_notebook(nb, env: dict[str, str]) -> None:
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        NotebookClient(nb, timeout=1800, kernel_name="python3",
                       resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def chart_heights(nb) -> list[int]:
    import matplotlib.image as mpimg
    heights = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "image/png" in out.get("data", {}):
                heights.append(mpimg.imread(io.BytesIO(base64.b64decode(out["data"]["image/png"]))).shape[0])
    return heights


def main() -> int:
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{REPORTS} generated reports, {ROUNDS} rounds (a shared machine: compare the ratios)")
    with tempfile.TemporaryDirectory() as tmp:
        corpus_dir, url = Path(tmp) / "reports", f"sqlite:///{Path(tmp) / 'reviews.db'}"
        make_corpus(corpus_dir, REPORTS)
        problems = confirmed_round(corpus_dir, url)
        with store.open(url, readonly=True) as db:
            bulletin = median_time(lambda: draft(db, io.BytesIO()))
        floor = median_time(lambda: blank_docx_floor(problems))
        print(f"通报 draft, {problems} confirmed problems: {bulletin * 1000:.0f} ms; "
              f"floor (blank python-docx, same rows) {floor * 1000:.0f} ms; ratio {bulletin / floor:.1f}")

        env = {"GOVAUDIT_DATA": str(corpus_dir), "GOVAUDIT_DB_URL": f"sqlite:///{Path(tmp) / 'absent.db'}"}
        nb = nbformat.read(NOTEBOOK, as_version=4)
        t0 = time.perf_counter()
        run_notebook(nb, env)
        notebook = time.perf_counter() - t0
        floor_nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import govaudit")])
        t0 = time.perf_counter()
        run_notebook(floor_nb, env)
        nb_floor = time.perf_counter() - t0
        errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
        print(f"explore.ipynb on {REPORTS} reports: {notebook:.1f} s; floor (kernel + import govaudit) "
              f"{nb_floor:.1f} s; ratio {notebook / nb_floor:.1f}; errors {len(errors)}; "
              f"chart heights {chart_heights(nb)} px")
    return 0


if __name__ == "__main__":
    sys.exit(main())
