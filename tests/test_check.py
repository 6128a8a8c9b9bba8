"""The rules on the samples (real problems found, clean reports clean) and on mutants with one defect each."""
import pytest

import govaudit
from conftest import REAL, SEEDS, sample


def _findings(path):
    return govaudit.check(govaudit.load(path))


def _rules(df, severity=None):
    if severity:
        df = df[df["severity"] == severity]
    return sorted(set(df["rule"]))


def test_samples_real_problems_are_found_at_their_place():
    f = govaudit.check(govaudit.load_many(SEEDS, progress=False))
    by = {r: set(zip(g["rule"], g["table"], g["row"], g["section"])) for r, g in f.groupby("agency")}
    assert ("N-TEXT-SELF", "", "", "overview") in by["鲁山县琴台街道办事处"]
    assert ("F-LABEL-EDIT", "active", "", "") in by["鲁山县琴台街道办事处"]
    assert ("C-FOREIGN-NAME", "", "", "problems") in by["鲁山县库区乡"]
    assert ("S-ROWS", "appeals", "", "") in by["天坛街道办事处"]


@pytest.mark.parametrize("other", ["鲁山县琴台街道办事处", "曲阜市时庄街道办事处"])
def test_another_units_name_ending_in_jiedao_banshichu_is_found(tmp_path, other):
    """A name in running text can end at 街道 and again at 办事处: only the first end was tried."""
    import shutil
    for f in SEEDS.glob("*.txt"):
        shutil.copy(f, tmp_path / f.name)
    mine = tmp_path / "jiyuan-tiantan-street-2024.txt"
    text = mine.read_text(encoding="utf-8")
    assert "2024 年，天坛街道办事处通过" in text
    mine.write_text(text.replace("2024 年，天坛街道办事处通过", f"2024 年，{other}通过"), encoding="utf-8")
    f = govaudit.check(govaudit.load_many(tmp_path, progress=False))
    mine_found = f[(f["agency"] == "天坛街道办事处") & (f["rule"] == "C-FOREIGN-NAME")]
    assert list(mine_found["actual"]) == [other]


@pytest.mark.parametrize("name", ["weidong-guanghualu-street-2024.txt", "qufu-shizhuang-street-2024.txt"])
def test_clean_samples_have_no_finding(name):
    assert _findings(sample(name)).empty


def test_no_sample_has_an_error_finding():
    f = govaudit.check(govaudit.load_many(SEEDS, progress=False))
    assert f[f["severity"] == "error"].empty


def test_finding_ids_are_stable_and_independent_of_file_bytes(tmp_path):
    text = sample("jiyuan-tiantan-street-2024.txt").read_text(encoding="utf-8")
    p = tmp_path / "copy.txt"
    p.write_text(text + "\n\n", encoding="utf-8")
    a, b = _findings(sample("jiyuan-tiantan-street-2024.txt")), _findings(p)
    assert list(a["id"]) == list(b["id"]) and len(a)


# --- mutants: one injected defect -> exactly that finding, nothing new at error severity ------------

def _mutant(tmp_path, base, old, new, count=1):
    text = sample(base).read_text(encoding="utf-8")
    assert text.count(old) >= 1, old
    p = tmp_path / f"mutant-{base}"
    p.write_text(text.replace(old, new, count), encoding="utf-8")
    return p


def _new_errors(mutant_findings, base):
    before = set(_findings(sample(base))["id"])
    return mutant_findings[~mutant_findings["id"].isin(before)]


def test_mutant_changed_cell_breaks_balance_and_row_total(tmp_path):
    # 天坛: 一、本年新收 自然人 4 -> 6 (总计 stays 4)
    p = _mutant(tmp_path, "jiyuan-tiantan-street-2024.txt", "一、本年新收政府信息公开申请数量\t\t4",
                "一、本年新收政府信息公开申请数量\t\t6")
    new = _new_errors(_findings(p), "jiyuan-tiantan-street-2024.txt")
    got = set(zip(new["rule"], new["row"], new["column"]))
    assert got == {("T3-BALANCE", "total_processed", "natural_person"),
                   ("T3-ROW-TOTAL", "new_received", "total")}
    bal = new[new["rule"] == "T3-BALANCE"].iloc[0]
    assert (bal["expected"], bal["actual"]) == (7, 5)


def test_mutant_broken_result_total(tmp_path):
    p = _mutant(tmp_path, "jiyuan-tiantan-street-2024.txt", "(七) 总计\t\t5\t0\t0\t0\t0\t0\t5",
                "(七) 总计\t\t5\t0\t0\t0\t0\t0\t6")
    new = _new_errors(_findings(p), "jiyuan-tiantan-street-2024.txt")
    assert set(zip(new["rule"], new["column"])) == {("T3-BALANCE", "total"), ("T3-RESULT-TOTAL", "total"),
                                                    ("T3-ROW-TOTAL", "total"), ("T3-BOUNDS", "total")}
    assert set(new["row"]) == {"total_processed"}


