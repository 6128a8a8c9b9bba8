"""Speed and memory of load+check, against floors measured in the same run (`make bench`).

1. Per report, by format: the five bundled samples as published (text), written out as
   Word files laid out like the official template (DOCX, tests/wordmaker.py), and those
   converted by LibreOffice (HTML, PDF). Median of REPEAT runs of ``check(load(file))``
   per file, then the median over the files. Floor: reading the file's text without
   parsing it (text/HTML: read and decode; DOCX: unzip word/document.xml; PDF: pdfplumber's
   and pypdfium2's text extraction of every page, the faster of the two). CPU ms is the process's
   CPU time (all threads: for PDF also tabula's JVM), steadier than wall time on a shared machine.
   Under the table, the PDF reader's own floor: every page's objects parsed once as the reader parses
   them, and pdfplumber's own parse of the same pages (pdfminer's slower tokenizer) for comparison.
2. Corpus: 1,000 and 10,000 generated text reports (benchmarks/make_corpus.py), checked by
   ``check_files`` with the process pool as ``govaudit check DIR`` does: cold (empty cache)
   and cached re-run; and streamed by ``iter_load`` from the cache, keeping one number per
   report. Each run is its own process, so its peak memory (VmHWM) is its own.
   Floor: reading and decoding every file, one process.

Environment: BENCH_REPEAT (per-file runs, default 20; PDF at most 5), BENCH_CORPUS_RUNS
(runs per corpus measurement, default 3; the 10,000-report cold run once), BENCH_SIZES
(default "1000,10000"; empty: no corpus runs), BENCH_FORMATS (default "text,DOCX,HTML,PDF").
"""
from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "benchmarks")]

import govaudit  # noqa: E402
from govaudit.readers._common import decode  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", "20"))
CORPUS_RUNS = int(os.environ.get("BENCH_CORPUS_RUNS", "3"))
SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "1000,10000").split(",") if n.strip()]
FORMATS = [f.strip() for f in os.environ.get("BENCH_FORMATS", "text,DOCX,HTML,PDF").split(",") if f.strip()]
TARGETS = {"text ms": 10.0, "PDF ms": 300.0, "1000 cold s": 20.0, "1000 cached s": 3.0}


def median_seconds(fn, repeat: int) -> float:
    return median_wall_cpu(fn, repeat)[0]


def median_wall_cpu(fn, repeat: int) -> tuple[float, float]:
    """Median wall and process CPU seconds of ``fn`` after one warm-up run."""
    fn()                                   # warm up imports, the JVM and caches
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or platform.machine())
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{cpu}, {os.cpu_count()} cores, {ram:.0f} GiB RAM; {platform.platform()}; "
            f"Python {platform.python_version()}, govaudit {govaudit.__version__}")


# --- 1. per report, by format ---------------------------------------------------------------

def format_files(tmp: Path) -> dict[str, list[Path]]:
    from wordmaker import write_docx

    text = sorted((ROOT / "tests" / "fixtures" / "seeds").glob("*.txt"))
    docx = [write_docx(govaudit.load(f), tmp / f"{f.stem}.docx") for f in text]
    files = {"text": text, "DOCX": docx}
    if shutil.which("soffice"):
        for fmt, name in (("html", "HTML"), ("pdf", "PDF")):
            if name not in FORMATS:
                continue
            subprocess.run(["soffice", f"-env:UserInstallation={(tmp / 'lo-profile').as_uri()}", "--headless",
                            "--convert-to", fmt, "--outdir", str(tmp / fmt), *map(str, docx)],
                           check=True, capture_output=True, timeout=600)
            files[name] = [tmp / fmt / f"{f.stem}.{fmt}" for f in docx]
    return files


