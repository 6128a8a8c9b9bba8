"""Official-document layout (GB/T 9704-2012 党政机关公文格式) for a python-docx Document, as far as a draft can.

A4 page, margins 37/35/28/26 mm (top/bottom/left/right), 22 lines in 3号 (fixed 28.9 pt); title 2号
方正小标宋, body 3号 仿宋_GB2312, first-level headings 黑体, second-level 楷体, page numbers "— 1 —" in 4号 宋体,
odd pages right and even pages left, one character in from the edge.

Everything is a real Word style (Title, Heading 1, Heading 2, BODY_STYLE, TABLE_STYLE, TABLE_TEXT_STYLE), so an
editor restyles the draft in one place. Word chooses a font by its name and only when that font is installed;
the official fonts (方正小标宋简体, 仿宋_GB2312, 楷体_GB2312) often are not. Each one therefore gets an
``w:altName`` in the font table naming a font every Chinese Windows has (黑体, 仿宋, 楷体), which Word uses in
its place, and 仿宋 in turn names the free Noto Serif CJK SC. LibreOffice ignores ``w:altName`` and substitutes
through fontconfig: with fonts-noto-cjk installed every CJK name resolves to Noto Sans CJK, so no character is
drawn as an empty box (tests/test_bulletin.py converts the draft to PDF and checks every CJK character's font).
"""
from __future__ import annotations

from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from lxml import etree

# (East Asian font named in the styles, the common font Word uses when it is missing)
TITLE_FONT = ("方正小标宋简体", "黑体")
BODY_FONT = ("仿宋_GB2312", "仿宋")
HEADING1_FONT = ("黑体", "SimHei")
HEADING2_FONT = ("楷体_GB2312", "楷体")
PAGE_NUMBER_FONT = ("宋体", "SimSun")
FREE_FALLBACK = ("仿宋", "Noto Serif CJK SC")     # for an editor without Windows' fonts (fonts-noto-cjk)
LATIN_FONT = "Times New Roman"

TITLE_SIZE, BODY_SIZE, PAGE_NUMBER_SIZE, TABLE_SIZE = Pt(22), Pt(16), Pt(14), Pt(10.5)   # 2号, 3号, 4号, 五号
LINE_PITCH = Pt(28.9)                   # 22 lines fill the 225 mm text area (22 × 28.9 pt = 224.3 mm)
BODY_STYLE, TABLE_STYLE, TABLE_TEXT_STYLE = "通报正文", "通报表格", "通报表格文字"


def apply(doc) -> None:
    """Set the page, the styles, the font fallbacks and the page-number footers of ``doc``."""
    _page(doc.sections[0])
    _styles(doc)
    _font_fallbacks(doc, (TITLE_FONT, BODY_FONT, HEADING1_FONT, HEADING2_FONT, PAGE_NUMBER_FONT, FREE_FALLBACK))
    _page_numbers(doc)


def _page(section) -> None:
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(22)      # puts the page number about 7 mm below the text area


def _styles(doc) -> None:
    styles = doc.styles
    _set_font(styles["Normal"], BODY_FONT[0], BODY_SIZE)
    _spacing(styles["Normal"], line=LINE_PITCH)
    lang = etree.SubElement(styles["Normal"].element.get_or_add_rPr(), qn("w:lang"))
    lang.set(qn("w:val"), "zh-CN")            # proofing and CJK font fallback pick Chinese, not Japanese
    lang.set(qn("w:eastAsia"), "zh-CN")

    body = _paragraph_style(doc, BODY_STYLE)
    _set_font(body, BODY_FONT[0], BODY_SIZE)
    _spacing(body, line=LINE_PITCH)
    body.paragraph_format.first_line_indent = BODY_SIZE * 2          # two characters
    body.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY

    title = styles["Title"]
    _set_font(title, TITLE_FONT[0], TITLE_SIZE)
    _spacing(title, line=Pt(35), after=LINE_PITCH)       # 2号 lines, then one blank 3号 line before the body
    _drop(title.element.pPr, "w:pBdr", "w:contextualSpacing")      # the template's blue rule under the title
    _drop(title.element.rPr, "w:spacing", "w:kern")
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER

    for name, font in (("Heading 1", HEADING1_FONT), ("Heading 2", HEADING2_FONT)):
        heading = styles[name]
        _set_font(heading, font[0], BODY_SIZE)
        _spacing(heading, line=LINE_PITCH)
        heading.paragraph_format.first_line_indent = BODY_SIZE * 2
        heading.paragraph_format.keep_with_next = True

    cell_text = _paragraph_style(doc, TABLE_TEXT_STYLE)
    _set_font(cell_text, BODY_FONT[0], TABLE_SIZE)
    _spacing(cell_text, line=None)
    cell_text.paragraph_format.first_line_indent = 0

    table = styles.add_style(TABLE_STYLE, WD_STYLE_TYPE.TABLE)
    table.base_style = styles["Table Grid"]              # its borders; Word and LibreOffice both resolve basedOn


