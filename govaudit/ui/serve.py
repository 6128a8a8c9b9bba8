"""Launch Voila on a govaudit notebook, with production flags (no tracebacks, kernel culling)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def voila_command(notebook: Path, port: int) -> list[str]:
    voila = shutil.which("voila", path=str(Path(sys.executable).parent)) or shutil.which("voila")
    base = [voila] if voila else [sys.executable, "-m", "voila"]
    return base + [str(notebook), f"--port={port}", "--no-browser", "--Voila.ip=127.0.0.1",
                   "--show_tracebacks=False", "--Voila.config_file_paths=[]",
                   "--MappingKernelManager.cull_interval=60",
                   "--MappingKernelManager.cull_idle_timeout=900"]


def serve(data_dir: Path, db: str | None = None, port: int = 8866, dashboard: bool = False) -> int:
    notebook = NOTEBOOKS / ("dashboard.ipynb" if dashboard else "workbench.ipynb")
    env = {**os.environ, "GOVAUDIT_DATA": str(Path(data_dir).resolve())}
    if db:
        env["GOVAUDIT_DB_URL"] = db
    print(f"govaudit 工作台：http://127.0.0.1:{port}/  （数据目录 {data_dir}，按 Ctrl+C 退出）", flush=True)
    try:
        return subprocess.call(voila_command(notebook, port), env=env)
    except KeyboardInterrupt:
        return 0
