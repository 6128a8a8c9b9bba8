"""A folder against the store: what is new or changed since its latest run, and the check that records a new one.

Pages read findings from the store and never re-read a folder to show it. A folder needs checking when
its listing (path, size, modification time) differs from what its latest run recorded. The check is a
full one with the parse cache (unchanged files are cache hits), because cross-year and corpus rules must
see the whole folder; the new or changed files are parsed first, in small groups, so progress can be told.

``python -m govaudit.folder DIR`` runs that check for the workbench (database from GOVAUDIT_DB_URL or
``--db``) and prints ``progress DONE TOTAL`` lines, then ``done RUN`` (0: nothing had changed). One
check per folder at a time (a lock file in the cache folder): a second one waits, then finds nothing to do.
"""
from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import sys
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from . import cache, store
from .batch import report_files
from .outofcore import check_files
from .errors import GovauditError

GROUP = 8          # new or changed files parsed per step of the progress count


def listing(paths) -> dict[str, tuple]:
    """Every file a check would read or list as unreadable, by absolute path: (size, mtime_ns) or (None, None)."""
    errors: list[dict] = []
    files = report_files(paths, errors)
    out = {os.path.abspath(e["path"]): (None, None) for e in errors}
    for p in files:
        try:
            st = os.stat(p)
            out[os.path.abspath(p)] = (st.st_size, st.st_mtime_ns)
        except OSError:            # gone or unreadable since listed: the check says why
            out[os.path.abspath(p)] = (None, None)
    return out


def differences(now: dict[str, tuple], recorded: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(files new or changed since the recorded run, files the run had that are gone)."""
    before = {r["path"]: (_int(r["size"]), _int(r["mtime_ns"])) for r in recorded.to_dict("records")}
    changed = [p for p, stamp in now.items() if before.get(p, ()) != stamp]
    return changed, sorted(set(before) - set(now))


def _int(v):
    return None if v is None or pd.isna(v) else int(v)


def file_records(now: dict[str, tuple], corpus) -> list[dict]:
    """What a run records of each file: the stamp listed before reading, and its report or why it was not read."""
    records = {}
    for r in corpus:
        path = os.path.abspath(r.meta["source"])
        records[path] = {"path": path, "sha256": r.meta.get("sha256"), "report": r.id}
    for e in corpus.errors:
        path = os.path.abspath(e["path"])
        records[path] = {"path": path, "error": e["reason"]}
    for path, rec in records.items():
        rec["size"], rec["mtime_ns"] = now.get(path) or _stat(path)
    return list(records.values())


def _stat(path: str) -> tuple:
    try:
        st = os.stat(path)
        return st.st_size, st.st_mtime_ns
    except OSError:
        return None, None


@contextmanager
def _one_check_at_a_time(folder: Path, cache_dir: Path, waiting=None):
    cache_dir.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha1(str(folder).encode("utf-8")).hexdigest()[:16]
    with open(cache_dir / f"check-{name}.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting:
                waiting()
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def check_folder(folder, db: store.Store, *, cache_dir=None, progress=None, waiting=None) -> int | None:
    """Check the folder and record a run when it differs from its latest one; the run's id, or None."""
    from .api import iter_load

    folder = Path(os.path.abspath(folder))
    cache_dir = Path(cache_dir or cache.default_dir())
    with _one_check_at_a_time(folder, cache_dir, waiting):
        now = listing(folder)
        changed, gone = differences(now, db.checked_files(folder))
        if not changed and not gone:
            return None
        readable = [p for p in changed if now[p] != (None, None)]    # never open what the listing refused (a pipe)
        for start in range(0, len(readable), GROUP):
            if progress:
                progress(start, len(readable))
            for _ in iter_load(readable[start:start + GROUP], cache_dir=cache_dir, progress=False, errors=[]):
                pass                            # parsed into the cache; the whole check below reads it from there
        if progress:
            progress(len(readable), len(readable))
        summaries, findings = check_files(folder, cache_dir=cache_dir, progress=False)     # out of core, cached
        return db.record_run(findings, list(summaries), files=file_records(now, summaries))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m govaudit.folder", description="检查目录中新增或改动的文件并记入审核数据库")
    ap.add_argument("folder")
    ap.add_argument("--db", metavar="URL")
    args = ap.parse_args(argv)

    def say(line: str) -> None:
        print(line, flush=True)

    try:
        with store.open(args.db) as db:
            run = check_folder(args.folder, db, progress=lambda done, total: say(f"progress {done} {total}"),
                               waiting=lambda: say("waiting"))
    except GovauditError as e:
        print(f"govaudit: {e}", file=sys.stderr)
        return 2
    say(f"done {run or 0}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
