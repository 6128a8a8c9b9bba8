"""Helpers for driving the Voila pages in Debian's Chromium (browser tests and the app benchmark)."""
from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from pgserver import free_port

CHROMIUM = "/usr/bin/chromium"
# as the machine notes say: without these Chromium keeps calling hosts this network refuses
CHROMIUM_ARGS = ["--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--disable-sync", "--disable-gpu", "--disable-quic"]


class AppURL(str):
    """The app's URL; ``.pid`` is the server process (``govaudit app`` becomes it), ``.port`` its port."""
    pid: int
    port: int


@contextmanager
def running_app(data_dir: Path, db_url: str, *, dashboard: bool = False, preheat: bool = True, log: Path,
                args: list[str] = (), env: dict | None = None):
    """``govaudit app`` in a subprocess (``args`` appended); yields its URL once it answers."""
    port = free_port()
    cmd = [sys.executable, "-m", "govaudit.cli", "app", str(data_dir), "--db", db_url, "--port", str(port)]
    cmd += ["--dashboard"] if dashboard else []
    cmd += [] if preheat else ["--no-preheat"]
    cmd += list(args)
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = AppURL(f"http://127.0.0.1:{port}/")
    url.pid, url.port = proc.pid, port
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"govaudit app exited: {log.read_text()[-2000:]}")
            try:     # a static file: probing the page itself would spend a kernel
                urllib.request.urlopen(url + "voila/static/voila.js", timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def offline(page) -> list[str]:
    """Block every request that leaves the machine; returns the list of what was blocked."""
    blocked: list[str] = []

    def route(r):
        if r.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()
    page.route("**/*", route)
    return blocked


def watch_failures(page) -> list[str]:
    """Every request of the page that failed or got an HTTP error status, as it happens."""
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.url} HTTP {r.status}"))
    return failed


# a worklist row, not the table's "没有符合条件的问题" line (shown while a folder is first checked)
FINDING_ROW = "table.dataTable tbody tr:has(td:not(.dt-empty))"


def open_workbench(page, url: str):
    """Open the workbench and wait until its worklist shows rows."""
    page.goto(url, timeout=120_000)     # served once its kernel has built the page: slow on a busy machine
    page.get_by_text("审核工作台").first.wait_for(timeout=90_000)
    page.locator(FINDING_ROW).first.wait_for(timeout=120_000)
    return page
