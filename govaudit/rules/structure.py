"""Structure and template: sections, tables, rows, labels, title, statistics period."""
from __future__ import annotations

import re

from .. import template as T
from ..numbers import NA_MARKERS
from ._util import row
from .registry import rule

_PARSE_CODES = {"ambiguous-digits", "no-values", "orphan-values", "stray-number", "not-a-number",
                "reading-disagree", "bad-bytes"}


@rule("S-TEMPLATE-VERSION", severity="error", category="structure", title="报告应使用与年度相符的模板",
      basis="2021年及以后适用国办公开办函〔2021〕30号；2019、2020年适用国办公开办函〔2019〕60号（按表二列名判断）")
def s_template_version(ctx):
    """The template (detected by table 二's column markers) matches the report year."""
    r = ctx.report
    if r.year is None:
        return
    expected = "2021" if r.year >= 2021 else "2019" if r.year >= 2019 else None
    if expected and r.meta.get("template_detected_by") == "columns" and r.template != expected:
        yield ctx.find("S-TEMPLATE-VERSION",
                       f"{r.year}年度报告的表二使用了{r.template}版模板的列（应使用{expected}版："
                       f"{'国办公开办函〔2021〕30号' if expected == '2021' else '国办公开办函〔2019〕60号'}）",
                       table="active", expected=expected, actual=r.template)
    if r.template == "2021" and any(d.get("template") == "2019" for d in r.label_deviations):
        yield ctx.find("S-TEMPLATE-VERSION", "表二行名仍为2019版模板的“规范性文件”，2021版模板为“行政规范性文件”",
                       table="active", row="normative_documents", expected="行政规范性文件", actual="规范性文件",
                       severity="warning")
    if r.year >= 2021 and "other" in r.requests.index:
        yield ctx.find("S-TEMPLATE-VERSION", "表三“（六）其他处理”仍为旧模板的一行，2021版模板应分为3个子项",
                       table="requests", row="other", expected="（六）分3项", actual="（六）1行", severity="warning")


@rule("S-SIX-SECTIONS", severity="error", category="structure", title="报告应包含六个部分",
      basis="条例第五十条；国办公开办函〔2021〕30号：“不能遗漏，也不宜泛化”")
def s_six_sections(ctx):
    """All six parts present: 总体情况 … 其他需要报告的事项. A part that is there under other words or
    another number, or without its heading, is a warning about its heading, never a missing part."""
    r = ctx.report
    headings = r.meta.get("section_headings", {})
    for n, s in enumerate(T.SECTIONS, start=1):
        official = T.SECTION_HEADINGS[s.key]
        h = headings.get(s.key)
        if h is None and s.key in r.meta.get("sections_unheaded", ()):
            yield ctx.find("S-SIX-SECTIONS", f"未找到第{s.number}部分“{s.title}”的标题，但相邻部分中有该部分的内容",
                           section=s.key, expected=official, actual="无标题", severity="warning", where="heading")
        elif h is None and s.key not in r.meta.get("sections_found", ()):
            yield ctx.find("S-SIX-SECTIONS", f"缺少第{s.number}部分“{s.title}”（未找到该标题，也未找到该部分内容）",
                           section=s.key, expected=official, actual="缺失")
        elif h is not None and (not h["official"] or h["number"] not in (None, n)):
            yield ctx.find("S-SIX-SECTIONS", f"第{s.number}部分的标题为“{h['text']}”，与模板“{official}”不一致"
                           + ("（编号不同）" if h["number"] not in (None, n) else ""),
                           section=s.key, expected=official, actual=h["text"], severity="warning", where="heading")


@rule("S-TABLES-PRESENT", severity="error", category="structure", title="表二、表三、表四均应列出",
      basis="模板在任何情况下都列出三张统计表，数值为0也应填报")
def s_tables_present(ctx):
    """表二/表三/表四 are printed as tables even when everything is 0."""
    r = ctx.report
    for table in ("active", "requests", "appeals"):
        if table not in r.meta.get("tables_found", ()):
            yield ctx.find("S-TABLES-PRESENT", f"未找到{T.TABLE_NAMES[table]}（{T.appeals_table().title if table == 'appeals' else ''}"
                           .replace("（）", "") + "的数据", table=table, expected="表格", actual="缺失")


@rule("S-ROWS", severity="warning", category="structure", title="表格行应与模板一致（缺行、并行、多出数值）",
      basis="由模板推出：表三2021版25行、2019版23行，每行7列；表四15列")
def s_rows(ctx):
    """Missing rows and rows with more or fewer numbers than the template's columns."""
    r = ctx.report
    for w in r.warnings:
        if w["code"] == "row-missing":
            yield ctx.find("S-ROWS", w["message"], table=w["table"], row=w["row"], expected="有此行", actual="缺失")
        elif w["code"] == "count-mismatch":
            yield ctx.find("S-ROWS", w["message"] + "（可能多出或缺少一列）", table=w["table"], row=w["row"],
                           evidence=f"原文：“{w.get('quote', '')}”", expected=w.get("expected"),
                           actual=w.get("found", w.get("quote")))


