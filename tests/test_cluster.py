"""`govaudit check --scheduler` on a real multi-process Dask cluster: a `dask scheduler` and two `dask worker`
processes started from the venv's CLI, as an operator would start them on other machines."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from conftest import REAL, ROOT, SEEDS
from pgserver import free_port

distributed = pytest.importorskip("dask.distributed")
DASK = Path(sys.executable).with_name("dask")


def _start(args: list[str], log: Path) -> subprocess.Popen:
    """A dask CLI process in its own process group (a worker's nanny has a child), importing this checkout."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with log.open("wb") as out:
        return subprocess.Popen([str(DASK), *args], stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT,
                                start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    """End the process group this test started: gently, then for sure."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=wait)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            continue
    try:
        os.killpg(proc.pid, signal.SIGKILL)          # a child the leader left behind
    except ProcessLookupError:
        pass


@contextmanager
def dask_cluster(logs: Path, workers: int = 2):
    """The scheduler's address once every worker has joined; all processes stopped on the way out."""
    address = f"tcp://127.0.0.1:{free_port()}"
    with ExitStack() as stack:
        scheduler = _start(["scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                            "--no-dashboard"], logs / "scheduler.log")
        stack.callback(_stop, scheduler)
        for i in range(workers):
            worker = _start(["worker", address, "--host", "127.0.0.1", "--nworkers", "1", "--nthreads", "1",
                             "--no-dashboard", "--name", f"w{i}", "--death-timeout", "60"], logs / f"worker{i}.log")
            stack.callback(_stop, worker)
        with distributed.Client(address, timeout="60s") as client:
            client.wait_for_workers(workers, timeout=120)
        yield address


def _executed(address: str) -> dict[str, int]:
    """Tasks each worker has run, by worker name."""
    with distributed.Client(address, timeout="30s") as client:
        counts = client.run(lambda dask_worker: (dask_worker.name, dask_worker.state.executed_count))
    return dict(counts.values())


def test_check_on_a_scheduler_and_two_worker_processes_equals_a_local_run(tmp_path):
    command = [sys.executable, "-m", "govaudit.cli", "check", str(REAL), str(SEEDS), "--format", "json",
               "--no-progress", "--no-cache"]
    local = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert local.returncode in (0, 1), local.stderr
    with dask_cluster(tmp_path) as address:
        before = _executed(address)
        assert before == {"w0": 0, "w1": 0}
        started = time.monotonic()
        remote = subprocess.run(command + ["--scheduler", address], capture_output=True, text=True, timeout=600,
                                cwd=ROOT)
        ran = _executed(address)
    assert remote.returncode == local.returncode, remote.stderr
    findings = json.loads(remote.stdout)
    assert findings == json.loads(local.stdout) and len(findings) > 0
    files = len(list(REAL.iterdir())) + len(list(SEEDS.iterdir()))
    # every file read by a worker once (pass 1), every report checked against last year's and the corpus once
    # (pass 2: the corpus rules apply to every report)
    assert sum(ran.values()) == 2 * files, (ran, time.monotonic() - started)
    assert min(ran.values()) > 0, ran                                          # and both workers took part
    for log in tmp_path.glob("*.log"):
        assert "Traceback" not in log.read_text(errors="replace"), log.name


def test_the_cli_client_keeps_few_message_batches():
    """The client's link to the scheduler logs its last message batches (a block's task graph each); at
    Dask's default of 1,000 that log held ~40 MiB of the driver at 100,000 reports."""
    import dask

    from govaudit.cli import DASK_MESSAGE_LOG, _dask_client

    default = dask.config.get("distributed.admin.low-level-log-length")
    with distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
        client = _dask_client(cluster.scheduler_address)
        try:
            assert client.scheduler_comm.recent_message_log.maxlen == DASK_MESSAGE_LOG < default
        finally:
            client.close()
            dask.config.set({"distributed.admin.low-level-log-length": default})
