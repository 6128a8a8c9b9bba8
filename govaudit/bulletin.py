"""The 通报 draft a supervisor sends on after a review round (``govaudit report --out 通报.docx``).

Built from the review database, not from a fresh check: only problems an inspector
confirmed (and hand-added flags) are named, grouped by unit, each with its rule, its
place in the report and the inspector's note. Summary figures and a chart come first.
The draft is meant to be edited in Word: its layout follows GB/T 9704-2012 as far as a draft can
(see ``official_docx``: A4, the standard margins, 方正小标宋 title, 仿宋 body, 黑体/楷体 headings, "— 1 —"
page numbers, real Word styles), and the problem tables repeat their header row on every page.
"""
from __future__ import annotations

import io
import logging
from datetime import date
from pathlib import Path

import pandas as pd
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm
from matplotlib import font_manager
from matplotlib.figure import Figure

from . import official_docx
from .export import location, one_per_problem
from .rules import registry
from .store import MANUAL_RULE, Store

log = logging.getLogger("govaudit")

CONFIRMED = "已确认"
_CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "SimHei", "WenQuanYi Zen Hei")
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
    year_text = years_text(checked["year"])
    doc = Document()
    official_docx.apply(doc)
    doc.add_paragraph(title or bulletin_title(checked["year"]), style="Title")
    _body(doc, f"按照政府信息公开工作年度报告审核工作安排，对{numbers['units']}家单位报送的{numbers['reports']}份"
               f"{year_text}年度政府信息公开工作年度报告进行了审核。现将有关情况通报如下。")
    doc.add_paragraph("一、总体情况", style="Heading 1")
    _body(doc, f"系统比对发现疑似问题{numbers['findings']}条（其中错误{numbers['errors']}条），审核人员另行标注问题"
               f"{numbers['flags']}条。经人工核实，确认问题{numbers['confirmed']}条，涉及{numbers['confirmed_units']}"
               f"家单位；排除{numbers['dismissed']}条；尚待核实{numbers['pending']}条。确认的问题中已整改"
               f"{numbers['rectified']}条。")
    if confirmed.empty:
        _body(doc, "经审核，未发现需要通报的问题。")
    else:
        png = chart_png(confirmed)
        if png:
            picture = doc.add_paragraph(style=official_docx.TABLE_TEXT_STYLE)
            picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
            picture.add_run().add_picture(io.BytesIO(png), width=Cm(14))
        doc.add_paragraph("二、存在的问题", style="Heading 1")
        ids = official_docx.style_ids(doc, "Heading 2", official_docx.TABLE_STYLE, official_docx.TABLE_TEXT_STYLE)
        for i, (agency, group) in enumerate(_by_unit(confirmed)):
            unit = doc.add_paragraph(f"（{_numeral(i + 1)}）{agency or '未识别单位'}（{len(group)}条）")
            official_docx.set_style(unit, ids["Heading 2"])
            _problem_table(doc, group, ids)
        doc.add_paragraph("三、工作要求", style="Heading 1")
        _body(doc, "请上述单位对照问题逐项核实整改，于整改期限前更正并重新发布年度报告，"
                   "同时将整改情况报送政务公开工作主管部门。")
    day = day or date.today()
    for line in (issuer, f"{day.year}年{day.month}月{day.day}日"):
        if line:
            signed = _body(doc, line)
            signed.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            signed.paragraph_format.first_line_indent = 0
            signed.paragraph_format.right_indent = official_docx.BODY_SIZE * 4   # 右空四字
    doc.save(out if hasattr(out, "write") else str(out))
    return numbers


def years_text(years: pd.Series) -> str:
    """"2024", or the range "2023—2024" when the round covers several years; "本" when no year was read."""
    found = sorted({int(y) for y in years.dropna()})
    if not found:
        return "本"
    return str(found[0]) if len(found) == 1 else f"{found[0]}—{found[-1]}"


def bulletin_title(years: pd.Series) -> str:
    return f"关于{years_text(years)}年度政府信息公开工作年度报告审核情况的通报"


def _body(doc, text: str):
    return doc.add_paragraph(text, style=official_docx.BODY_STYLE)


def _by_unit(confirmed: pd.DataFrame):
    """Units with the most confirmed problems first; within a unit, errors first."""
    order = confirmed.groupby("agency", dropna=False).size().sort_values(ascending=False, kind="stable")
    for agency in order.index:
        group = confirmed[confirmed["agency"].eq(agency) if pd.notna(agency) else confirmed["agency"].isna()]
        rank = group["severity"].map({s: i for i, s in enumerate(registry.SEVERITIES)})
        yield agency, group.assign(_rank=rank).sort_values(["_rank", "rule"], kind="stable")


def _problem_table(doc, group: pd.DataFrame, ids: dict[str, str]) -> None:
    headers = ("序号", "问题", "规则", "位置", "审核意见", "整改情况")
    widths_cm = (1.2, 4.6, 2.8, 2.6, 2.6, 1.8)          # 15.6 cm: the text area's width
    table = doc.add_table(rows=1, cols=len(headers))
    official_docx.set_table_style(table, ids[official_docx.TABLE_STYLE])
    table.autofit = False
    text_style = ids[official_docx.TABLE_TEXT_STYLE]
    for cell, text in zip(table.rows[0].cells, headers):
        official_docx.set_style(cell.paragraphs[0], text_style)
        cell.paragraphs[0].add_run(text).bold = True
    official_docx.repeat_header_row(table)
    for n, rec in enumerate(group.to_dict("records"), 1):
        also = f"（同一问题另有{rec['symptoms'] - 1}项相关检查结果）" if rec.get("symptoms", 1) > 1 else ""
        values = (str(n), (rec.get("message") or "") + also, _rule_text(rec.get("rule") or ""), location(rec),
                  rec.get("note") or "", _rectification(rec))
        for cell, text in zip(table.add_row().cells, values):
            official_docx.set_style(cell.paragraphs[0], text_style)
            cell.paragraphs[0].add_run(text)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm):
            cell.width = Cm(width)            # Word reads the cell widths, LibreOffice the grid: set both
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
