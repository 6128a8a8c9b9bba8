"""Running the rules over reports already in memory: ``check(report_or_corpus, previous=...)``.

The rule runner of the one-way flow (rules -> runner -> engine -> api): it reads no files and imports
neither the engine (``batch``) nor the API; a ``previous`` directory is loaded by ``govaudit.check`` (api.py).
"""
from __future__ import annotations

import fnmatch
from contextlib import nullcontext

import pandas as pd

from .report import Corpus, Report
from .rules import registry
from .rules._util import unit_key
from .rules.finding import FINDING_COLUMNS, Context, Finding, group_problems, to_frame

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def check(obj, previous=None, *, select=None, skip=None, settings=None) -> pd.DataFrame:
    """Findings of a Report or Corpus as a DataFrame with DESIGN.md's finding columns.

    ``previous``: last year's reports (a Report, a Corpus or a list of reports) to pair by agency;
    inside a corpus, last year's report of the same agency is paired automatically.
    ``select``/``skip``: rule ids or glob patterns ("T3-*").
    """
    if isinstance(obj, Corpus):
        obj.distinct_ids()
    reports = [obj] if isinstance(obj, Report) else list(obj)
    return run_rules(reports, as_reports(previous), select_rules(select, skip), settings or {})


def select_rules(select=None, skip=None) -> list[registry.Rule]:
    return [r for r in registry.all_rules() if _wanted(r.id, select, skip)]


def report_findings(report: Report, rules, settings: dict) -> list[Finding]:
    """The findings of the rules that read one report alone (the work a batch does in its workers)."""
    ctx = Context(report, settings=settings)
    with report.snapshot():
        return [f for rule in rules if rule.scope == "report" and _applies(rule, report) for f in rule.func(ctx)]


def run_rules(reports: list[Report], prior: list[Report], rules, settings: dict,
              checked: dict[int, list[Finding]] | None = None) -> pd.DataFrame:
    """Every rule over ``reports``; ``checked`` holds per-report findings already computed, by ``id(report)``."""
    everything = reports + [p for p in prior if p not in reports]
    last_year = _last_year_pairs(everything)
    findings = []
    shared: dict = {}
    for report in reports:
        last = last_year(report)
        done = (checked or {}).get(id(report))          # its report-scope findings, computed in a worker
        if done and done[0].report != report.id:
            done = None                                  # renamed since (Corpus.distinct_ids): ids to recompute
        todo = [r for r in rules if _applies(r, report, last)
                and not (done is not None and r.scope == "report")]
        findings.extend(done or ())
        if not todo:
            continue
        ctx = Context(report, previous=last, corpus=reports, settings=settings, shared=shared)
        reads_cells = any(r.scope != "corpus" for r in todo)       # the copy index reads text only
        with (report.snapshot() if reads_cells else nullcontext()), \
                (last.snapshot() if last is not None and reads_cells else nullcontext()):
            for rule in todo:
                findings.extend(rule.func(ctx))
    seen: set[str] = set()
    unique = [f for f in findings if not (f.id in seen or seen.add(f.id))]      # the first of a duplicate id
    unique.sort(key=lambda f: (f.report, SEVERITY_ORDER[f.severity], f.rule))   # stable, in plain Python: fast
    return to_frame(group_problems(unique))


def _last_year_pairs(reports: list[Report]):
    """Last year's report of the same unit: by its name, else by the name without the higher levels printed
    before it ("淮安市洪泽区人民政府" / "洪泽区人民政府") when the batch has just those two spellings."""
    by_name, by_key, names_of_key = {}, {}, {}
    for p in reversed(reports):             # the first of duplicates wins, as a scan would
        if p.agency and p.year is not None:
            by_name[(p.agency, p.year)] = p
            by_key[(unit_key(p.agency), p.year)] = p
            names_of_key.setdefault(unit_key(p.agency), set()).add(p.agency)

    def last(report: Report) -> Report | None:
        if not (report.agency and report.year):
            return None
        key = unit_key(report.agency)
        found = by_name.get((report.agency, report.year - 1))
        names = names_of_key.get(key, set())
        if found is None and key in names and len(names) <= 2:      # "鼓楼区" of two cities: never paired
            found = by_key.get((key, report.year - 1))
        return found
    return last


def _applies(rule, report: Report, last: Report | None = None) -> bool:
    if report.meta.get("not_text") and rule.needs_text:
        return False        # nothing was read: a missing section or table would not be true
    if rule.scope == "cross-year":
        return last is not None
    return True             # corpus rules too: a report checked alone may still speak as "我县"


def _wanted(rule_id, select, skip) -> bool:
    if select and not any(fnmatch.fnmatch(rule_id, p) for p in select):
        return False
    return not (skip and any(fnmatch.fnmatch(rule_id, p) for p in skip))


def as_reports(previous) -> list[Report]:
    if previous is None:
        return []
    if isinstance(previous, Report):
        return [previous]
    if isinstance(previous, Corpus):
        return list(previous)
    return list(previous)


__all__ = ["check", "run_rules", "report_findings", "select_rules", "SEVERITY_ORDER", "FINDING_COLUMNS"]
