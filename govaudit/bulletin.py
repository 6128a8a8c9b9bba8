"""The 通报 draft a supervisor sends on after a review round (``govaudit report --out 通报.docx``).

Built from the review database, not from a fresh check: only problems an inspector
confirmed (and hand-added flags) are named, grouped by unit, each with its rule, its
place in the report and the inspector's note. Summary figures and a chart come first.
The draft is meant to be edited in Word: fonts follow official-document habit
(方正小标宋 title, 仿宋 body), and Word substitutes them where they are not installed.
"""
from __future__ import annotations

import io
import logging
from datetime import date
from pathlib import Path

import pandas as pd
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from matplotlib import font_manager
from matplotlib.figure import Figure

from .export import location, one_per_problem
from .rules import registry
from .store import MANUAL_RULE, Store

log = logging.getLogger("govaudit")

CONFIRMED = "已确认"
_CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "SimHei", "WenQuanYi Zen Hei")
_TITLE_FONT, _BODY_FONT = "方正小标宋简体", "仿宋_GB2312"
_NUMERALS = "一二三四五六七八九十"


def figures(worklist: pd.DataFrame, checked: pd.DataFrame) -> dict:
    """The summary numbers of the round: reports, units, findings by severity and by review status."""
    status = worklist["status"] if not worklist.empty else pd.Series(dtype=object)
    confirmed = worklist[status.eq(CONFIRMED)] if not worklist.empty else worklist
    automatic = worklist[worklist["rule"].ne(MANUAL_RULE)] if not worklist.empty else worklist
    return {
        "reports": int(checked["report"].nunique()),
        "units": int(checked["agency"].replace("", pd.NA).dropna().nunique()),
        "findings": len(automatic),
        "errors": int(automatic["severity"].eq("error").sum()) if len(automatic) else 0,
        "confirmed": len(confirmed),
        "dismissed": int(status.eq("已排除").sum()),
        "pending": int(status.eq("待核实").sum()),
        "flags": int(worklist["rule"].eq(MANUAL_RULE).sum()) if len(worklist) else 0,
        "rectified": int(confirmed["rectification"].eq("已整改").sum()) if len(confirmed) else 0,
        "confirmed_units": int(confirmed["agency"].nunique()) if len(confirmed) else 0,
    }


