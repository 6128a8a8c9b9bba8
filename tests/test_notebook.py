"""notebooks/explore.ipynb, executed headlessly as JupyterLab would run it, on the real reports."""
from __future__ import annotations

import hashlib

import nbformat
import pytest
from nbclient import NotebookClient

import govaudit
from conftest import REAL, ROOT
from govaudit import store

NOTEBOOK = ROOT / "notebooks" / "explore.ipynb"


def _fingerprint(path):
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The notebook run on tests/fixtures/real, with a review database that it may read but not change."""
    db_dir = tmp_path_factory.mktemp("reviews")
    url = f"sqlite:///{db_dir / 'govaudit.db'}"
    some = govaudit.load_many(sorted(REAL.glob("ptzhsyqhtp-202*.txt")), progress=False, workers=1)
    with store.open(url, user="李四") as db:
        db.record_run(govaudit.check(some), list(some))
        first = db.worklist().iloc[0]
        db.review(first.id, report=first.report, status="已确认", note="请核实")
    database, workbench_db = db_dir / "govaudit.db", ROOT / "data" / "govaudit.db"
    before = _fingerprint(database)
    workbench_db_existed = workbench_db.exists()

    nb = nbformat.read(NOTEBOOK, as_version=4)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GOVAUDIT_DATA", str(REAL))
        env.setenv("GOVAUDIT_DB_URL", url)
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()   # JupyterLab's cwd
    assert _fingerprint(database) == before, "the notebook changed the review database"
    # a read-only reader of a WAL database leaves SQLite's index (-shm) and an empty log: nothing was written
    wal = db_dir / "govaudit.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    assert workbench_db.exists() == workbench_db_existed, "the notebook created data/govaudit.db"
    return nb


def _outputs(nb, kind: str) -> list:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == kind]


def _text(nb, stream: str) -> str:
    return "".join(o.text for o in _outputs(nb, "stream") if o.name == stream)


def test_first_cell_is_the_data_parameter():
    first = next(c for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code")
    assert "parameters" in first.metadata.get("tags", [])
    assert 'DATA = os.environ.get("GOVAUDIT_DATA", "data/samples")' in first.source


def test_notebook_runs_without_errors_on_the_real_reports(executed):
    assert _outputs(executed, "error") == []
    assert "读取 47 份报告，0 个文件无法读取" in _text(executed, "stdout")


def test_notebook_shows_tables_and_readable_charts(executed):
    html = "".join(o.data.get("text/html", "") for kind in ("execute_result", "display_data")
                   for o in _outputs(executed, kind))
    for header in ("模板", "新收申请合计", "规则", "单位", "已确认"):     # the tables, the reviews read back
        assert f"<th>{header}</th>" in html or f">{header}</th>" in html, header
    pictures = [o for o in _outputs(executed, "display_data") if "image/png" in o.data]
    assert len(pictures) == 3


def test_notebook_charts_have_every_chinese_glyph(executed):
    stderr = _text(executed, "stderr")
    assert "missing from font" not in stderr and "Glyph" not in stderr
    assert "未找到中文字体" not in _text(executed, "stdout")


def test_notebook_on_an_empty_folder_says_so_without_errors(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GOVAUDIT_DATA", str(tmp_path))
        env.setenv("GOVAUDIT_DB_URL", f"sqlite:///{tmp_path / 'absent.db'}")
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    assert _outputs(nb, "error") == []
    stdout = _text(nb, "stdout")
    assert "读取 0 份报告" in stdout and "年度新收政府信息公开申请数量（按单位）：没有可画的数据" in stdout
    assert "只读模式下找不到审核数据库" in stdout and not (tmp_path / "absent.db").exists()
