"""Getting around the workbench (issue 15) in a real headless Chromium, offline: the split layout fits the
screen, a link pages the list to its finding, the 搜索 box drives 上一条/下一条, and the keyboard works."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from browser import CHROMIUM, open_workbench
from conftest import REAL
from govaudit import store
from govaudit.ui.workbench import Workbench

if not Path(CHROMIUM).exists():
    pytest.fail("Debian chromium is missing (make test installs it)", pytrace=False)
pytest.importorskip("playwright.sync_api")

PAGE_LENGTH = 10      # the grid's page length (workbench._grid)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """Fourteen real 平潭 reports: over forty problems, so the list has several pages."""
    base = tmp_path_factory.mktemp("navigation")
    data = base / "reports"
    data.mkdir()
    for path in sorted(REAL.glob("pt*.txt"))[:14]:
        shutil.copy(path, data)
    return data, f"sqlite:///{base / 'reviews.db'}", base


@pytest.fixture(scope="module")
def worklist(app, workspace):
    """The worklist's rows in the order the workbench lists them (the app has recorded the run by now)."""
    data, db, _ = workspace
    return Workbench(data, db).rows


def opened(page, url):
    page.set_default_navigation_timeout(120_000)      # a shared 2-core machine: the kernel can be slow to start
    return open_workbench(page, url)


def position(page, text: str):
    page.locator(".widget-label", has_text=re.compile(f"^{re.escape(text)}")).first.wait_for(timeout=30_000)


def in_view(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return (box is not None and box["x"] >= 0 and box["y"] >= 0
            and box["x"] + box["width"] <= size["width"] + 1 and box["y"] + box["height"] <= size["height"] + 1)


def wait_selected_in_view(page) -> None:
    """The selected row comes into view: the grid turns its page and scrolls a moment after the kernel's update."""
    page.wait_for_function("""() => { const r = document.querySelector('.ga-worklist tr.selected');
        if (!r) return false; const b = r.getBoundingClientRect();
        return b.top >= 0 && b.left >= 0 && b.bottom <= innerHeight + 1 && b.right <= innerWidth + 1; }""",
                           timeout=30_000)


@pytest.mark.parametrize("width,height", [(1280, 800), (1920, 1080)])
def test_list_message_and_buttons_fit_without_scrolling_the_page(app, page, width, height):
    page.set_viewport_size({"width": width, "height": height})
    opened(page, app)
    page.get_by_role("button", name="确认问题").wait_for(timeout=30_000)     # the first problem opens by itself
    card = page.locator(".ga-detail .ga-card").first
    rows = page.locator(".ga-worklist table.dataTable tbody tr")
    for part in (rows.first, rows.nth(PAGE_LENGTH - 1), page.locator(".ga-worklist tr.selected"),
                 card.locator("b").first, page.get_by_role("button", name="确认问题"),
                 page.get_by_role("button", name="排除（误报）"), page.get_by_role("button", name="下一条")):
        assert in_view(page, part), part
    assert page.evaluate("document.scrollingElement.scrollHeight <= window.innerHeight + 1")   # no page scroll
    # list | detail, side by side
    assert rows.first.bounding_box()["x"] + rows.first.bounding_box()["width"] <= card.bounding_box()["x"]
    # every header cell on one line (never one character per line)
    lines = page.evaluate("""[...document.querySelectorAll('.ga-worklist thead th')].map(th => {
        const tops = new Set(), walk = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
        for (let t = walk.nextNode(); t; t = walk.nextNode()) {
            const r = document.createRange(); r.selectNodeContents(t);
            for (const c of r.getClientRects()) if (c.width > 0) tops.add(Math.round(c.top));
        }
        return tops.size; })""")
    assert lines and set(lines) == {1}, lines


def test_link_pages_the_list_to_its_finding(app, page, worklist):
    i = PAGE_LENGTH + 3                                  # on the second page
    target = worklist.iloc[i]
    opened(page, f"{app}?finding={target.id}")
    position(page, f"第 {i + 1} / {len(worklist)} 条")
    selected = page.locator(".ga-worklist tr.selected")
    selected.wait_for(timeout=30_000)
    assert target.rule in selected.inner_text() and target.message[:12] in selected.inner_text()
    assert page.get_by_text(f"第 {PAGE_LENGTH + 1}–{2 * PAGE_LENGTH} 条").count() == 1   # the grid's own info
    wait_selected_in_view(page)


def test_search_box_drives_previous_next_and_the_counter(app, page, worklist):
    opened(page, app)
    assert not page.locator(".dt-search").is_visible()        # one search: the grid's own is hidden
    assert page.locator(".ga-worklist th.dt-orderable-asc").count() == 0    # and so is sorting by header
    matching = worklist[worklist.rule.eq("T3-BALANCE")]
    assert 2 <= len(matching) < len(worklist)
    page.get_by_placeholder("单位、规则、问题").fill("t3-balance")        # case does not matter
    page.get_by_placeholder("单位、规则、问题").press("Enter")
    page.wait_for_function(f"document.querySelectorAll('.ga-worklist tbody tr').length === {len(matching)}")
    page.get_by_role("button", name="下一条").click()
    position(page, f"第 1 / {len(matching)} 条")
    page.get_by_role("button", name="下一条").click()
    position(page, f"第 2 / {len(matching)} 条")
    selected = page.locator(".ga-worklist tr.selected")
    assert "T3-BALANCE" in selected.inner_text() and matching.message.iloc[1][:12] in selected.inner_text()
    assert page.locator(".ga-card b").first.inner_text().endswith(matching.message.iloc[1])


def test_keyboard_moves_confirms_and_leaves_text_boxes_alone(app, page, worklist, workspace):
    _, db, _ = workspace
    opened(page, app)
    position(page, f"第 1 / {len(worklist)} 条")
    assert page.get_by_text("快捷键：j/k").is_visible()
    page.keyboard.press("Tab")                                # tabbing starts at the worklist
    assert page.evaluate("!!document.activeElement.closest('.ga-worklist')")
    for key, now in (("j", 2), ("j", 3), ("k", 2), ("ArrowDown", 3), ("ArrowUp", 2)):
        page.keyboard.press(key)
        position(page, f"第 {now} / {len(worklist)} 条")
    for _ in range(PAGE_LENGTH):                              # past the first page: the list follows
        page.keyboard.press("j")
    position(page, f"第 {PAGE_LENGTH + 2} / {len(worklist)} 条")
    wait_selected_in_view(page)
    note = page.get_by_placeholder("审核意见")
    note.click()
    note.press_sequentially("jkxc")                                       # typing: letters, not shortcuts
    assert note.input_value() == "jkxc"
    position(page, f"第 {PAGE_LENGTH + 2} / {len(worklist)} 条")
    page.locator(".ga-detail .ga-card").first.click(position={"x": 4, "y": 4})   # out of the text box
    page.keyboard.press("c")
    page.get_by_text("已保存（已确认").wait_for(timeout=30_000)
    wait_selected_in_view(page)                          # redrawn, still on its page
    target = worklist.iloc[PAGE_LENGTH + 1]
    with store.open(db, readonly=True) as ro:
        review = ro.get_review(target.id, target.report)
    assert (review.status, review.note) == ("已确认", "jkxc")
    page.keyboard.press("x")
    page.get_by_text("已保存（已排除").wait_for(timeout=30_000)
