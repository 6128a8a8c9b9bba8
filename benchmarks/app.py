"""Time to a usable workbench page (cold and with a preheated kernel) and a confirm round trip.

Headless Debian Chromium drives `govaudit app` on the bundled samples, offline.
"Usable" = the findings grid has its rows. Round trip = click 确认问题 until 已保存 shows.
Each page opens in a browser context of its own (a first visit: nothing cached) and is closed as a tab is:
Voila's page then sends its kernel's shutdown. (Closed with its context at once, the request was cancelled,
kernels waited for the idle cull and a run of seven rounds met the kernel cap: 服务繁忙.)
Floor: loading a static Voila resource (voila's JS bundle) from the same server.

Scale: a folder of BENCH_APP_REPORTS (1,000) reports — make_corpus's text/HTML/Markdown plus Word files
(tests/wordmaker), PDFs made from them by LibreOffice and the real PDF — is checked once with
`govaudit check --db`; then the first usable page on it and on a 5-report folder (pages read the store,
so the target is <= 3 s and <= 1.5x the 5-report page), a second tab while the first is open, and the
dashboard. BENCH_APP_REPORTS=0 skips it, BENCH_APP_SAMPLES=0 the samples part; BENCH_APP_ROUNDS sets the
rounds (median).
With --screenshots DIR, saves the README's pictures of the workbench and the dashboard.
Run with `make bench`.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from browser import CHROMIUM, CHROMIUM_ARGS, FINDING_ROW, offline, running_app  # noqa: E402
from run import machine  # noqa: E402

from govaudit.ui.serve import FILL_DELAY  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_APP_ROUNDS", "5"))
REPORTS = int(os.environ.get("BENCH_APP_REPORTS", "1000"))
SAMPLES = os.environ.get("BENCH_APP_SAMPLES", "1") != "0"      # 0: only the scale part
REAL_PDF = ROOT / "tests" / "fixtures" / "real" / "hongze-district-2023.pdf"
REFILL = FILL_DELAY + 8        # seconds for the preheat pool to refill after a page took a kernel


def new_tab(browser, **options):
    return browser.new_context(**options).new_page()


def close_tab(page) -> None:
    page.close(run_before_unload=True)        # Voila's page posts its kernel's shutdown (a beacon)
    time.sleep(1)                             # the beacon leaves before its context goes
    page.context.close()


def first_usable(browser, url: str) -> float:
    page = new_tab(browser, viewport={"width": 1400, "height": 1000})
    offline(page)
    t0 = time.perf_counter()
    page.goto(url, timeout=180_000)
    page.locator(FINDING_ROW).first.wait_for(timeout=120_000)
    elapsed = time.perf_counter() - t0
    close_tab(page)
    return elapsed


def dashboard_ready(browser, url: str) -> float:
    page = new_tab(browser, viewport={"width": 1400, "height": 1100})
    offline(page)
    t0 = time.perf_counter()
    page.goto(url, timeout=180_000)
    page.locator("img.ga-chart").first.wait_for(timeout=180_000)
    elapsed = time.perf_counter() - t0
    close_tab(page)
    return elapsed


def second_tab(browser, url: str) -> float:
    """A second page opened while the first is still open (each takes a preheated kernel)."""
    first = new_tab(browser, viewport={"width": 1400, "height": 1000})
    offline(first)
    first.goto(url, timeout=180_000)
    first.locator(FINDING_ROW).first.wait_for(timeout=120_000)
    elapsed = first_usable(browser, url)
    close_tab(first)
    return elapsed


def floor(browser, url: str) -> float:
    page = browser.new_page()
    t0 = time.perf_counter()
    page.goto(url + "voila/static/voila.js")
    elapsed = time.perf_counter() - t0
    page.close()
    return elapsed


def round_trip(browser, url: str, rounds: int) -> list[float]:
    page = new_tab(browser, viewport={"width": 1400, "height": 1000})
    offline(page)
    page.goto(url, timeout=180_000)
    page.locator(FINDING_ROW).first.wait_for(timeout=120_000)
    times = []
    for i in range(rounds):
        page.locator("table.dataTable tbody tr").nth(i % 4).click()
        page.get_by_placeholder("审核意见").fill(f"基准测试第{i}次")
        t0 = time.perf_counter()
        page.get_by_role("button", name="确认问题").click()
        page.get_by_text("已保存").wait_for(timeout=30_000)
        times.append(time.perf_counter() - t0)
    close_tab(page)
    return times


def screenshots(browser, data: Path, db: str, out: Path, tmp: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "govaudit.cli", "check", str(data), "--db", db, "--no-progress",
                    "--format", "json", "--out", str(tmp / "shot-findings.json")], check=False)
    with running_app(data, db, log=tmp / "shot.log") as url:
        page = new_tab(browser, viewport={"width": 1280, "height": 800})     # an inspector's laptop
        offline(page)
        page.goto(url, timeout=180_000)
        page.locator("table.dataTable tbody tr").first.wait_for(timeout=120_000)
        page.get_by_placeholder("单位、规则、问题").fill("T4-TOTAL 洪泽")          # the real PDF: its page region
        page.get_by_placeholder("单位、规则、问题").press("Enter")
        page.locator("table.dataTable tbody tr", has_text="T4-TOTAL").first.click()
        page.get_by_placeholder("审核意见").fill("已核对原文第4页：行政复议各项结果之和为11，总计填报为0，请单位更正")
        page.get_by_role("button", name="确认问题").click()
        page.get_by_text("已保存").wait_for(timeout=30_000)
        page.locator("img").last.wait_for(timeout=60_000)
        page.screenshot(path=str(out / "workbench.png"))
        close_tab(page)
    with running_app(data, db, dashboard=True, log=tmp / "shot-dash.log") as url:
        page = new_tab(browser, viewport={"width": 1280, "height": 800})
        offline(page)
        page.goto(url, timeout=180_000)
        page.locator("img.ga-chart").first.wait_for(timeout=120_000)
        page.screenshot(path=str(out / "dashboard.png"), full_page=True)
        close_tab(page)


def scale_folder(out: Path, n: int) -> Path:
    """n reports: make_corpus's three layouts, five Word files, PDFs of them (LibreOffice) and the real PDF."""
    import govaudit
    from make_corpus import make_corpus
    from wordmaker import write_docx

    samples = sorted((ROOT / "tests" / "fixtures" / "seeds").glob("*.txt"))
    office = out.parent / "office"
    office.mkdir(parents=True, exist_ok=True)
    docx = [write_docx(govaudit.load(f), office / f"{f.stem}.docx") for f in samples]
    pdfs = [REAL_PDF]
    if shutil.which("soffice"):
        subprocess.run(["soffice", f"-env:UserInstallation={(out.parent / 'lo-profile').as_uri()}", "--headless",
                        "--convert-to", "pdf", "--outdir", str(office), *map(str, docx[:3])],
                       check=True, capture_output=True, timeout=600)
        pdfs += [office / f"{f.stem}.pdf" for f in docx[:3]]
    extra = docx + pdfs
    make_corpus(out, max(n - len(extra), 0))
    for f in extra:
        shutil.copy(f, out / f"zz-{f.name}")
    return out


