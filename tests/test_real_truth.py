"""Every error finding on real published reports, against what a careful reader finds in them.

``tests/fixtures/real/`` holds real reports as published (42 reports of six 平潭 units over 2019–2025 as
flattened web text, three years of one bureau, a Markdown conversion, a PDF); ``tests/fixtures/seeds`` the seeds.
Each report below was read by hand, cell by cell and part by part; ERRORS is the exact set of
error-severity defects found (rule, location). A report not listed has none. Verified false alarms that
this set rules out: parts present under other words or numbers (五、存在的主要问题及改进措施,
六、需要说明的其他事项与附表, 一、年度工作核心成效, a 信息处理费 part before the problems part), text
that counts the applicants' cells while the printed 总计 is 0 (a warning, not a second error).
"""
from __future__ import annotations

import pytest

import govaudit
from conftest import REAL, SEEDS

ERRORS = {
    'hongze-district-2023.pdf': {
        ('T4-TOTAL', 'appeals.review.total'),
        ('T4-TOTAL', 'appeals.suit_after_review.total'),
    },
    'pingtan-czj-2021.txt': {
        ('S-SIX-SECTIONS', 'other'),
    },
    'ptzhsyqgyz-2025.txt': {
        ('M-DEADLINE', ''),
    },
    'ptzhsyqhtp-2021.txt': {
        ('S-TEMPLATE-VERSION', 'active'),
        ('T3-BALANCE', 'requests.total_processed.natural_person'),
        ('T3-BOUNDS', 'requests.total_processed.natural_person'),
        ('T3-RESULT-TOTAL', 'requests.total_processed.natural_person'),
        ('T3-ROW-TOTAL', 'requests.total_processed.total'),
    },
    'ptzhsyqhtp-2022.txt': {
        ('S-TEMPLATE-VERSION', 'active'),
        ('T3-BALANCE', 'requests.total_processed.natural_person'),
        ('T3-BALANCE', 'requests.total_processed.total'),
        ('T3-RESULT-TOTAL', 'requests.total_processed.natural_person'),
        ('T3-RESULT-TOTAL', 'requests.total_processed.total'),
    },
    'ptzhsyqhtp-2024.txt': {
        ('T3-RESULT-TOTAL', 'requests.total_processed.natural_person'),
        ('T3-ROW-TOTAL', 'requests.new_received.total'),
        ('T3-ROW-TOTAL', 'requests.other_no_correction.total'),
        ('T3-ROW-TOTAL', 'requests.other_other.total'),
        ('T3-ROW-TOTAL', 'requests.total_processed.total'),
        ('T3-ROW-TOTAL', 'requests.unable_not_held.total'),
        ('T3-ROW-TOTAL', 'requests.unable_unclear.total'),
    },
    'ptzhsyqhtp-2025.txt': {
        ('T3-ROW-TOTAL', 'requests.new_received.total'),
        ('T3-ROW-TOTAL', 'requests.partly_granted.total'),
        ('T3-ROW-TOTAL', 'requests.total_processed.total'),
        ('T3-ROW-TOTAL', 'requests.unable_not_held.total'),
    },
    'ptzhsyqjsp-2020.txt': {
        ('T3-BALANCE', 'requests.total_processed.natural_person'),
        ('T3-BALANCE', 'requests.total_processed.other_org'),
        ('T3-BALANCE', 'requests.total_processed.total'),
        ('T3-RESULT-TOTAL', 'requests.total_processed.natural_person'),
        ('T3-RESULT-TOTAL', 'requests.total_processed.other_org'),
        ('T3-RESULT-TOTAL', 'requests.total_processed.total'),
    },
    'ptzhsyqjsp-2022.txt': {
        ('T3-RESULT-TOTAL', 'requests.total_processed.natural_person'),
        ('T3-RESULT-TOTAL', 'requests.total_processed.other_org'),
        ('T3-RESULT-TOTAL', 'requests.total_processed.total'),
    },
    'ptzhsyqnyn-2021.txt': {
        ('T3-BALANCE', 'requests.total_processed.natural_person'),
        ('T3-BALANCE', 'requests.total_processed.other_org'),
        ('T3-BOUNDS', 'requests.total_processed.natural_person'),
        ('T3-RESULT-TOTAL', 'requests.total_processed.natural_person'),
        ('T3-RESULT-TOTAL', 'requests.total_processed.other_org'),
    },
    'ptzhsyqnyn-2023.txt': {
        ('T3-ROW-TOTAL', 'requests.carried_over.total'),
        ('T3-ROW-TOTAL', 'requests.new_received.total'),
    },
    'ptzhsyqnyn-2024.txt': {
        ('S-SIX-SECTIONS', 'other'),
        ('T3-ROW-TOTAL', 'requests.denied_third_party.total'),
        ('T3-ROW-TOTAL', 'requests.granted.total'),
        ('T3-ROW-TOTAL', 'requests.new_received.total'),
        ('T3-ROW-TOTAL', 'requests.total_processed.total'),
    },
    'ptzhsyqnyn-2025.txt': {
        ('T3-RESULT-TOTAL', 'requests.total_processed.total'),
        ('T3-ROW-TOTAL', 'requests.granted.total'),
        ('T3-ROW-TOTAL', 'requests.new_received.total'),
        ('T3-ROW-TOTAL', 'requests.total_processed.total'),
        ('T3-ROW-TOTAL', 'requests.unable_not_held.total'),
    },
}


