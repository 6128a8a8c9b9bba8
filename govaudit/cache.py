"""Parsed reports cached by the file's sha256, so a re-run parses only new or changed files.

One pickle per file under the cache directory, named by the file's sha256 and a
fingerprint of the parser's own source: upgrading govaudit (or editing the parser)
invalidates every entry. Pickle, not Parquet: a Report is three small frames plus
dicts, and Parquet would add pyarrow (~100 MB) to the install for no gain here.
Writes are atomic (temp file + rename), so a killed run leaves no torn entry.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from functools import lru_cache
from pathlib import Path

_PARSER_SOURCES = ("parse.py", "tokens.py", "template.py", "numbers.py", "document.py", "report.py",
                   "reconcile.py", "readers")


def default_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "govaudit"


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """A hash of the parser's source files: a new parser never reads an old entry."""
    root = Path(__file__).parent
    h = hashlib.sha256()
    for name in _PARSER_SOURCES:
        p = root / name
        for f in sorted(p.rglob("*.py")) if p.is_dir() else [p]:
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:12]


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _entry(cache_dir: Path, sha: str) -> Path:
    return Path(cache_dir) / f"{sha}-{fingerprint()}.pkl"


def get(cache_dir: Path, sha: str):
    entry = _entry(cache_dir, sha)
    try:
        with open(entry, "rb") as f:
            return pickle.load(f)
    except FileNotFoundError:
        return None
    except Exception:     # a corrupt entry is a miss, never an error
        return None


def put(cache_dir: Path, sha: str, report) -> None:
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(report, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, _entry(cache_dir, sha))
    except OSError:
        Path(tmp).unlink(missing_ok=True)     # a full disk must not fail the run: the cache is optional