def read_text_only(path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix == ".docx":
        with zipfile.ZipFile(path) as z:
            z.read("word/document.xml").decode("utf-8")
    elif suffix == ".pdf":
        import pdfplumber
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                page.extract_text()
    else:
        decode(path, path.read_bytes())


def read_text_pdfium(path: Path) -> None:
    import pypdfium2
    pdf = pypdfium2.PdfDocument(path)
    for page in pdf:
        page.get_textpage().get_text_range()
    pdf.close()


def parse_pdf_objects(path: Path) -> None:
    """What the PDF reader cannot do without: every page's objects parsed once, as the reader parses
    them (govaudit/readers/pdf_objects.py: pdfplumber's objects, content streams cut faster)."""
    import pdfplumber
    from govaudit.readers.pdf_objects import parse_page
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            parse_page(page)


def parse_pdf_objects_stock(path: Path) -> None:
    """The same objects as pdfplumber parses them by itself (pdfminer's own tokenizer), for comparison."""
    import pdfplumber
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            page.objects


def pdf_floor(path: Path, repeat: int) -> float:
    floor = median_seconds(lambda: read_text_only(path), repeat)
    try:
        import pypdfium2  # noqa: F401  (installed with pdfplumber, but not promised by it)
    except ImportError:
        return floor
    return min(floor, median_seconds(lambda: read_text_pdfium(path), repeat))


def per_format(tmp: Path) -> list[dict]:
    rows = []
    for name, files in format_files(tmp).items():
        if name not in FORMATS:
            continue
        repeat = min(REPEAT, 5) if name == "PDF" else REPEAT
        full, floor, parse_floor, stock_parse, findings = [], [], [], [], 0
        for f in files:
            full.append(median_wall_cpu(lambda: govaudit.check(govaudit.load(f)), repeat))
            floor.append(pdf_floor(f, repeat) if name == "PDF" else median_seconds(lambda: read_text_only(f), repeat))
            if name == "PDF":
                parse_floor.append(median_wall_cpu(lambda: parse_pdf_objects(f), repeat))
                stock_parse.append(median_wall_cpu(lambda: parse_pdf_objects_stock(f), repeat))
            findings += len(govaudit.check(govaudit.load(f)))
        row = {"format": name, "files": len(files), "runs": repeat,
               "ms": statistics.median(w for w, _ in full) * 1e3, "cpu_ms": statistics.median(c for _, c in full) * 1e3,
               "floor_ms": statistics.median(floor) * 1e3, "findings": findings}
        if parse_floor:
            row["parse_floor_ms"] = statistics.median(w for w, _ in parse_floor) * 1e3
            row["parse_floor_cpu_ms"] = statistics.median(c for _, c in parse_floor) * 1e3
            row["stock_parse_ms"] = statistics.median(w for w, _ in stock_parse) * 1e3
            row["stock_parse_cpu_ms"] = statistics.median(c for _, c in stock_parse) * 1e3
        rows.append(row)
    return rows


# --- 2. corpus throughput, cache, memory -----------------------------------------------------

def corpus_run(kind: str, data: Path, cache: Path) -> dict:
    """One run in a fresh process, so that its peak memory is its own: its seconds and peak memory."""
    out = subprocess.run([sys.executable, __file__, "--corpus-run", kind, str(data), str(cache)], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout)


def _corpus_run_child(kind: str, data: str, cache: str) -> None:
    """check: ``govaudit check DIR`` (holds the corpus); stream: ``iter_load`` keeping one number per report."""
    from govaudit.outofcore import check_files

    t0 = time.perf_counter()
    if kind == "check":
        corpus, findings = check_files(data, progress=False, cache_dir=cache)
        reports, findings = len(corpus), len(findings)
    else:
        totals = [r.value("requests", "new_received", "total") for r in govaudit.iter_load(data, progress=False,
                                                                                           cache_dir=cache)]
        reports, findings = len(totals), None
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "reports": reports, "findings": findings,
                      "rss_mb": peak_rss_mb(),
                      "worker_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: ru_maxrss would carry the parent's over exec)."""
    line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def read_all(data: Path) -> None:
    for f in sorted(data.glob("*.txt")):
        decode(f, f.read_bytes())


def per_corpus(tmp: Path) -> list[dict]:
    from make_corpus import make_corpus

    rows = []
    for n in SIZES:
        data = tmp / f"corpus{n}"
        make_corpus(data, n, seed=7, layouts=("txt",))
        floor = median_seconds(lambda: read_all(data), CORPUS_RUNS)
        cold = []
        for i in range(1 if n >= 10_000 else CORPUS_RUNS):
            cache = tmp / f"cache{n}-{i}"
            cold.append(corpus_run("check", data, cache))
        cached = [corpus_run("check", data, cache) for _ in range(CORPUS_RUNS)]
        streamed = [corpus_run("stream", data, cache) for _ in range(CORPUS_RUNS)]
        for kind, runs in (("check, cold", cold), ("check, cached", cached), ("iter_load, cached", streamed)):
            rows.append({"reports": n, "run": kind, "runs": len(runs), "floor_s": floor,
                         "s": statistics.median(r["seconds"] for r in runs),
                         "rss_mb": max(r["rss_mb"] for r in runs),
                         "worker_rss_mb": max(r["worker_rss_mb"] for r in runs),
                         "findings": runs[0]["findings"]})
        shutil.rmtree(data)
    return rows


# --- the table ---------------------------------------------------------------------------

def main() -> int:
    if sys.argv[1:2] == ["--corpus-run"]:
        _corpus_run_child(*sys.argv[2:5])
        return 0
    print(f"machine: {machine()}\n")
    with tempfile.TemporaryDirectory(prefix="govaudit-bench-") as tmp:
        formats = per_format(Path(tmp))
        print("| format | files | runs | load+check ms (median) | CPU ms | floor ms | ratio | findings |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for r in formats:
            print(f"| {r['format']} | {r['files']} | {r['runs']} | {r['ms']:.1f} | {r['cpu_ms']:.1f} "
                  f"| {r['floor_ms']:.2f} | {r['ms'] / r['floor_ms']:.0f}x | {r['findings']} |")
        for r in formats:
            if "parse_floor_ms" in r:
                print(f"\nPDF reader's own floor (every page's objects parsed once, as the reader does): "
                      f"{r['parse_floor_ms']:.1f} ms (CPU {r['parse_floor_cpu_ms']:.1f} ms); load+check is "
                      f"{r['ms'] / r['parse_floor_ms']:.2f}x of it (CPU {r['cpu_ms'] / r['parse_floor_cpu_ms']:.2f}x). "
                      f"pdfplumber parsing the same pages by itself: {r['stock_parse_ms']:.1f} ms "
                      f"(CPU {r['stock_parse_cpu_ms']:.1f} ms)")
        sys.stdout.flush()
        corpora = per_corpus(Path(tmp))
    print("\n| text reports | run | runs | seconds (median) | per report ms | floor s | ratio "
          "| peak RSS MiB | worker peak MiB | findings |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in corpora:
        print(f"| {r['reports']:,} | {r['run']} | {r['runs']} | {r['s']:.2f} | {r['s'] / r['reports'] * 1e3:.2f} "
              f"| {r['floor_s']:.2f} | {r['s'] / r['floor_s']:.0f}x | {r['rss_mb']:.0f} | {r['worker_rss_mb']:.0f} "
              f"| {'' if r['findings'] is None else r['findings']} |")
    print("\ntargets:")
    measured = {f"{r['format']} ms": r["ms"] for r in formats}
    for r in corpora:
        if r["reports"] == 1000 and r["run"].startswith("check"):
            measured[f"1000 {r['run'][7:]} s"] = r["s"]
    for name, limit in TARGETS.items():
        if name in measured:
            verdict = "met" if measured[name] <= limit else "NOT met"
            print(f"  {name:<14} ≤ {limit:g}: {measured[name]:.2f} ({verdict})")
    for run, note in (("iter_load, cached", "streaming"), ("check, cold", "check holds the corpus")):
        rss = {r["reports"]: r["rss_mb"] for r in corpora if r["run"] == run}
        if len(rss) > 1:
            small, large = min(rss), max(rss)
            print(f"  memory, {note}: peak RSS {rss[small]:.0f} MiB at {small:,} reports, {rss[large]:.0f} MiB at "
                  f"{large:,} (×{rss[large] / rss[small]:.2f} for ×{large / small:.0f} reports)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
