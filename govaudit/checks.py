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
    last_year = last_year_pairs(everything)
    findings = []
    shared: dict = {}
    for report in reports:
        done = (checked or {}).get(id(report))          # its report-scope findings, computed in a worker
        if done and done[0].report != report.id:
            done = None                                  # renamed since (Corpus.distinct_ids): ids to recompute
        findings.extend(done or ())
        findings.extend(linked_findings(report, last_year(report), rules, settings, shared, corpus=reports,
                                        report_scope=done is None))
    return finish(findings)


def linked_findings(report: Report, last: Report | None, rules, settings: dict, shared: dict, *,
                    corpus: list | None = None, report_scope: bool = False) -> list[Finding]:
    """The findings of the rules that link ``report`` to last year's (``last``) and to the rest of the batch
    (``shared``: the copy index and unit names, or ``corpus`` to build them from), in rule order; with
    ``report_scope`` those of the rules that read it alone come first."""
    todo = [r for r in rules if _applies(r, report, last) and (report_scope or r.scope != "report")]
    if not todo:
        return []
    ctx = Context(report, previous=last, corpus=corpus if corpus is not None else [], settings=settings,
                  shared=shared)
    reads_cells = any(r.scope != "corpus" for r in todo)       # the copy index reads text only
    with (report.snapshot() if reads_cells else nullcontext()), \
            (last.snapshot() if last is not None and reads_cells else nullcontext()):
        return [f for rule in todo for f in rule.func(ctx)]


def finish(findings: list[Finding]) -> pd.DataFrame:
    """The finding frame of a run: the first of a duplicate id kept, by report, severity and rule, grouped."""
    seen: set[str] = set()
    unique = [f for f in findings if not (f.id in seen or seen.add(f.id))]
    unique.sort(key=lambda f: (f.report, SEVERITY_ORDER[f.severity], f.rule))   # stable, in plain Python: fast
    return to_frame(group_problems(unique))


def last_year_pairs(reports: list):
    """Last year's report of the same unit: by its name, else by the name without the higher levels printed
    before it ("淮安市洪泽区人民政府" / "洪泽区人民政府") when the batch has just those two spellings.
    ``reports``: anything with ``.agency`` and ``.year`` (reports, or the summaries of an out-of-core run)."""
    by_name, by_key, names_of_key = {}, {}, {}
    for p in reversed(reports):             # the first of duplicates wins, as a scan would
        if p.agency and p.year is not None:
            by_name[(p.agency, p.year)] = p
            by_key[(unit_key(p.agency), p.year)] = p
            names_of_key.setdefault(unit_key(p.agency), set()).add(p.agency)

    def last(report):
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


__all__ = ["check", "run_rules", "report_findings", "linked_findings", "last_year_pairs", "finish", "select_rules",
           "SEVERITY_ORDER", "FINDING_COLUMNS"]
