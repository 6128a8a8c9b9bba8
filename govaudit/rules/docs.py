"""Generate docs/rules.md from the registry: ``python -m govaudit.rules.docs > docs/rules.md``."""
from __future__ import annotations

from .registry import SEVERITY_NAMES, all_rules

_SCOPE = {"report": "单份报告", "cross-year": "本年+上年报告", "corpus": "同年度报告集"}


def markdown() -> str:
    rules = all_rules()
    lines = ["# 审核规则目录 (rule catalogue)", "",
             "Generated from the registry by `python -m govaudit.rules.docs`; a test fails when it drifts.",
             f"{len(rules)} rules. Ids follow `../shared/reference/rules.md`.", "",
             "| id | 级别 | 类别 | 范围 | 规则 | 依据 |", "|---|---|---|---|---|---|"]
    for r in rules:
        basis = r.basis.replace("|", "｜")
        lines.append(f"| {r.id} | {SEVERITY_NAMES[r.severity]} | {r.category} | {_SCOPE[r.scope]} | {r.title} | {basis} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
