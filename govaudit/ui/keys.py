"""Keyboard shortcuts for the workbench, and keeping the worklist's page on the selected row.

ipywidgets cannot listen to keys, and itables' grid syncs only ``selected_rows`` back to Python, so this
small anywidget (anywidget already comes with itables: no new dependency) does the browser side: it
listens on the document's keydown and sends an action name to Python, and turns the grid to the page
that shows the row Python selected. It renders as the hint line that tells the keys.
"""
from __future__ import annotations

from typing import Callable

import anywidget
import traitlets

HINT = "快捷键：j/k 或 ↓/↑ 上下条，c 确认，x 排除（在输入框中不生效）"
ACTIONS = ("next", "prev", "confirm", "dismiss")

# Runs in the page. Keys typed into a text box, a dropdown or an editable element are the user's, never ours.
_ESM = r"""
const KEYS = {j: "next", ArrowDown: "next", k: "prev", ArrowUp: "prev", c: "confirm", x: "dismiss"};

function typing(target) {
  return !!target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}

// Only keys meant for the page: nothing focused, or focus inside the workbench (in JupyterLab, j/k/c/x
// pressed on the notebook itself stay the notebook's).
function ours(target) {
  return target === document.body || !!(target && target.closest && target.closest(".ga-workbench"));
}

// The worklist comes first when tabbing through the page.
function markWorklist() {
  const list = document.querySelector(".ga-worklist");
  if (list && !list.hasAttribute("tabindex")) {
    list.setAttribute("tabindex", "1");
    list.setAttribute("aria-label", "问题列表");
  }
  return !!list;
}

// Turn the grid to the page holding data row `row` (its index in the Python worklist); false if not there yet.
function reveal(row) {
  const table = document.querySelector(".ga-worklist table.dataTable");
  const jq = window.$;               // itables puts its jQuery (with DataTables) on window
  if (!table || !jq || !jq.fn || !jq.fn.dataTable) return false;
  const dt = new jq.fn.dataTable.Api(table);
  const at = dt.rows({search: "applied", order: "applied"}).indexes().toArray().indexOf(row);
  if (at < 0) return false;
  const page = Math.floor(at / dt.page.len());
  if (page !== dt.page()) dt.page(page).draw(false);
  const node = dt.row(row).node();
  if (node) node.scrollIntoView({block: "nearest"});
  return true;
}

// The grid may be drawn after this widget (first render) or redrawn just before: retry for a while.
function revealSoon(model) {
  const want = model.get("shown_row") || {};
  if (!Number.isInteger(want.row)) return;
  let tries = 0;
  const current = () => (model.get("shown_row") || {}).n === want.n;     // a newer row supersedes this one
  const attempt = () => { if (current() && !reveal(want.row) && ++tries < 100) setTimeout(attempt, 100); };
  setTimeout(attempt, 50);
}

function render({model, el}) {
  el.classList.add("ga-keys");
  el.textContent = model.get("hint");
  const onKey = (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target) || !ours(e.target)) return;
    if (e.key === "Tab") markWorklist();
    const action = KEYS[e.key];
    if (!action) return;
    e.preventDefault();
    model.send({action});
  };
  const onShown = () => revealSoon(model);
  document.addEventListener("keydown", onKey);
  model.on("change:shown_row", onShown);
  revealSoon(model);
  let tries = 0;
  const timer = setInterval(() => { if (markWorklist() || ++tries > 100) clearInterval(timer); }, 100);
  return () => {
    clearInterval(timer);
    document.removeEventListener("keydown", onKey);
    model.off("change:shown_row", onShown);
  };
}
export default {render};
"""


class KeyShortcuts(anywidget.AnyWidget):
    """The hint line; calls ``on_action(name)`` for a shortcut, with name one of :data:`ACTIONS`."""
    _esm = _ESM
    hint = traitlets.Unicode(HINT).tag(sync=True)
    # state, not a message: the page may render this widget after Python has chosen the row (a link)
    shown_row = traitlets.Dict().tag(sync=True)

    def __init__(self, on_action: Callable[[str], None]):
        super().__init__()
        self._on_action = on_action
        self.on_msg(self._received)

    def _received(self, _widget, content, _buffers) -> None:
        action = content.get("action") if isinstance(content, dict) else None
        if action in ACTIONS:         # a message from the page is checked, never trusted
            self._on_action(action)

    def reveal(self, row: int) -> None:
        """Turn the worklist to the page that shows ``row`` (an index into the Python worklist)."""
        self.shown_row = {"row": int(row), "n": self.shown_row.get("n", 0) + 1}