@rule("P-PARSE", severity="warning", category="parse", title="未能读取的内容（需人工核对原文）",
      basis="不猜测数值：无法确定归属或拆分的数字不取值")
def p_parse(ctx):
    """Everything the reader or parser could not read, so it is never silently dropped."""
    r = ctx.report
    for i, w in enumerate(r.warnings):
        if w["code"] in _PARSE_CODES:
            yield ctx.find("P-PARSE", w["message"], table=w["table"], row=w["row"], column=w["column"],
                           evidence=f"原文：“{w.get('quote', '')}”" if w.get("quote") else "", where=f"{w['code']}{i}")


@rule("S-BLANK-CELLS", severity="warning", category="structure", title="统计表中有空白或“/”单元格",
      basis="模板要求填报数值，无数据应填0；空白不等于0，本工具不作0处理")
def s_blank_cells(ctx):
    """Blank, "/", "—" or "无" in 表三/表四 cells (kept as NA, reported here)."""
    r = ctx.report
    for table in ("requests", "appeals"):
        df = r.table(table)
        for k in df.index:
            blanks = [c for c in df.columns
                      if r.value(table, k, c) is None
                      and (r.provenance.get((table, k, c)) or {}).get("raw", "?").strip() in NA_MARKERS]
            if blanks:
                names = "、".join(T.column_label(table, c) for c in blanks)
                yield ctx.find("S-BLANK-CELLS", f"{T.TABLE_NAMES[table]}“{row(table, k)}”行的{names}列为空白或“/”，"
                               "应填报数值（无则填0）", table=table, row=k, column=blanks[0] if len(blanks) == 1 else "",
                               expected="数值", actual="空白")


# the template's five topics of 一、总体情况, each by the words any report about it must use
_OVERVIEW_TOPICS = {"主动公开": re.compile(r"主动公开"), "依申请公开": re.compile(r"申请"),
                    "政府信息管理": re.compile(r"管理"), "政府信息公开平台建设": re.compile(r"平台|网站|公众号|新媒体"),
                    "监督保障": re.compile(r"监督|督查|督促|保障|考核|考评|培训|评议|问责")}


@rule("S-OVERVIEW-TOPICS", severity="warning", category="structure",
      title="总体情况应涵盖主动公开、依申请公开、政府信息管理、平台建设、监督保障",
      basis="国办公开办函〔2021〕30号：“总体情况”“主要包括主动公开、依申请公开、政府信息管理、政府信息公开平台建设、监督保障”")
def s_overview_topics(ctx):
    """Each of the five topics is at least named in 一、总体情况 (by the loosest words that can name it, so a
    finding means the topic is absent, never that it is worded otherwise)."""
    text = ctx.report.sections.get("overview")
    if not text or len(text) < 200:
        return      # a missing or stub part is S-SIX-SECTIONS' finding
    for topic, words in _OVERVIEW_TOPICS.items():
        if not words.search(text):
            yield ctx.find("S-OVERVIEW-TOPICS", f"第一部分“总体情况”未涉及“{topic}”", section="overview",
                           expected=topic, actual="未涉及", where=topic)


@rule("S-SEC5-CONTENT", severity="warning", category="structure", title="第五部分应写明存在的问题和改进情况",
      basis="条例第五十条第（四）项“存在的主要问题及改进情况”")
def s_sec5_content(ctx):
    """五 is not empty, not "无", not too short, and names measures (改进/下一步/措施)."""
    r = ctx.report
    text = r.sections.get("problems")
    if text is None:
        return
    compact = re.sub(r"\s+", "", text)
    if len(compact) < 30 or compact in ("无", "无。"):
        yield ctx.find("S-SEC5-CONTENT", f"第五部分内容过少（{len(compact)}字），未写明存在的问题及改进情况",
                       section="problems", expected="问题及改进情况", actual=compact[:30])
    elif not re.search(r"改进|下一步|措施|整改|加强|将", compact):
        yield ctx.find("S-SEC5-CONTENT", "第五部分未写明改进措施", section="problems", expected="改进情况", actual="无")


# a covering letter published in place of the report ends "此函" / "特此函告"
_LETTER_CLOSE = re.compile(r"特此函告|此函(?=\s|$|[^\u4e00-\u9fff])")


@rule("S-TITLE", severity="warning", category="structure", title="标题应为“机关全称+年份+政府信息公开工作年度报告”",
      basis="莆田市2010年通报：“将题目‘年度报告’写成‘工作报告’”")
