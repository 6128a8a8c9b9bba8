"""Rules as small declarative objects in a plain dict (in the spirit of pandera's check registry)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

SEVERITIES = ("error", "warning", "info")
SEVERITY_NAMES = {"error": "错误", "warning": "警告", "info": "提示"}
CATEGORY_NAMES = {"arithmetic": "表内计算", "structure": "结构与模板", "narrative": "文字与表格", "cross-year": "跨年度",
                  "copy": "抄袭雷同", "timeliness": "时效", "formatting": "格式", "parse": "无法读取",
                  "manual": "人工标注"}
SCOPES = ("report", "cross-year", "corpus")


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str          # default severity; a rule may lower it for one finding
    category: str
    scope: str
    title: str             # Chinese, one line
    basis: str             # the official wording or derivation it rests on
    func: Callable[..., Iterable]
    needs_text: bool = True  # False: also meaningful for an image-only document (nothing else is)

    @property
    def doc(self) -> str:
        return (self.func.__doc__ or "").strip()


_REGISTRY: dict[str, Rule] = {}


def rule(id: str, *, severity: str, category: str, title: str, basis: str = "", scope: str = "report",
         needs_text: bool = True):
    """Register a rule function: ``fn(ctx) -> Iterable[Finding]``."""
    if severity not in SEVERITIES or scope not in SCOPES:
        raise ValueError(f"bad severity/scope for {id}")

    def deco(fn):
        if id in _REGISTRY:
            raise ValueError(f"rule {id} registered twice")
        _REGISTRY[id] = Rule(id, severity, category, scope, title, basis, fn, needs_text)
        return fn
    return deco


def get(id: str) -> Rule:
    try:
        return _REGISTRY[id]
    except KeyError:
        raise KeyError(f"unknown rule {id!r}; known: {', '.join(sorted(_REGISTRY))}") from None


def all_rules() -> list[Rule]:
    from . import load_all  # noqa: F401  (importing registers them)
    return sorted(_REGISTRY.values(), key=lambda r: (SCOPES.index(r.scope), r.category, r.id))
