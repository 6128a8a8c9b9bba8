"""Time to a usable workbench page (cold and with a preheated kernel) and a confirm round trip.

Headless Debian Chromium drives `govaudit app` on the bundled samples, offline.
"Usable" = the findings grid has its rows. Round trip = click 确认问题 until 已保存 shows.
Floor: loading a static Voila resource (voila's JS bundle) from the same server.
With --screenshots DIR, saves the README's pictures of the workbench and the dashboard.
Run with `make bench`.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser import CHROMIUM, CHROMIUM_ARGS, offline, running_app  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_APP_ROUNDS", "5"))


def first_usable(browser, url: str) -> float:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    offline(page)
    t0 = time.perf_counter()
    page.goto(url)
    page.locator("table.dataTable tbody tr").first.wait_for(timeout=120_000)
    elapsed = time.perf_counter() - t0
    page.close()
    return elapsed


def floor(browser, url: str) -> float:
    page = browser.new_page()
    t0 = time.perf_counter()
    page.goto(url + "voila/static/voila.js")
    elapsed = time.perf_counter() - t0
    page.close()
    return elapsed


def round_trip(browser, url: str, rounds: int) -> list[float]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    offline(page)
    page.goto(url)
    page.locator("table.dataTable tbody tr").first.wait_for(timeout=120_000)
    times = []
    for i in range(rounds):
        page.locator("table.dataTable tbody tr").nth(i % 4).click()
        page.get_by_placeholder("审核意见").fill(f"基准测试第{i}次")
        t0 = time.perf_counter()
        page.get_by_role("button", name="确认问题").click()
        page.get_by_text("已保存").wait_for(timeout=30_000)
        times.append(time.perf_counter() - t0)
    page.close()
    return times


def screenshots(browser, data: Path, db: str, out: Path, tmp: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with running_app(data, db, log=tmp / "shot.log") as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        offline(page)
        page.goto(url)
        page.locator("table.dataTable tbody tr", has_text="N-TEXT-SELF").click()
        page.get_by_placeholder("审核意见").fill("已与街道核实：“186条”为低保公示条数，与“发布信息13条”口径不一")
        page.get_by_role("button", name="确认问题").click()
        page.get_by_text("已保存").wait_for(timeout=30_000)
        page.screenshot(path=str(out / "workbench.png"), full_page=True)
        page.close()
    with running_app(data, db, dashboard=True, log=tmp / "shot-dash.log") as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        offline(page)
        page.goto(url)
        page.locator("img.ga-chart").first.wait_for(timeout=120_000)
        page.screenshot(path=str(out / "dashboard.png"), full_page=True)
        page.close()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--screenshots", metavar="DIR")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    data = ROOT / "data" / "samples"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"Chromium headless, offline; median of {ROUNDS}")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        tmp = Path(tmp)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        if args.screenshots:
            screenshots(browser, data, f"sqlite:///{tmp / 'shots.db'}", Path(args.screenshots), tmp)
            print(f"screenshots saved in {args.screenshots}")
            return 0
        db = f"sqlite:///{tmp / 'bench.db'}"
        print(f"{'page':<34} {'median s':>9} {'floor s':>8} {'ratio':>7}")
        for preheat in (False, True):
            with running_app(data, db, preheat=preheat, log=tmp / "app.log") as url:
                first_usable(browser, url)           # the first run also records the check run
                times, floors = [], []
                for _ in range(ROUNDS):
                    if preheat:
                        time.sleep(8)                # let the pool refill: that is the preheated case
                    times.append(first_usable(browser, url))
                    floors.append(floor(browser, url))
                m, f = statistics.median(times), statistics.median(floors)
                print(f"{'first usable page, ' + ('preheated' if preheat else 'cold kernel'):<34} "
                      f"{m:>9.2f} {f:>8.3f} {m / f:>6.0f}x")
                if preheat:
                    rt = statistics.median(round_trip(browser, url, ROUNDS))
                    print(f"{'confirm round trip (click→已保存)':<34} {rt:>9.2f}")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