def check_once(folder: Path, db: str, env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "govaudit.cli", "check", str(folder), "--db", db, "--no-progress",
                    "--format", "json", "--out", os.devnull], env=env, check=False, timeout=3600)
    return time.perf_counter() - t0


def scale(browser, tmp: Path) -> None:
    """First usable page on the checked 1,000-report folder against the 5-report one; second tab; dashboard."""
    big = scale_folder(tmp / "big", REPORTS)
    small = tmp / "small"
    small.mkdir()
    for f in sorted((ROOT / "data" / "samples").glob("*.txt"))[:5]:
        shutil.copy(f, small)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(tmp / "cache")}
    formats = sorted({f.suffix for f in big.iterdir()})
    results = {}
    for name, folder in (("5 reports", small), (f"{REPORTS} reports", big)):
        db = f"sqlite:///{tmp / (folder.name + '.db')}"
        took = check_once(folder, db, env)
        count = sum(1 for _ in folder.iterdir())
        print(f"govaudit check --db on {count} files ({', '.join(formats) if folder is big else '.txt'}): "
              f"{took:.1f} s (once, cold cache)")
        with running_app(folder, db, log=tmp / f"{folder.name}.log", env=env) as url:
            first_usable(browser, url)                     # warm-up: the first page of the server
            times, floors = [], []
            for _ in range(ROUNDS):
                time.sleep(REFILL)                         # the pool refills: the preheated case
                times.append(first_usable(browser, url))
                floors.append(floor(browser, url))
            seconds = []
            for _ in range(max(ROUNDS // 2, 1)):
                time.sleep(REFILL)                         # both preheated kernels ready again
                seconds.append(second_tab(browser, url))
            second = statistics.median(seconds)
        with running_app(folder, db, dashboard=True, log=tmp / f"{folder.name}-dash.log", env=env) as url:
            dashboard_ready(browser, url)
            dash = []
            for _ in range(ROUNDS):
                time.sleep(REFILL)
                dash.append(dashboard_ready(browser, url))
        results[name] = (statistics.median(times), statistics.median(floors), second, statistics.median(dash))
    print(f"{'folder':<16} {'first usable s':>14} {'floor s':>8} {'ratio':>7} {'2nd tab s':>10} {'dashboard s':>12}")
    for name, (m, f, second, dash) in results.items():
        print(f"{name:<16} {m:>14.2f} {f:>8.3f} {m / f:>6.0f}x {second:>10.2f} {dash:>12.2f}")
    (small_t, *_), (big_t, *_) = results.values()
    print(f"first usable page, {REPORTS} vs 5 reports: {big_t / small_t:.2f}x (target <= 1.5x, <= 3 s)")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--screenshots", metavar="DIR")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    data = ROOT / "data" / "samples"
    print(f"machine: {machine()}; Chromium headless, offline; median of {ROUNDS}")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        tmp = Path(tmp)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        if args.screenshots:
            screenshots(browser, data, f"sqlite:///{tmp / 'shots.db'}", Path(args.screenshots), tmp)
            print(f"screenshots saved in {args.screenshots}")
            return 0
        db = f"sqlite:///{tmp / 'bench.db'}"
        print(f"{'page':<34} {'median s':>9} {'floor s':>8} {'ratio':>7}")
        for preheat in (False, True) if SAMPLES else ():
            with running_app(data, db, preheat=preheat, log=tmp / "app.log") as url:
                first_usable(browser, url)           # the first run also records the check run
                times, floors = [], []
                for _ in range(ROUNDS):
                    if preheat:
                        time.sleep(REFILL)           # let the pool refill: that is the preheated case
                    times.append(first_usable(browser, url))
                    floors.append(floor(browser, url))
                m, f = statistics.median(times), statistics.median(floors)
                print(f"{'first usable page, ' + ('preheated' if preheat else 'cold kernel'):<34} "
                      f"{m:>9.2f} {f:>8.3f} {m / f:>6.0f}x")
                if preheat:
                    rt = statistics.median(round_trip(browser, url, ROUNDS))
                    print(f"{'confirm round trip (click→已保存)':<34} {rt:>9.2f}")
        if REPORTS:
            scale(browser, tmp)
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