def chart_png(confirmed: pd.DataFrame) -> bytes | None:
    """A bar chart of confirmed problems by category, or None when no CJK font is installed."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    fonts = [f for f in _CJK_FONTS if f in installed]
    if not fonts:
        log.warning("未找到中文字体（请安装 fonts-noto-cjk），通报中不含图表")
        return None
    counts = (confirmed["category"].map(lambda c: registry.CATEGORY_NAMES.get(c, c))
              .value_counts().sort_values())
    fig = Figure(figsize=(6.0, 0.45 * len(counts) + 1.2), dpi=150)
    ax = fig.add_subplot()
    bars = ax.barh(counts.index, counts.values, color="#2f5597")
    ax.bar_label(bars, labels=[f"{v}条" for v in counts.values], padding=3, fontfamily=fonts)
    for label in ax.get_yticklabels():
        label.set_fontfamily(fonts)
    ax.set_title("经核实确认的问题（按类别）", fontfamily=fonts)
    ax.set_xlim(0, counts.max() * 1.2 + 1)
    ax.xaxis.set_visible(False)
    ax.spines[["top", "right", "bottom"]].set_visible(False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def draft(db: Store, out: str | Path | io.BytesIO, *, title: str | None = None, issuer: str = "",
          day: date | None = None) -> dict:
    """Write the 通报 to ``out`` (a .docx path or a binary file object) and return its summary figures."""
    worklist, checked = one_per_problem(db.worklist()), db.checked_reports()   # one problem, named once
    numbers = figures(worklist, checked)
    confirmed = worklist[worklist["status"].eq(CONFIRMED)] if not worklist.empty else worklist
    years = sorted({int(y) for y in checked["year"].dropna()})
    year_text = "、".join(str(y) for y in years) or "本"
    doc = Document()
    _fonts(doc)
    _centered(doc, title or f"关于{year_text}年度政府信息公开工作年度报告审核情况的通报", Pt(22), _TITLE_FONT)
    doc.add_paragraph(
        f"按照政府信息公开工作年度报告审核工作安排，对{numbers['units']}家单位报送的{numbers['reports']}份"
        f"{year_text}年度政府信息公开工作年度报告进行了审核。现将有关情况通报如下。")
    _heading(doc, "一、总体情况")
    doc.add_paragraph(
        f"系统比对发现疑似问题{numbers['findings']}条（其中错误{numbers['errors']}条），审核人员另行标注问题"
        f"{numbers['flags']}条。经人工核实，确认问题{numbers['confirmed']}条，涉及{numbers['confirmed_units']}家单位；"
        f"排除{numbers['dismissed']}条；尚待核实{numbers['pending']}条。确认的问题中已整改{numbers['rectified']}条。")
    if confirmed.empty:
        doc.add_paragraph("经审核，未发现需要通报的问题。")
    else:
        png = chart_png(confirmed)
        if png:
            doc.add_picture(io.BytesIO(png), width=Cm(14))
        _heading(doc, "二、存在的问题")
        for i, (agency, group) in enumerate(_by_unit(confirmed)):
            _heading(doc, f"（{_numeral(i + 1)}）{agency or '未识别单位'}（{len(group)}条）")
            _problem_table(doc, group)
        _heading(doc, "三、工作要求")
        doc.add_paragraph("请上述单位对照问题逐项核实整改，于整改期限前更正并重新发布年度报告，"
                          "同时将整改情况报送政务公开工作主管部门。")
    day = day or date.today()
    for line in (issuer, f"{day.year}年{day.month}月{day.day}日"):
        if line:
            doc.add_paragraph(line).alignment = 2        # right
    doc.save(out if hasattr(out, "write") else str(out))
    return numbers


def _by_unit(confirmed: pd.DataFrame):
    """Units with the most confirmed problems first; within a unit, errors first."""
    order = confirmed.groupby("agency", dropna=False).size().sort_values(ascending=False, kind="stable")
    for agency in order.index:
        group = confirmed[confirmed["agency"].eq(agency) if pd.notna(agency) else confirmed["agency"].isna()]
        rank = group["severity"].map({s: i for i, s in enumerate(registry.SEVERITIES)})
        yield agency, group.assign(_rank=rank).sort_values(["_rank", "rule"], kind="stable")


def _problem_table(doc, group: pd.DataFrame) -> None:
    headers = ("序号", "问题", "规则", "位置", "审核意见", "整改情况")
    widths_cm = (1.1, 5.0, 3.0, 2.8, 2.8, 2.0)
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.autofit = False
    for cell, text in zip(table.rows[0].cells, headers):
        cell.text = text
        cell.paragraphs[0].runs[0].bold = True
    for n, rec in enumerate(group.to_dict("records"), 1):
        also = f"（同一问题另有{rec['symptoms'] - 1}项相关检查结果）" if rec.get("symptoms", 1) > 1 else ""
        values = (str(n), (rec.get("message") or "") + also, _rule_text(rec.get("rule") or ""), location(rec),
                  rec.get("note") or "", _rectification(rec))
        for cell, text in zip(table.add_row().cells, values):
            cell.text = text
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm):
            cell.width = Cm(width)            # Word reads the cell widths, LibreOffice the grid: set both
            for run in (r for p in cell.paragraphs for r in p.runs):
                run.font.size = Pt(10.5)
    for column, width in zip(table.columns, widths_cm):
        column.width = Cm(width)


def _rule_text(rule_id: str) -> str:
    if rule_id == MANUAL_RULE:
        return MANUAL_RULE
    try:
        return f"{rule_id} {registry.get(rule_id).title}"
    except KeyError:
        return rule_id


def _rectification(rec: dict) -> str:
    text = rec.get("rectification") or ""
    due = rec.get("due_date")
    if due is not None and not pd.isna(due):
        text += f"（期限{due}）"
    if rec.get("state") == "已更正":
        text += "；新版报告已更正"
    return text


def _numeral(n: int) -> str:
    if n <= 10:
        return _NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return (_NUMERALS[tens - 1] if tens > 1 else "") + "十" + (_NUMERALS[ones - 1] if ones else "")


def _fonts(doc) -> None:
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = _BODY_FONT, Pt(16)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), _BODY_FONT)   # python-docx sets only the Latin name


def _centered(doc, text: str, size, font: str) -> None:
    p = doc.add_paragraph()
    p.alignment = 1
    run = p.add_run(text)
    run.font.size, run.font.name = size, font
    run.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)


def _heading(doc, text: str) -> None:
    doc.add_paragraph().add_run(text).bold = True
