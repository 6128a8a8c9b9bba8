"""The rule catalogue. ``registry.all_rules()`` lists them; ``rule`` registers one."""
from __future__ import annotations

from . import registry
from .finding import Finding
from .registry import Rule, rule

_MODULES = ("table2", "table3", "table4", "structure", "narrative", "cross_year", "copy", "timeliness")


def load_all():
    import importlib
    for name in _MODULES:
        importlib.import_module(f"{__name__}.{name}")


load_all()

__all__ = ["registry", "rule", "Rule", "Finding", "load_all"]
