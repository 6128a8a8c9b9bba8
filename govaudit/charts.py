"""Horizontal bar charts as PNG, for the dashboard and the 通报.

Rendered on the server with matplotlib, so the CJK font is the server's (fonts-noto-cjk), never the
viewer's, and the picture is the same on screen, in a screenshot and in Word. Labels never overlap:
bars are horizontal, long labels wrap, the figure grows with the number of bars, and past ``top`` bars
the rest are summed into one "其他" bar. Count axes have integer ticks only.
"""
from __future__ import annotations

import io
import logging
import textwrap

import pandas as pd
from matplotlib import font_manager, rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

log = logging.getLogger("govaudit")

CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "SimHei", "WenQuanYi Zen Hei")
TOP = 12                 # bars shown before the rest become one "其他" bar
LABEL_WIDTH = 12         # characters per label line
NEUTRAL = "#2f5597"


def cjk_fonts() -> list[str]:
    """The installed fonts that can draw Chinese, best first (empty when there is none)."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return [f for f in CJK_FONTS if f in installed]


def top_with_rest(counts: pd.DataFrame, top: int = TOP, rest: str = "其他{n}项", sort: bool = True) -> pd.DataFrame:
    """The ``top`` largest rows by total, then one row summing the others (named by ``rest``)."""
    if sort:
        counts = counts.loc[counts.sum(axis=1).sort_values(ascending=False, kind="stable").index]
    if len(counts) <= top:
        return counts
    shown, others = counts.iloc[:top - 1], counts.iloc[top - 1:]
    return pd.concat([shown, others.sum().to_frame(rest.format(n=len(others))).T])


def cjk_style():
    """Matplotlib settings that draw Chinese with an installed CJK font (used while building and saving)."""
    return rc_context({"font.family": [*cjk_fonts(), "DejaVu Sans"], "font.size": 10})


def hbar_png(counts: pd.DataFrame | pd.Series, title: str, colors: dict | None = None, **options) -> bytes | None:
    """The chart of :func:`hbar_figure` as PNG bytes; None when no CJK font is installed (never tofu)."""
    if not cjk_fonts():
        log.warning("未找到中文字体（请安装 fonts-noto-cjk），不绘制图表")
        return None
    with cjk_style():
        fig = hbar_figure(counts, title, colors, **options)
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    return buf.getvalue()


def hbar_figure(counts: pd.DataFrame | pd.Series, title: str, colors: dict | None = None, *, top: int = TOP,
                rest: str = "其他{n}项", unit: str = "条", sort: bool = True) -> Figure:
    """Stacked horizontal bars (one per row, one colour per column), largest first.

    ``colors`` maps a column to its colour, or for a Series each bar's label to its colour; ``rest``
    names the bar of the rows past ``top``; ``sort=False`` keeps the given order (stages of a process).
    Build it inside :func:`cjk_style`.
    """
    frame = counts.to_frame(unit) if isinstance(counts, pd.Series) else counts
    frame = top_with_rest(frame.fillna(0).astype(int), top, rest, sort)
    per_bar = isinstance(counts, pd.Series)
    labels = ["\n".join(textwrap.wrap(str(label), LABEL_WIDTH)) or "—" for label in frame.index]
    lines = sum(label.count("\n") + 1 for label in labels)
    fig = Figure(figsize=(6.4, 1.2 + 0.28 * lines + 0.12 * len(labels)), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    positions = range(len(frame))[::-1]          # the largest on top
    left = pd.Series(0, index=frame.index)
    for column in frame.columns:
        color = ([(colors or {}).get(label, NEUTRAL) for label in frame.index] if per_bar
                 else (colors or {}).get(column, NEUTRAL))
        ax.barh(list(positions), frame[column], left=left, label=str(column), height=0.6, color=color)
        left = left + frame[column]
    for y, total in zip(positions, left):
        ax.text(total, y, f" {total}", va="center", fontsize=9)
    ax.set_yticks(list(positions), labels)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))     # counts: never a 0.5 tick
    ax.set_xlim(0, max(int(left.max()), 1) * 1.15)
    ax.set_xlabel(unit)
    ax.set_title(title)
    ax.spines[["top", "right"]].set_visible(False)
    if len(frame.columns) > 1:      # below the axis: never over a bar
        fig.legend(loc="outside lower center", ncols=len(frame.columns), frameon=False)
    return fig
