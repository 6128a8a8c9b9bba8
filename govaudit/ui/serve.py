"""Launch Voila on a govaudit notebook with production flags.

No tracebacks to users, idle kernels culled, a preheated kernel so the page opens
at once, theme/template not overridable from the URL. The data folder and database
reach the kernel through environment variables (its working directory is the
notebook's folder, so paths are made absolute here).
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import sqlalchemy as sa

from .. import store

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def voila_command(notebook: Path, port: int, *, preheat: bool = True) -> list[str]:
    voila = shutil.which("voila", path=str(Path(sys.executable).parent)) or shutil.which("voila")
    base = [voila] if voila else [sys.executable, "-m", "voila"]
    cmd = base + [str(notebook), f"--port={port}", "--no-browser", "--Voila.ip=127.0.0.1",
                  "--show_tracebacks=False", "--Voila.config_file_paths=[]",
                  "--VoilaConfiguration.allow_theme_override=NO", "--VoilaConfiguration.allow_template_override=NO",
                  "--MappingKernelManager.cull_interval=60", "--MappingKernelManager.cull_idle_timeout=900"]
    if preheat:
        cmd += ["--preheat_kernel=True", "--pool_size=1"]
    return cmd


def absolute_url(url: str | None) -> str:
    """The database URL with a relative SQLite path made absolute (from the current directory)."""
    u = sa.engine.make_url(url or store.default_url())
    if u.get_backend_name() == "sqlite" and u.database and not Path(u.database).is_absolute():
        u = u.set(database=str(Path(u.database).resolve()))
    return u.render_as_string(hide_password=False)


def serve(data_dir: Path, db: str | None = None, port: int = 8866, dashboard: bool = False,
          preheat: bool = True) -> None:
    notebook = NOTEBOOKS / ("dashboard.ipynb" if dashboard else "workbench.ipynb")
    url = absolute_url(db)
    if dashboard:
        store.open(url, readonly=True).close()      # fail here, in words, if there is nothing to show
    env = {**os.environ, "GOVAUDIT_DATA": str(Path(data_dir).resolve()), "GOVAUDIT_DB_URL": url}
    name = "督查看板（只读）" if dashboard else "审核工作台"
    print(f"govaudit {name}：http://127.0.0.1:{port}/  （数据目录 {data_dir}，数据库 "
          f"{sa.engine.make_url(url).render_as_string(hide_password=True)}；按 Ctrl+C 退出）", flush=True)
    cmd = voila_command(notebook, port, preheat=preheat)
    os.execve(cmd[0], cmd, env)    # become Voila: a stop signal then reaches it and its kernels, leaving no orphans
