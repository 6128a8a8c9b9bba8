"""The import graph is one-way (issue 17 item 6): no module imports a module of a higher layer.

Every import counts, at module level or inside a function: a lazy import is still a dependency (the
api <-> batch <-> checks cycle was made of lazy imports).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "govaudit"

# lowest first; a module may import its own layer and the layers before it
LAYERS = [
    ("foundations", {"errors", "numbers", "template", "document", "report", "cache"}),
    ("readers", {"readers"}),
    ("parse", {"tokens", "sections", "geometry", "meta", "reconcile", "parse"}),
    ("reading", {"reading"}),                      # one file: readers then parse
    ("rules", {"rules"}),
    ("runner", {"checks"}),                        # the rules over reports in memory
    ("engine", {"batch", "summary", "spill", "outofcore"}),   # many files: pool or Dask, cache, the out-of-core check
    ("api", {"api"}),
    ("outputs", {"outputs", "export", "store", "migrations", "bulletin", "official_docx", "charts", "folder"}),
    ("ui", {"ui"}),
    ("cli", {"cli"}),
    ("package", {"__init__"}),                     # govaudit/__init__.py: the public names
]


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> int:
    """The layer of ``govaudit.x.y``: by its first name under the package (``rules.copy`` is in rules)."""
    name = module.split(".")[1] if module.count(".") else "__init__"
    found = [i for i, (_, members) in enumerate(LAYERS) if name in members]
    assert len(found) == 1, f"{module} must be listed in exactly one layer"
    return found[0]


def _imports(path: Path) -> set[str]:
    """The govaudit modules ``path`` imports (relative imports resolved; ``from . import x`` names module x)."""
    here = _module(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "govaudit"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "govaudit":
                continue
            submodules = {f"{target}.{a.name}" for a in node.names
                          if (ROOT / Path(*f"{target}.{a.name}".split("."))).with_suffix(".py").exists()
                          or (ROOT / Path(*f"{target}.{a.name}".split("."))).is_dir()}
            out |= submodules or {target}
    return out


def test_every_import_goes_down_the_layers():
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 30
    upward = []
    for path in modules:
        mine = _layer(_module(path))
        for target in _imports(path):
            if _layer(target) > mine:
                upward.append(f"{_module(path)} ({LAYERS[mine][0]}) imports {target} "
                              f"({LAYERS[_layer(target)][0]})")
    assert not upward, "\n".join(upward)


def test_the_former_cycle_is_gone():
    """checks (the rule runner) imports neither the engine nor the API, the engine not the API."""
    imports = {_module(p): _imports(p) for p in PACKAGE.glob("*.py")}
    assert not {"govaudit.api", "govaudit.batch"} & imports["govaudit.checks"]
    assert "govaudit.api" not in imports["govaudit.batch"]
    assert {"govaudit.batch", "govaudit.checks"} <= imports["govaudit.api"]



def _closure(*modules: str) -> set[str]:
    """The package's top-level modules that ``modules`` import, directly or not."""
    seen, todo = set(), list(modules)
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        path = ROOT / Path(*module.split("."))
        todo += sorted(_imports(path / "__init__.py" if path.is_dir() else path.with_suffix(".py")))
    return {m.split(".")[1] for m in seen if m.count(".")}


@pytest.mark.parametrize("scope, entry", [("parser", ("govaudit.reading",)),
                                          ("rules", ("govaudit.checks", "govaudit.summary"))])
def test_cache_keys_cover_every_module_their_entries_are_made_with(scope, entry):
    """Cache entries are keyed by a hash of their modules' source (cache._PARSER_SOURCES, _RULE_SOURCES): a
    module they are made with that the list misses would let an old entry outlive a change to it."""
    from govaudit import cache
    sources = cache._PARSER_SOURCES if scope == "parser" else cache._RULE_SOURCES
    used = _closure(*entry)
    assert used <= {s.removesuffix(".py") for s in sources}, used - set(sources)