def test_mutant_appeals_total_leaves_out_pending(tmp_path):
    p = _mutant(tmp_path, "qufu-shizhuang-street-2024.txt", "\t1\n\t1\n\t0\n\t0\n\t2\n", "\t1\n\t1\n\t0\n\t1\n\t2\n")
    new = _new_errors(_findings(p), "qufu-shizhuang-street-2024.txt")
    assert list(zip(new["rule"], new["row"], new["column"], new["expected"], new["actual"])) == [
        ("T4-TOTAL", "review", "total", 3, 2)]


def test_mutant_deleted_section(tmp_path):
    name = "weidong-guanghualu-street-2024.txt"
    text = sample(name).read_text(encoding="utf-8")
    part = text[text.index("#### 五、存在的主要问题及改进情况"):text.index("#### 六、")]
    gone = _mutant(tmp_path, name, part, "")
    new = _new_errors(_findings(gone), name)
    assert list(zip(new["rule"], new["section"], new["severity"])) == [("S-SIX-SECTIONS", "problems", "error")]


@pytest.mark.parametrize("heading, actual", [
    ("", "无标题"),                                                   # the part is there, its heading is not
    ("#### 五、存在的主要问题及改进措施", "五、存在的主要问题及改进措施"),        # other words
    ("#### 五、当前存在的突出问题", "五、当前存在的突出问题"),
    ("#### 六、存在的主要问题及改进情况", "六、存在的主要问题及改进情况"),        # renumbered
])
def test_mutant_section_heading_worded_otherwise_is_a_warning(tmp_path, heading, actual):
    name = "weidong-guanghualu-street-2024.txt"
    p = _mutant(tmp_path, name, "#### 五、存在的主要问题及改进情况", heading)
    f = _findings(p)
    new = f[f["rule"] == "S-SIX-SECTIONS"]
    assert list(zip(new["section"], new["severity"], new["actual"])) == [("problems", "warning", actual)]
    assert not (f["severity"] == "error").any()


def test_mutant_old_template_table_in_2022_report(tmp_path):
    p = _mutant(tmp_path, "weidong-guanghualu-street-2024.txt",
                "信息内容\t本年制发件数\t本年废止件数\t现行有效件数", "信息内容\t本年新制作数量\t本年新公开数量\t对外公开总数量")
    f = _findings(p)
    assert ("S-TEMPLATE-VERSION", "error") in set(zip(f["rule"], f["severity"]))


def test_mutant_placeholder_left_in(tmp_path):
    p = _mutant(tmp_path, "weidong-guanghualu-street-2024.txt", "2024 年，卫东区光华路街道办事处积极",
                "20XX年，XX街道办事处积极")
    new = _new_errors(_findings(p), "weidong-guanghualu-street-2024.txt")
    assert "C-PLACEHOLDER" in set(new["rule"])
    assert set(new[new["severity"] == "error"]["rule"]) == {"C-PLACEHOLDER"}


def test_mutant_text_says_no_requests_but_table_has_some(tmp_path):
    p = _mutant(tmp_path, "jiyuan-tiantan-street-2024.txt", "共收到依申请公开事项 4 件", "未收到政府信息公开申请")
    new = _new_errors(_findings(p), "jiyuan-tiantan-street-2024.txt")
    assert list(zip(new["rule"], new["severity"])) == [("N-NONE-REQ", "error")]


def test_mutant_text_count_differs_from_table(tmp_path):
    p = _mutant(tmp_path, "jiyuan-tiantan-street-2024.txt", "共收到依申请公开事项 4 件", "共收到依申请公开事项 7 件")
    new = _new_errors(_findings(p), "jiyuan-tiantan-street-2024.txt")
    assert list(zip(new["rule"], new["severity"], new["expected"], new["actual"])) == [("N-T3-NEW", "warning", 7, 4)]


def test_mutant_last_years_year_left_in(tmp_path):
    p = _mutant(tmp_path, "jiyuan-tiantan-street-2024.txt", "本报告数据统计期限为 2024 年 1 月 1 日",
                "本报告数据统计期限为 2023 年 1 月 1 日")
    new = _new_errors(_findings(p), "jiyuan-tiantan-street-2024.txt")
    assert set(zip(new["rule"], new["severity"])) == {("S-STAT-PERIOD", "warning"), ("X-STALE-YEAR", "error")}


