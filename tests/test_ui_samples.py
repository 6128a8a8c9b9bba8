"""The first workbench page, built in-process (the browser tests come with the full workbench)."""
import pytest

from conftest import SAMPLES

W = pytest.importorskip("ipywidgets")


def test_page_lists_samples_and_shows_tables_and_findings():
    from govaudit.ui.samples import build
    page = build(SAMPLES)
    picker = next(c for c in page.children if isinstance(c, W.Dropdown))
    body = page.children[-1]
    assert len(picker.options) == 5
    picker.value = next(v for label, v in picker.options if label.startswith("天坛"))
    assert "S-ROWS" in body.value and "表四" in body.value and "16个数值" in body.value


def test_report_text_is_escaped(tmp_path):
    from govaudit.ui.samples import build
    text = (SAMPLES / "qufu-shizhuang-street-2024.txt").read_text(encoding="utf-8")
    text = text.replace("曲阜市时庄街道办事处2024年", "<img src=x onerror=alert(1)>时庄街道办事处2024年", 1)
    (tmp_path / "xss.txt").write_text(text, encoding="utf-8")
    body = build(tmp_path).children[-1].value
    assert "<img src=x" not in body and "&lt;img src=x onerror=alert(1)&gt;" in body
