"""Copy across units of the same year, and text left over from another unit or field."""
from __future__ import annotations

import re

from ..numbers import nfkc
from ._util import is_township, unit_type
from .registry import rule
from .. import template as T
from .similarity import SectionIndex

CROSS_UNIT_THRESHOLD = 0.8
COMPARED = ("overview", "problems")      # the sections compared across units
_FOREIGN_SELF = re.compile(r"我(县|市|区|省|局|委|厅|院)(?![\u4e00-\u9fff]{0,1}(?:委|政府)?(?:要求|部署|统一))")


@rule("C-CROSS-UNIT", severity="warning", category="copy", scope="corpus", title="正文与同年度其他单位报告高度雷同",
      basis="法治蓝皮书：“一些年报出现大范围的跨区域抄袭”；怀化市通知：内容雷同将追究责任")
def c_cross_unit(ctx):
    """A text section ≥ 80 % similar to the same section of another unit's report of the same year."""
    r = ctx.report
    index = ctx.shared.get("copy-index")       # given by an out-of-core run; else built once from the corpus
    if index is None:
        if len(ctx.corpus) < 2:
            return
        index = ctx.shared["copy-index"] = SectionIndex(ctx.corpus, COMPARED)
    for key in COMPARED:
        title = next(t.title for t in T.SECTIONS if t.key == key)
        for other, s in index.similar(r, key, CROSS_UNIT_THRESHOLD):        # in corpus order
            if other.agency == r.agency:
                continue
            yield ctx.find("C-CROSS-UNIT", f"“{title}”部分与{other.agency}同年度报告相似度{s:.0%}",
                           section=key, expected=f"<{CROSS_UNIT_THRESHOLD:.0%}", actual=f"{s:.0%}",
                           evidence=f"对照：{other.meta.get('source', '')}", where=other.agency or "")


@rule("C-FOREIGN-NAME", severity="warning", category="copy", scope="corpus",
      title="报告中出现其他单位的名称或口吻（“我县”“我局”、同批其他单位全称）",
      basis="由文意推出：沿用其他单位（或本单位改名前）报告的文字")
def c_foreign_name(ctx):
    """A township speaks as a county or bureau ("我县的防震减灾工作"); any report names another unit of the
    same batch by its full name (a sibling township, a department's old name left in a renamed unit's report)."""
    r = ctx.report
    if is_township(r.agency):
        for key, text in r.sections.items():
            for m in _FOREIGN_SELF.finditer(nfkc(text)):
                quote = nfkc(text)[max(0, m.start() - 20): m.end() + 20].replace("\n", " ")
                yield ctx.find("C-FOREIGN-NAME", f"{r.agency}的报告中出现“{m.group()}”，疑似沿用其他单位的报告文字",
                               section=key, expected=f"以{r.agency}的口吻", actual=m.group(),
                               evidence=f"原文：“…{quote}…”", where=str(m.start()))
    names = ctx.shared.get("unit-names")
    if names is None:
        names = ctx.shared["unit-names"] = unit_names(ctx.corpus)
    for key, text in r.sections.items():
        for name, pos in _other_units(nfkc(text), names, r.agency):
            quote = nfkc(text)[max(0, pos - 20): pos + len(name) + 20].replace("\n", " ")
            yield ctx.find("C-FOREIGN-NAME", f"{r.agency}的报告中出现另一单位“{name}”的全称，疑似沿用其他单位的报告文字",
                           section=key, expected=r.agency, actual=name, evidence=f"原文：“…{quote}…”",
                           where=f"{name}")


# where a unit's name can end in running text: every such place is tried ("琴台街道办事处" ends after 街道
# and after 办事处; "琴台镇人民政府" after 镇 and after 人民政府)
_UNIT_END = re.compile(r"局|委员会|委|办公室|办事处|街道|乡|镇|人民政府|中心")


def unit_names(corpus) -> tuple[set[str], list[int]]:
    """Full names of the batch's units that are not a region's own government (departments cite theirs),
    and their lengths, longest first (built once per run; ``corpus``: anything with ``.agency``)."""
    names = {r.agency for r in corpus if r.agency and len(r.agency) >= 5 and unit_type(r.agency) != "government"}
    return names, sorted({len(n) for n in names}, reverse=True)


def _other_units(text: str, names: tuple[set[str], list[int]], own: str):
    """(name, position) of each other unit named in ``text``: not the report's own name, nor part of it."""
    known, lengths = names
    seen = set()
    for m in _UNIT_END.finditer(text):
        end = m.end()
        for n in lengths:                      # the longest name that ends here
            name = text[end - n:end] if n <= end else ""
            if name in known and name not in own and own not in name:
                if name not in seen:
                    seen.add(name)
                    yield name, end - n
                break
