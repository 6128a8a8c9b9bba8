"""Every cell of 表二/三/四 of the samples and of ../shared/real text files, against hand-read values."""
import pytest

import govaudit
from conftest import sample
from expected import REAL as REAL_EXPECTED
from expected import SAMPLES, assert_table


def _check_all(report, spec):
    assert report.agency == spec["agency"]
    assert report.year == spec["year"]
    assert report.template == spec.get("template", "2021")
    return sum(assert_table(report, t, spec[t]) for t in ("active", "requests", "appeals"))


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_every_cell(name):
    report = govaudit.load(sample(name))
    assert _check_all(report, SAMPLES[name]) > 190
    assert set(report.sections) == {"overview", "active", "requests", "appeals", "problems", "other"}


@pytest.mark.parametrize("name", sorted(REAL_EXPECTED))
def test_real_every_cell(name, real):
    report = govaudit.load(real / name)
    assert _check_all(report, REAL_EXPECTED[name]) > 180


def test_tiantan_extra_column_is_a_warning_not_a_guess():
    report = govaudit.load(sample("jiyuan-tiantan-street-2024.txt"))
    [w] = [w for w in report.warnings if w["table"] == "appeals"]
    assert w["code"] == "count-mismatch" and "16" in w["message"]


def test_run_together_digits_split_only_when_unique(real):
    report = govaudit.load(real / "pingtan-czj-2019.txt")
    codes = {(w["row"], w["code"]) for w in report.warnings}
    assert ("normative_documents", "ambiguous-digits") in codes
    assert ("punishment", "ambiguous-digits") in codes
    # "300" can only be 3|0|0; "0000000" only seven zeros
    assert report.provenance[("active", "licensing", "prev_year_items")]["split_from"] == "300"


def test_shanghai_values_printed_before_their_labels_are_matched_by_order(real):
    report = govaudit.load(real / "shanghai-stcsm-2024.md")
    how = report.provenance[("requests", "partly_granted", "total")]["how"]
    assert how == "order"
    assert any(w["code"] == "stray-number" for w in report.warnings)


def test_label_typo_is_recorded():
    report = govaudit.load(sample("lushan-qintai-street-2024.txt"))
    assert report.label_deviations[0]["found"] == "本年度止件数"


def test_meta_from_page_header(real):
    report = govaudit.load(real / "pingtan-czj-2019.txt")
    assert str(report.meta["publication_date"]) == "2020-01-06"
    assert report.meta["stat_period"] == "2019-01-01/2019-12-31"


def test_provenance_points_at_the_source_line():
    report = govaudit.load(sample("qufu-shizhuang-street-2024.txt"))
    p = report.provenance[("requests", "unable_not_held", "natural_person")]
    lines = sample("qufu-shizhuang-street-2024.txt").read_text(encoding="utf-8").split("\n")
    assert lines[p["line"] - 1].strip() == "6"
