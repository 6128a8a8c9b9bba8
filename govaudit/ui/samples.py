"""A first workbench page: the reports of a folder, each one's three tables and parse warnings."""
from __future__ import annotations

import html
from pathlib import Path

import ipywidgets as W

from .. import template as T
from ..api import load_many
from ..checks import check

_SEVERITY = {"error": "错误", "warning": "警告", "info": "提示"}


def _esc(v) -> str:
    return html.escape("" if v is None else str(v))


def _table_html(df) -> str:
    # to_html escapes cell text; NA shows as 空 (never 0)
    return df.astype(object).where(df.notna(), "空").to_html(classes="ga-table", border=0, escape=True)


def _findings_html(findings) -> str:
    if findings.empty:
        return "<p>未发现问题。</p>"
    rows = "".join(f"<tr><td>{_esc(_SEVERITY.get(f.severity, f.severity))}</td><td>{_esc(f.rule)}</td>"
                   f"<td>{_esc(f.message)}</td><td>{_esc(f.evidence)}</td></tr>" for f in findings.itertuples())
    return ("<table class='ga-table'><tr><th>级别</th><th>规则</th><th>问题</th><th>依据</th></tr>"
            f"{rows}</table>")


def build(data_dir: str | Path) -> W.Widget:
    """The whole page as one widget."""
    corpus = load_many(data_dir, progress=False)
    findings = check(corpus) if len(corpus) else None
    status = W.HTML(f"<b>{_esc(data_dir)}</b>：共 {len(corpus)} 份报告"
                    + (f"，{len(corpus.errors)} 份无法读取" if corpus.errors else ""))
    if not len(corpus):
        errors = "".join(f"<li>{_esc(e['message'])}</li>" for e in corpus.errors)
        return W.VBox([status, W.HTML(f"<ul>{errors}</ul>")])
    options = [(f"{r.agency or r.meta['source']} {r.year or ''}", i) for i, r in enumerate(corpus)]
    picker = W.Dropdown(options=options, description="报告", layout=W.Layout(width="60%"))
    body = W.HTML()

    def show(_=None):
        r = corpus[picker.value]
        f = findings[findings["report"] == r.id] if findings is not None else None
        warnings = "".join(f"<li>{_esc(w['message'])}</li>" for w in r.warnings) or "<li>无</li>"
        parts = [f"<h3>{_esc(r.meta.get('title'))}</h3>",
                 f"<p>模板：{_esc(r.template)}版　来源：{_esc(r.meta.get('source'))}</p>",
                 "<h4>审核发现</h4>", _findings_html(f) if f is not None else "",
                 "<h4>未能读取的内容</h4>", f"<ul>{warnings}</ul>"]
        for key in ("active", "requests", "appeals"):
            parts += [f"<h4>{T.TABLE_NAMES[key]}</h4>", _table_html(r.table(key))]
        body.value = "".join(parts)

    picker.observe(show, names="value")
    show()
    style = W.HTML("<style>.ga-table{border-collapse:collapse;font-size:13px}"
                   ".ga-table td,.ga-table th{border:1px solid #ccc;padding:2px 6px}</style>")
    return W.VBox([style, status, picker, body])