def s_title(ctx):
    """Title names the agency and year and says 政府信息公开工作年度报告; the report is not a covering letter (函)."""
    r = ctx.report
    title = re.sub(r"\s+", "", r.meta.get("title") or "")
    if not title:
        yield ctx.find("S-TITLE", "未识别到报告标题", section="overview", expected="标题", actual="缺失")
        return
    tail = r.text[-300:]
    if letter := _LETTER_CLOSE.search(tail):
        quote = tail[max(0, letter.start() - 30):letter.end()].strip()
        yield ctx.find("S-TITLE", f"报告以公函形式发布（文末“{letter.group()}”），应发布年度报告本身", section="other",
                       expected="年度报告正文", actual=letter.group(), evidence=f"原文：“…{quote}”", where="letter")
    if "年度报告" not in title:
        yield ctx.find("S-TITLE", f"标题“{title}”未写“年度报告”", section="overview",
                       expected="政府信息公开工作年度报告", actual=title)
    elif r.year is None or not r.agency:
        yield ctx.find("S-TITLE", f"标题“{title}”未写明机关名称或年度", section="overview",
                       expected="机关全称+年份", actual=title)


# 条例第五十条（四）: what only a 人民政府's report must add; each topic by the words reports use for it
_GOVERNMENT_TOPICS = {"工作考核": re.compile(r"考核|考评"), "社会评议": re.compile(r"评议"),
                      "责任追究": re.compile(r"责任追究|追责|问责")}


@rule("S-GOV-EXTRA", severity="warning", category="structure",
      title="人民政府的年度报告应包括工作考核、社会评议和责任追究结果情况",
      basis="条例第五十条（四）：“各级人民政府的政府信息公开工作年度报告还应当包括工作考核、社会评议和责任追究结果情况”")
def s_gov_extra(ctx):
    """A 人民政府's report mentions 工作考核, 社会评议 and 责任追究 (a sentence saying there was none counts).
    Only for units named 人民政府: departments, 街道办事处 and 管委会 are not bound by this sentence."""
    r = ctx.report
    if not re.sub(r"\s+", "", r.agency or "").endswith("人民政府") or r.meta.get("not_text"):
        return
    missing = [topic for topic, words in _GOVERNMENT_TOPICS.items() if not words.search(r.text)]
    if missing:
        yield ctx.find("S-GOV-EXTRA", f"人民政府的年度报告未写{'、'.join(missing)}结果情况（全文未见相关表述）",
                       section="other", expected="工作考核、社会评议和责任追究结果情况", actual="未见" + "、".join(missing))


@rule("S-STAT-PERIOD", severity="warning", category="structure", title="统计期限应与报告年度一致",
      basis="DB51/T 2660—2019 §2.1：“年度报告统计时间段为上一年度1月1日至12月31日”")
def s_stat_period(ctx):
    """The statement of the statistics period names the report year."""
    r = ctx.report
    period = r.meta.get("stat_period")
    if not period or r.year is None:
        return
    start_year = int(period[:4])
    if start_year != r.year:
        yield ctx.find("S-STAT-PERIOD", f"统计期限写为{start_year}年1月1日至12月31日，与报告年度{r.year}年不符",
                       section="overview", expected=f"{r.year}年", actual=f"{start_year}年")


_PLACEHOLDER = re.compile(r"(?<![A-Za-z])(?:XX|xx(?=年|月|日|单位|局))(?![A-Za-z])|××|(?:20|19)[0-9]?[xX×]{1,2}年|"
                          r"（单位名称）|\(单位名称\)|此处填写|请填写|【填写")
# masked on purpose, not left over: a person's name ("申请人张××的申请"), digits of a phone number ("66XX")
_MASKED = re.compile(r"[\u4e00-\u9fff](?:XX|××)(?=[的等、，,。；;）)”\s]|先生|女士|同志|提出|申请)|\d(?:XX|××)")


@rule("C-PLACEHOLDER", severity="error", category="copy", title="残留模板占位文字（XX、××、202X、此处填写）",
      basis="由模板推出：占位文字未替换说明报告未认真编制")
def c_placeholder(ctx):
    """Leftover template placeholders in the text."""
    r = ctx.report
    for m in _PLACEHOLDER.finditer(r.text):
        if m.group() in ("XX", "××") and _MASKED.match(r.text, max(0, m.start() - 1)):
            continue
        quote = r.text[max(0, m.start() - 15): m.end() + 15].replace("\n", " ")
        yield ctx.find("C-PLACEHOLDER", f"正文残留占位文字“{m.group()}”", expected="实际内容", actual=m.group(),
                       evidence=f"原文：“…{quote}…”", where=str(m.start()))


@rule("F-LABEL-EDIT", severity="info", category="formatting", title="表格标签与模板官方措辞不一致",
      basis="由模板推出：行列标签应使用官方措辞")
def f_label_edit(ctx):
    """A row or column label recognised only through a typo or variant."""
    r = ctx.report
    for d in r.label_deviations:
        yield ctx.find("F-LABEL-EDIT", f"{T.TABLE_NAMES[d['table']]}标签“{d['found']}”与模板“{d['official']}”不一致",
                       table=d["table"], row=d["row"], column=d["column"], expected=d["official"], actual=d["found"])