def _where(f) -> str:
    if f["rule"] == "S-SIX-SECTIONS":
        return f["section"]
    return ".".join(v for v in (f["table"], f["row"], f["column"]) if v)


@pytest.fixture(scope="module")
def findings():
    corpus = govaudit.load_many([REAL, SEEDS], progress=False)
    assert not corpus.errors
    return govaudit.check(corpus)


@pytest.mark.parametrize("name", sorted(p.name for p in [*REAL.iterdir(), *SEEDS.iterdir()]))
def test_error_findings_are_exactly_the_defects_found_by_reading(findings, name):
    mine = findings[(findings["severity"] == "error") & findings["source"].str.endswith("/" + name)]
    assert {(f["rule"], _where(f)) for f in mine.to_dict("records")} == ERRORS.get(name, set())


def test_a_present_part_is_never_reported_missing(findings):
    missing = findings[(findings["rule"] == "S-SIX-SECTIONS") & (findings["severity"] == "error")]
    assert sorted(missing["source"].str.rsplit("/", n=1).str[-1]) == ["pingtan-czj-2021.txt", "ptzhsyqnyn-2024.txt"]


def test_overview_parts_that_do_not_add_up(findings):
    """Warnings verified by reading: a disclosure total and the categories listed after it (“其中…；…；其他…”)."""
    parts = findings[(findings["rule"] == "N-TEXT-SELF") & findings["source"].str.contains("/real/")]
    got = {(s.rsplit("/", 1)[-1], e, a) for s, e, a in zip(parts["source"], parts["expected"], parts["actual"])}
    assert got == {("ptzhsyqjsp-2022.txt", 156, 151), ("ptzhsyqspp-2021.txt", 135, 134),
                   ("ptzhsyqspp-2023.txt", 79, 78), ("ptzhsyqspp-2024.txt", 44, 42),
                   ("ptzhsyqspp-2019.txt", 40, 35)}      # its first category is “办理对外管理服务事项的依据、条件、程序1条”


def test_a_covering_letter_published_as_the_report(findings):
    letters = findings[(findings["rule"] == "S-TITLE") & (findings["actual"] == "此函")]
    assert sorted(letters["source"].str.rsplit("/", n=1).str[-1]) == ["ptzhsyqhtp-2021.txt", "ptzhsyqhtp-2022.txt"]
    assert set(letters["severity"]) == {"warning"}