def test_pingtan_series_across_years(real):
    f = govaudit.check(govaudit.load_many(real, progress=False))
    got = set(zip(f["report"], f["rule"]))
    assert ("平潭综合实验区财政金融局-2021", "X-TEXT-REPEAT") in got
    assert ("平潭综合实验区财政金融局-2021", "S-SIX-SECTIONS") in got      # the 2021 page has no 六
    # carry-over matches (all zero) in both years: no X-CARRY
    assert not any(r == "X-CARRY" for rep, r in got if rep.startswith("平潭综合实验区财政金融局"))


def test_swapped_carry_over_across_years(tmp_path):
    base = sample("jiyuan-tiantan-street-2024.txt").read_text(encoding="utf-8")
    last = base.replace("2024", "2023").replace("四、结转下年度继续办理\t\t0\t0\t0\t0\t0\t0\t0",
                                                "四、结转下年度继续办理\t\t2\t0\t0\t0\t0\t0\t2")
    (tmp_path / "2023.txt").write_text(last, encoding="utf-8")
    (tmp_path / "2024.txt").write_text(base, encoding="utf-8")
    f = govaudit.check(govaudit.load_many(tmp_path, progress=False))
    x = f[(f["rule"] == "X-CARRY")]
    assert set(zip(x["year"], x["column"], x["expected"], x["actual"])) == {
        (2024, "natural_person", 2, 1), (2024, "total", 2, 1)}


def test_cli_check_exit_codes_and_json(tmp_path):
    import json
    import os
    import subprocess
    import sys
    from conftest import ROOT
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = lambda *a: subprocess.run([sys.executable, "-m", "govaudit.cli", "check", *a, "--no-progress"],
                                    capture_output=True, text=True, env=env)
    clean = run(str(sample("qufu-shizhuang-street-2024.txt")), "--format", "json")
    assert clean.returncode == 0 and json.loads(clean.stdout) == []
    p = _mutant(tmp_path, "qufu-shizhuang-street-2024.txt", "\t1\n\t1\n\t0\n\t0\n\t2\n", "\t1\n\t1\n\t0\n\t1\n\t2\n")
    bad = run(str(p), "--format", "json")
    assert bad.returncode == 1
    assert json.loads(bad.stdout)[0]["rule"] == "T4-TOTAL"
    missing = run(str(tmp_path / "nope.txt"))
    assert missing.returncode == 2 and "nope.txt" in missing.stderr


def test_rules_doc_matches_registry():
    from conftest import ROOT
    from govaudit.rules.docs import markdown
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == markdown(), \
        "docs/rules.md is stale: python -m govaudit.rules.docs > docs/rules.md"


def test_every_rule_has_chinese_title_and_docstring():
    from govaudit.rules.registry import all_rules
    for r in all_rules():
        assert r.doc and any("\u4e00" <= ch <= "\u9fff" for ch in r.title), r.id


QUFU = "qufu-shizhuang-street-2024.txt"
_SENTENCE = "依法依规答复率100%。"


def test_mutant_percentage_checked_against_table_three(tmp_path):
    report = govaudit.load(sample(QUFU))
    granted, processed = (report.value("requests", k, "total") for k in ("granted", "total_processed"))
    right = _mutant(tmp_path, QUFU, _SENTENCE, f"{_SENTENCE}其中予以公开{granted}件，占{100 * granted / processed:.1f}%。")
    assert _findings(right).empty                                   # rounding to 0.1 is not a finding
    wrong = _mutant(tmp_path, QUFU, _SENTENCE, f"{_SENTENCE}其中予以公开{granted}件，占50%。")
    new = _findings(wrong)
    assert list(zip(new["rule"], new["severity"], new["row"])) == [("N-PERCENT", "warning", "granted")]
    assert new["expected"].iloc[0] == f"{100 * granted / processed:.1f}%"


def test_mutant_same_quantity_stated_twice(tmp_path):
    same = _mutant(tmp_path, QUFU, _SENTENCE, f"{_SENTENCE}全年共收到政府信息公开申请9件。")
    assert _findings(same).empty
    other = _mutant(tmp_path, QUFU, _SENTENCE, f"{_SENTENCE}全年共收到政府信息公开申请9件。"
                                               "另据统计，我街道收到政府信息公开申请11件。")
    new = _findings(other)
    assert list(zip(new["rule"], new["expected"], new["actual"])) == [("N-TEXT-SELF", 9, 11)]


