"""Start a throw-away PostgreSQL server from the machine's binaries (tests and benchmarks)."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path


def _bindir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    return versions[-1].parent if versions else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_postgres():
    """Yield the base URL (``postgresql+psycopg://govaudit@127.0.0.1:PORT``) of a fresh server."""
    bindir = _bindir()
    if bindir is None:
        raise FileNotFoundError("PostgreSQL server binaries not found (make test installs the Debian package postgresql)")
    # not under pytest's tmp dir: that one is private to root, and the server runs as postgres
    base = Path(tempfile.mkdtemp(prefix="govaudit-pg-"))
    data = base / "data"
    prefix = []
    if os.geteuid() == 0:          # PostgreSQL refuses to run as root
        shutil.chown(base, "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    subprocess.run(prefix + [str(bindir / "initdb"), "-D", str(data), "-U", "govaudit", "--auth=trust",
                             "-E", "UTF8", "--locale=C"], check=True, capture_output=True)
    subprocess.run(prefix + [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w",
                             "-o", f"-p {port} -k {base} -c listen_addresses=127.0.0.1", "start"],
                   check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://govaudit@127.0.0.1:{port}"
    finally:
        subprocess.run(prefix + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)
