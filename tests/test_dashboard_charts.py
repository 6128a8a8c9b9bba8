"""The supervisor's dashboard without a browser: units counted as units, one severity palette, readable charts."""
from __future__ import annotations

import re
import warnings

import pandas as pd
import pytest

import govaudit
from conftest import REAL
from govaudit import store
from govaudit.charts import cjk_fonts, cjk_style, hbar_figure, hbar_png
from govaudit.ui import dashboard
from govaudit.ui.render import SEVERITY_COLORS, STYLE

# three years of one unit (财政金融局) and one year of another (国有资产管理局)
REPORTS = ("pingtan-czj-2019.txt", "pingtan-czj-2020.txt", "pingtan-czj-2021.txt", "ptzhsyqgyz-2019.txt")


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    corpus = govaudit.load_many([REAL / name for name in REPORTS], progress=False)
    url = f"sqlite:///{tmp_path_factory.mktemp('dash') / 'reviews.db'}"
    with store.open(url) as s:
        s.record_run(govaudit.check(corpus), list(corpus))
    with store.open(url, readonly=True) as s:
        yield s.worklist(), s.checked_reports(), url


def test_headline_counts_units_not_reports(db):
    rows, checked, _ = db
    assert rows.report.nunique() == 3                  # the 2020 report has no finding
    text = dashboard._headline(rows, checked)
    assert "单位 <b>2</b> 个（报告 4 份）" in text


def test_a_unit_printed_with_its_city_is_one_unit():
    frame = pd.DataFrame({"agency": ["淮安市洪泽区人民政府", "洪泽区人民政府", None],
                          "report": ["a", "b", "c"]})
    assert list(dashboard.units_of(frame)) == ["洪泽区人民政府", "洪泽区人民政府", "c"]


def test_workbench_and_dashboard_share_the_severity_palette(db):
    assert f".ga-error{{border-color:{SEVERITY_COLORS['error']}}}" in STYLE
    rows, _, _ = db
    with cjk_style():
        pivot = rows.assign(unit=dashboard.units_of(rows)).groupby(["unit", "severity"]).size().unstack(fill_value=0)
        fig = hbar_figure(pivot.rename(columns={"error": "错误", "warning": "警告"}), "各单位问题数",
                          {"错误": SEVERITY_COLORS["error"], "警告": SEVERITY_COLORS["warning"]})
    reds = [p for p in fig.axes[0].patches if _hex(p.get_facecolor()) == SEVERITY_COLORS["error"]]
    assert len(reds) == len(pivot)                    # the 错误 segment of every unit's bar is the workbench red


def test_charts_draw_chinese_without_missing_glyphs(db):
    assert cjk_fonts(), "fonts-noto-cjk is installed by make"
    rows, _, _ = db
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        widgets = [dashboard._chart_by_unit(rows), dashboard._chart_by_category(rows), dashboard._chart_review(rows),
                   dashboard._chart_rectification(rows)]
    messages = [str(w.message) for w in caught]
    assert not [m for m in messages if "missing from font" in m or "Glyph" in m], messages
    for w in widgets:
        assert re.search(r"<img class='ga-chart' alt='[^']+' src='data:image/png;base64,", w.value)


def test_many_units_become_top_bars_and_other_with_integer_ticks_and_no_overlap():
    names = [f"平潭综合实验区第{i}片区管理局" for i in range(30)]
    counts = pd.Series([1 + i % 3 for i in range(30)], index=names)
    with cjk_style():
        fig = hbar_figure(counts, "各单位问题数", rest="其他{n}个单位", top=12)
        few = hbar_figure(counts.iloc[:3], "各单位问题数")
        fig.canvas.draw()
        ax = fig.axes[0]
        labels = [t for t in ax.get_yticklabels() if t.get_text()]
        lowest = min(labels, key=lambda t: t.get_position()[1])
        assert len(labels) == 12 and lowest.get_text() == "其他19个单位"
        boxes = [t.get_window_extent() for t in labels]
        assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
        assert all(float(t).is_integer() for t in ax.get_xticks())
    assert fig.get_figheight() > few.get_figheight()          # the figure grows with the number of bars


def test_small_counts_have_no_half_ticks():
    with cjk_style():
        fig = hbar_figure(pd.Series([0, 1, 0], index=["待核实", "已确认", "已排除"]), "审核进度", sort=False)
        fig.canvas.draw()
        ticks = fig.axes[0].get_xticks()
        shown = sorted(fig.axes[0].get_yticklabels(), key=lambda t: -t.get_position()[1])
        assert [t.get_text() for t in shown] == ["待核实", "已确认", "已排除"]      # top to bottom, as given
    assert all(float(t).is_integer() for t in ticks)
    assert hbar_png(pd.Series([2], index=["错误"]), "x").startswith(b"\x89PNG")


def _hex(rgba) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgba[:3])


def test_dashboard_builds_when_nothing_is_confirmed_yet(db):
    page = dashboard.build(db[2])
    assert "看板出错" not in page.children[0].value
    charts = [c for box in page.children[1:3] for c in box.children]
    assert all("<img class='ga-chart'" in c.value for c in charts)


def test_a_chart_is_redrawn_only_when_its_numbers_change():
    """A preheated dashboard draws its charts before the request; the page reuses a picture only for equal numbers."""
    counts = pd.Series({"甲单位": 3, "乙单位": 1})
    first = dashboard._hbar(counts, "各单位问题数")
    assert dashboard._hbar(counts.copy(), "各单位问题数") is first
    changed = dashboard._hbar(pd.Series({"甲单位": 3, "乙单位": 2}), "各单位问题数")
    assert changed is not first and changed != first
    assert dashboard._hbar(counts, "问题类别") is not first          # the title is drawn too