def test_deadline_is_configuration(tmp_path):
    late = _mutant(tmp_path, QUFU, "工作年度报告\n", "工作年度报告\n发布时间：2025-02-20\n")
    report = govaudit.load(late)
    assert report.meta["publication_date"].isoformat() == "2025-02-20"
    assert "M-DEADLINE" not in set(govaudit.check(report).rule)     # 乡镇/街道: no statutory date by default
    f = govaudit.check(report, settings={"deadline": {"township": (2, 15)}})
    assert list(zip(f["rule"], f["expected"])) == [("M-DEADLINE", "2025-02-15")]
    regional = {"deadline_by_region": {"曲阜市": {"township": [3, 1]}}, "deadline": {"township": (2, 15)}}
    assert govaudit.check(report, settings=regional).empty            # the region's own, later, date


def test_cli_deadline_option(tmp_path):
    from govaudit.cli import main
    late = _mutant(tmp_path, QUFU, "工作年度报告\n", "工作年度报告\n发布时间：2025-02-20\n")
    assert main(["check", str(late), "--no-progress", "--deadline", "township=02-15"]) == 1
    assert main(["check", str(late), "--no-progress", "--deadline", "township=02-30"]) == 2


@pytest.mark.parametrize("amount, flagged", [("5000", False), ("9617.61", False), ("20000", True),
                                             ("2832995", True)])
def test_fee_unit_only_flags_implausible_magnitudes(tmp_path, amount, flagged):
    p = _mutant(tmp_path, QUFU, "\t行政事业性收费\n\t0\n", f"\t行政事业性收费\n\t{amount}\n")
    # a 街道: above 1 亿元 (10 000 万元) it was most likely written in 元
    assert ("T2-FEE-UNIT" in set(_findings(p).rule)) is flagged


def test_excel_problem_list_keeps_text_as_text(tmp_path):
    import openpyxl

    from govaudit.export import findings_xlsx
    f = govaudit.check(govaudit.load_many(SEEDS, progress=False))
    f.loc[0, "message"] = "=HYPERLINK(\"http://x\")"
    out = tmp_path / "问题清单.xlsx"
    findings_xlsx(f, out)
    book = openpyxl.load_workbook(out)
    sheet = book["问题清单"]
    assert [c.value for c in sheet[1]][:4] == ["单位", "年度", "级别", "规则"]
    assert sheet.max_row == len(f) + 1 and sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    messages = [r[[c.value for c in sheet[1]].index("问题说明")] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert "=HYPERLINK(\"http://x\")" in messages and sheet.cell(2, 7).data_type == "s"
    assert book["按单位汇总"].max_row == f.groupby(["agency", "rule"]).ngroups + 1


def test_government_report_names_assessment_appraisal_and_accountability(tmp_path):
    """条例 50(四): only a 人民政府's report must add these; a sentence saying there was none counts."""
    hongze = govaudit.check(govaudit.load(REAL / "hongze-district-2023.pdf"))
    extra = hongze[hongze["rule"] == "S-GOV-EXTRA"]
    assert list(extra["actual"]) == ["未见工作考核、社会评议、责任追究"]

    text = sample("jiyuan-tiantan-street-2024.txt").read_text(encoding="utf-8")
    assert "S-GOV-EXTRA" not in _rules(govaudit.check(govaudit.load(sample("jiyuan-tiantan-street-2024.txt"))))
    as_town = text.replace("天坛街道办事处", "天坛镇人民政府")
    (tmp_path / "town.txt").write_text(as_town, encoding="utf-8")
    assert "S-GOV-EXTRA" not in _rules(_findings(tmp_path / "town.txt"))
    (tmp_path / "town-no-appraisal.txt").write_text(as_town.replace("本单位本年度未开展社会评议工作。", ""),
                                                     encoding="utf-8")
    f = _findings(tmp_path / "town-no-appraisal.txt")
    assert list(f.loc[f["rule"] == "S-GOV-EXTRA", "actual"]) == ["未见社会评议"]


def test_overview_topics_missing_from_real_reports():
    """Seven real overviews never mention applications (read: 财政金融局 2021 is all 预决算/采购/解读); the loose
    words keep a topic named otherwise from being flagged (海坛 2024's “答复政府信息公开申请”)."""
    f = govaudit.check(govaudit.load_many([REAL, SEEDS], progress=False))
    topics = f[f["rule"] == "S-OVERVIEW-TOPICS"]
    assert set(zip(topics["report"], topics["expected"])) == {
        (f"平潭综合实验区{unit}-{year}", "依申请公开") for unit, year in [
            ("农业农村局", 2019), ("农业农村局", 2020), ("国有资产管理局", 2019), ("海坛片区管理局", 2019),
            ("财政金融局", 2021), ("金井片区管理局", 2019), ("金井片区管理局", 2020)]}
    assert set(topics["severity"]) == {"warning"}
