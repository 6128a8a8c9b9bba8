"""The folder check of a page, run beside it: ``python -m govaudit.folder`` in a subprocess.

A subprocess, not a thread: parsing holds the interpreter, and the page's kernel must stay free for
the inspector. A reader thread turns its ``progress``/``waiting``/``done`` lines into calls that run on
the kernel's own event loop, so widgets are only ever changed from the kernel's thread.
"""
from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Callable

log = logging.getLogger("govaudit")


class FolderCheck:
    """Start with :meth:`start`; ``on_progress(done, total)`` (total None: waiting for another page's check)
    and, at the end, ``on_done(error)`` with None or the reason in Chinese."""

    def __init__(self, folder: Path, db_url: str, on_progress: Callable, on_done: Callable):
        self.folder, self.db_url = folder, db_url
        self.on_progress, self.on_done = on_progress, on_done
        self.proc: subprocess.Popen | None = None
        self.finished = False          # set on the kernel's loop when on_done is delivered

    def start(self) -> None:
        try:
            self.loop = asyncio.get_running_loop()
        except RuntimeError:
            self.loop = asyncio.get_event_loop()
        env = {**os.environ, "GOVAUDIT_DB_URL": self.db_url}        # not in argv, where `ps` shows it
        self.proc = subprocess.Popen([sys.executable, "-m", "govaudit.folder", str(self.folder)], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     stdin=subprocess.DEVNULL)
        threading.Thread(target=self._read, name="govaudit-folder-check", daemon=True).start()

    @property
    def running(self) -> bool:
        return self.proc is not None and not self.finished

    def _read(self) -> None:
        for line in self.proc.stdout:
            word, *rest = line.split()
            if word == "progress" and len(rest) == 2:
                self._call(self.on_progress, int(rest[0]), int(rest[1]))
            elif word == "waiting":
                self._call(self.on_progress, 0, None)
        err = self.proc.stderr.read()
        code = self.proc.wait()
        if code != 0:
            log.warning("folder check of %s exited with %s: %s", self.folder, code, err[-2000:])
        reason = None if code == 0 else (_last_line(err) or f"检查进程异常退出（{code}）")
        self._call(self._done, reason)

    def _done(self, reason: str | None) -> None:
        self.finished = True
        self.on_done(reason)

    def _call(self, fn, *args) -> None:
        try:
            self.loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:              # the kernel is shutting down: nobody to tell
            pass

    def stop(self) -> None:
        if self.running:
            self.proc.terminate()


def _last_line(text: str) -> str:
    lines = [s for s in text.strip().splitlines() if s.startswith("govaudit:")]
    return lines[-1].removeprefix("govaudit:").strip() if lines else ""