def _paragraph_style(doc, name: str):
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    style.quick_style = True
    return style


def _set_font(style, east_asian: str, size) -> None:
    """Name the fonts explicitly; the template's theme-font attributes would otherwise win over the names."""
    font = style.font
    font.size, font.bold, font.italic = size, False, False
    font.color.rgb = RGBColor(0, 0, 0)
    rfonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        rfonts.set(qn(attr), LATIN_FONT)
    rfonts.set(qn("w:eastAsia"), east_asian)
    _drop(style.element.rPr, "w:bCs", "w:szCs")         # the template's complex-script sizes


def _spacing(style, *, line, after=0) -> None:
    fmt = style.paragraph_format
    fmt.space_before, fmt.space_after = 0, after
    if line is None:
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    else:
        fmt.line_spacing, fmt.line_spacing_rule = line, WD_LINE_SPACING.EXACTLY


def _drop(element, *tags: str) -> None:
    if element is None:
        return
    for tag in tags:
        for child in element.findall(qn(tag)):
            element.remove(child)


def _font_fallbacks(doc, fonts) -> None:
    """A font-table entry per official font naming the font Word takes when it is not installed (w:altName).

    python-docx keeps the font table as an opaque part, so its XML is parsed, extended and written back.
    """
    part = doc.part.part_related_by(RT.FONT_TABLE)
    table = etree.fromstring(part.blob)
    known = {f.get(qn("w:name")) for f in table.findall(qn("w:font"))}
    for name, fallback in fonts:
        if name in known:
            continue
        entry = etree.SubElement(table, qn("w:font"))
        entry.set(qn("w:name"), name)
        for tag, value in (("w:altName", fallback), ("w:charset", "86"), ("w:family", "auto")):   # 86: GB2312
            etree.SubElement(entry, qn(tag)).set(qn("w:val"), value)
    part._blob = etree.tostring(table, xml_declaration=True, encoding="UTF-8", standalone=True)


def _page_numbers(doc) -> None:
    """"— 1 —" in 4号 宋体: odd pages right, even pages left, one character in (GB/T 9704 7.5)."""
    doc.settings.odd_and_even_pages_header_footer = True
    section = doc.sections[0]
    for footer, align in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
                          (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
        p.alignment = align
        fmt = p.paragraph_format
        fmt.first_line_indent = 0
        fmt.left_indent = PAGE_NUMBER_SIZE if align == WD_ALIGN_PARAGRAPH.LEFT else 0
        fmt.right_indent = PAGE_NUMBER_SIZE if align == WD_ALIGN_PARAGRAPH.RIGHT else 0
        _number_run(p, "— ")
        _page_field(p)
        _number_run(p, " —")


def _number_run(p, text: str):
    run = p.add_run(text)
    run.font.size, run.font.name = PAGE_NUMBER_SIZE, LATIN_FONT
    run.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), PAGE_NUMBER_FONT[0])
    return run


def _page_field(p) -> None:
    """A PAGE field (begin, instruction, separate, a shown "1", end), which Word and LibreOffice update."""
    _field_char(p, "begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    _number_run(p, "").element.append(instr)
    _field_char(p, "separate")
    _number_run(p, "1")
    _field_char(p, "end")


def _field_char(p, kind: str) -> None:
    mark = OxmlElement("w:fldChar")
    mark.set(qn("w:fldCharType"), kind)
    _number_run(p, "").element.append(mark)


def style_ids(doc, *names: str) -> dict[str, str]:
    """The style ids of ``names``, looked up once: python-docx's lookup by name scans every style each time,
    which made a 通报 of 133 problems take seconds for its table cells alone."""
    return {name: doc.styles[name].style_id for name in names}


def set_style(paragraph, style_id: str) -> None:
    """Give ``paragraph`` a style by its id (see ``style_ids``)."""
    paragraph._p.get_or_add_pPr().style = style_id


def set_table_style(table, style_id: str) -> None:
    """Give ``table`` a table style by its id (see ``style_ids``)."""
    table._tbl.tblStyle_val = style_id


def repeat_header_row(table) -> None:
    """Mark the first row as a header row that Word and LibreOffice repeat at the top of every page."""
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)
