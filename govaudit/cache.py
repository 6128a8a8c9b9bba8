"""Parsed reports cached by the file's sha256, so a re-run parses only new or changed files.

One pickle per file under the cache directory, named by the file's sha256, its name
and a fingerprint of the parser's own source: upgrading govaudit (or editing the
parser) invalidates every entry. Beside it, the findings of the per-report rules,
keyed also by the rules' source and the run's rule selection and settings.
Pickle, not Parquet: a Report is three small frames plus dicts, and Parquet would
add pyarrow (~100 MB) to the install for no gain here.
Writes are atomic (temp file + rename), so a killed run leaves no torn entry.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from functools import lru_cache
from pathlib import Path

# every module a parsed report is made with (tests/test_layers.py checks the list against the imports)
_PARSER_SOURCES = ("parse.py", "meta.py", "geometry.py", "sections.py", "tokens.py", "template.py", "numbers.py",
                   "document.py", "report.py", "reconcile.py", "errors.py", "reading.py", "readers")
_RULE_SOURCES = _PARSER_SOURCES + ("checks.py", "summary.py", "rules")


def default_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "govaudit"


@lru_cache(maxsize=2)
def fingerprint(scope: str = "parser") -> str:
    """A hash of the source files behind an entry: a new parser (or rule) never reads an old entry."""
    root = Path(__file__).parent
    h = hashlib.sha256()
    for name in _RULE_SOURCES if scope == "rules" else _PARSER_SOURCES:
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


def report_key(sha: str, path: Path) -> str:
    """The parsed report of these bytes under this file name (a report without an agency is named after its file)."""
    return f"{sha}-{_name(path)}-{fingerprint()}"


def findings_key(sha: str, path: Path, plan: str) -> str:
    """The per-report findings of these bytes for one choice of rules and settings."""
    return f"{sha}-{_name(path)}-{fingerprint('rules')}-{plan}.findings"


def summary_key(sha: str, path: Path) -> str:
    """The compact summary of these bytes (see summary.py): its signatures come from the rules' code."""
    return f"{sha}-{_name(path)}-{fingerprint('rules')}.summary"


def sections_key(sha: str, path: Path) -> str:
    """The text sections copy detection compares, apart from the report (an out-of-core check's candidates)."""
    return f"{sha}-{_name(path)}-{fingerprint()}.sections"


def _name(path: Path) -> str:
    return hashlib.sha1(Path(path).stem.encode("utf-8")).hexdigest()[:8]


def get(cache_dir: Path, key: str):
    """The cached object, or None (a missing or corrupt entry is a miss, never an error)."""
    try:
        return pickle.loads((Path(cache_dir) / f"{key}.pkl").read_bytes())   # one read: pickle.load(f) is 2x slower
    except Exception:
        return None


def put(cache_dir: Path, key: str, obj) -> None:
    cache_dir = Path(cache_dir)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
    except OSError:
        return                                   # an unwritable cache must not fail the run: it is optional
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache_dir / f"{key}.pkl")
    except OSError:
        Path(tmp).unlink(missing_ok=True)
