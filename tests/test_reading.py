"""How the rules read real wording: run-together digits, the subject of a sentence, the unit's type.

Each test changes one real report the way real reports vary and checks the exact findings that result.
"""
from __future__ import annotations

import pytest

import govaudit
from conftest import FIXTURES, sample
from govaudit.numbers import SplitTooLong, split_by_totals, unique_split
from govaudit.rules._util import unit_type

QUFU = "qufu-shizhuang-street-2024.txt"
SENTENCE = "依法依规答复率100%。"
FLAT = FIXTURES / "real" / "ptzhsyqgyz-2022.txt"          # a flattened web page: every 表三 row is 7 digits
NEW_RECEIVED = "一、本年新收政府信息公开申请数量0000000"


def _mutant(tmp_path, source, old, new):
    text = source.read_text(encoding="utf-8")
    assert old in text, old
    p = tmp_path / source.name
    p.write_text(text.replace(old, new, 1), encoding="utf-8")
    return p


def _findings(path, rule=None):
    f = govaudit.check(govaudit.load(path))
    return f[f["rule"] == rule] if rule else f


# --- run-together digits ------------------------------------------------------------

def test_row_total_decides_the_one_split_that_adds_up(tmp_path):
    # 120 03 0 015 splits many ways into 7 numbers; only 12,0,0,3,0,0,15 has its applicants add up to its 总计
    p = _mutant(tmp_path, FLAT, NEW_RECEIVED, "一、本年新收政府信息公开申请数量120 03 0 015")
    r = govaudit.load(p)
    assert [r.value("requests", "new_received", c) for c in r.requests.columns] == [12, 0, 0, 3, 0, 0, 15]
    assert r.provenance[("requests", "new_received", "total")]["split_by"] == "row_total"
    # the row is read, so the report's real imbalance (15 received, none handled) is found
    assert set(_findings(p, "T3-BALANCE")["column"]) == {"natural_person", "social_org", "total"}


def test_a_split_the_total_cannot_decide_stays_na(tmp_path):
    # 1 10 0 0 0 0 11 and 11 0 0 0 0 0 11 both add up: nothing is guessed
    p = _mutant(tmp_path, FLAT, NEW_RECEIVED, "一、本年新收政府信息公开申请数量110000011")
    r = govaudit.load(p)
    assert all(r.value("requests", "new_received", c) is None for c in r.requests.columns)
    assert any(w["code"] == "ambiguous-digits" and w["row"] == "new_received" for w in r.warnings)


def test_splitting_is_polynomial_and_bounded():
    assert unique_split(["0000000"], 7) == ["0"] * 7
    assert unique_split(["1077"], 3) is None
    assert split_by_totals(["120", "03", "0", "015"], 7, 7) == ["12", "0", "0", "3", "0", "0", "15"]
    for n in (22, 26, 28, 40):                  # an exhaustive search took 58 s and 10.7 GB at 26 digits
        assert unique_split(["1" * n], 7) is None or n == 63
        assert split_by_totals(["1" * n], 7, 7) is None
    with pytest.raises(SplitTooLong):           # too many partial sums to decide: refused within the budget
        split_by_totals(["12345678" * 7], 7, 7)


def test_a_run_too_long_to_decide_is_na_with_a_warning(tmp_path):
    p = _mutant(tmp_path, FLAT, NEW_RECEIVED, "一、本年新收政府信息公开申请数量" + "12345678" * 7)
    r = govaudit.load(p)
    assert all(r.value("requests", "new_received", c) is None for c in r.requests.columns)
    assert any("连写过长" in w["message"] for w in r.warnings if w["row"] == "new_received")


# --- the subject of a sentence ------------------------------------------------------------

@pytest.mark.parametrize("sentence", [
    "本年度未发生因依申请公开引发的行政复议和行政诉讼。",       # what did not happen is the appeal
    "代表街道办事处受理政府信息公开申请12件。",                 # another scope
])
def test_sentence_about_something_else_is_not_compared(tmp_path, sentence):
    p = _mutant(tmp_path, sample(QUFU), SENTENCE, SENTENCE + sentence)
    assert not {"N-NONE-REQ", "N-T3-NEW"} & set(_findings(p)["rule"])


JIYUAN = "jiyuan-tiantan-street-2024.txt"       # 表三 新收 4, and its text counts them in one sentence
JIYUAN_COUNT = "共收到依申请公开事项 4 件"


@pytest.mark.parametrize("sentence, found", [
    # a part of the applications, another time, or something else that did not happen: not "none at all"
    ("未发生因政府信息公开申请不予答复的情况", set()),
    ("未收到通过信函方式提交的政府信息公开申请", set()),
    ("未收到需要收取信息处理费的政府信息公开申请", set()),
    ("除上述申请外，未收到其他政府信息公开申请", set()),
    ("上半年未收到政府信息公开申请，下半年陆续收到申请", set()),
    ("2023年未收到政府信息公开申请", set()),
    ("无正当理由大量反复申请公开政府信息的情况未出现", set()),
    ("均为自然人提出，未收到法人或其他组织提出的政府信息公开申请", set()),   # only some applicants
    ("未收到网上政府信息公开申请，均为现场申请", set()),
    ("未收到政府信息公开申请人的异议", set()),
    # none at all, however it is worded
    ("本年度无政府信息公开申请", {"N-NONE-REQ"}),
    ("暂无依申请公开事项", {"N-NONE-REQ"}),
    ("本年度未收到公民、法人和其他组织提出的政府信息公开申请", {"N-NONE-REQ"}),
    ("未有公民、法人或其他组织提出政府信息公开申请", {"N-NONE-REQ"}),
    ("2024年未收到政府信息公开申请", {"N-NONE-REQ"}),
])
def test_text_saying_no_applications_against_table_three(tmp_path, sentence, found):
    p = _mutant(tmp_path, sample(JIYUAN), JIYUAN_COUNT, sentence)
    assert set(_findings(p, "N-NONE-REQ")["rule"]) == found


@pytest.mark.parametrize("sentence, found", [       # 表四 of this report: 行政复议 2
    ("去年无行政复议案件，今年发生行政复议2件。", set()),
    ("2023年度未发生政府信息公开行政复议案件。", set()),
    ("未发生因政府信息公开工作被纠错的行政复议、行政诉讼案件。", set()),
    ("本年度未发生行政复议、行政诉讼被纠错的情况。", set()),       # the lost ones, named after both kinds
    ("未发生行政复议、行政诉讼案件败诉情况。", set()),
    ("没有因政府信息公开引起的行政复议和行政诉讼。", {"N-NONE-APPEAL"}),
    ("本机关未被申请行政复议。", {"N-NONE-APPEAL"}),
    ("2024年未发生因政府信息公开引起的行政复议。", {"N-NONE-APPEAL"}),
])
def test_text_saying_no_appeals_against_table_four(tmp_path, sentence, found):
    p = _mutant(tmp_path, sample(QUFU), SENTENCE, SENTENCE + sentence)
    assert set(_findings(p, "N-NONE-APPEAL")["rule"]) == found


def test_a_masked_name_is_no_leftover_placeholder(tmp_path):
    masked = _mutant(tmp_path, sample(QUFU), SENTENCE, SENTENCE + "对申请人张××的申请依法予以答复。")
    assert _findings(masked, "C-PLACEHOLDER").empty
    left = _mutant(tmp_path, sample(QUFU), SENTENCE, SENTENCE + "XX街道办事处依法予以答复。")
    assert len(_findings(left, "C-PLACEHOLDER")) == 1


def test_a_part_without_its_heading_is_found_by_its_table_words_broken_over_lines(tmp_path):
    """表四's cells print "结果 维持": with the 第四部分 heading gone, the part is there without a heading
    (a warning), not missing (an error)."""
    p = _mutant(tmp_path, sample(JIYUAN), "#### 四、政府信息公开行政复议、行政诉讼情况", "")
    f = _findings(p, "S-SIX-SECTIONS")
    assert list(f["severity"]) == ["warning"]


def test_combined_results_are_compared_with_their_sum(tmp_path):
    report = govaudit.load(sample(QUFU))
    both = sum(report.value("requests", k, "total") for k in ("granted", "partly_granted"))
    right = _mutant(tmp_path, sample(QUFU), SENTENCE, f"{SENTENCE}其中予以公开及部分公开{both}件。")
    assert _findings(right).empty
    wrong = _mutant(tmp_path, sample(QUFU), SENTENCE, f"{SENTENCE}其中予以公开及部分公开{both + 1}件。")
    f = _findings(wrong)
    assert list(zip(f["rule"], f["severity"], f["expected"], f["actual"])) == [
        ("N-T3-RESULTS", "warning", both + 1, both)]


def test_listed_parts_that_exceed_their_whole(tmp_path):
    old = "全年共主动公开信息37条"
    assert _findings(_mutant(tmp_path, sample(QUFU), old, old)).empty        # 1+18+3+3+2+10 = 37
    f = _findings(_mutant(tmp_path, sample(QUFU), old, "全年共主动公开信息30条"))
    assert list(zip(f["rule"], f["severity"], f["expected"], f["actual"])) == [("N-TEXT-SELF", "warning", 30, 37)]


# --- the unit's type decides the deadline ------------------------------------------------------

@pytest.mark.parametrize("agency, kind", [
    ("平潭综合实验区", "government"), ("平潭综合实验区管理委员会", "government"), ("洪泽区人民政府", "government"),
    ("平潭综合实验区财政金融局", "department"), ("上海市科委", "department"),
    ("平潭综合实验区海坛片区管理局", "unclear"), ("鲁山县库区乡", "township"), ("天坛街道办事处", "township"),
    ("阿克苏地区行政公署", "government"), ("阿克苏地区行政公署办公室", "department"),
])
def test_unit_type_from_the_name(agency, kind):
    assert unit_type(agency) == kind


@pytest.mark.parametrize("agency, published, severity", [
    ("平潭综合实验区", "2025-03-20", None),                 # a region's own report: 3月31日
    ("平潭综合实验区", "2025-04-02", "error"),
    ("平潭综合实验区财政金融局", "2025-02-20", "error"),     # a department: 1月31日
    ("平潭综合实验区海坛片区管理局", "2025-02-20", "warning"),  # unclear: never an error
])
def test_deadline_by_unit_type(tmp_path, agency, published, severity):
    p = _mutant(tmp_path, sample(QUFU), "曲阜市时庄街道办事处2024年政府信息公开\n工作年度报告\n",
                f"{agency}2024年政府信息公开工作年度报告\n发布时间：{published}\n")
    f = _findings(p, "M-DEADLINE")
    assert list(f["severity"]) == ([severity] if severity else [])


def test_the_statistics_period_is_the_span_said_to_be_it(tmp_path):
    # an earlier sentence names last year's span: the 统计期限 is the one the report calls so
    p = _mutant(tmp_path, sample(QUFU), "本报告所列数据的统计期限", "街道对2023年1月1日至12月31日期间印发的文件进行了清理。本报告所列数据的统计期限")
    assert govaudit.load(p).meta["stat_period"] == "2024-01-01/2024-12-31"
    assert _findings(p, "X-STALE-YEAR").empty


DEPARTMENT_TITLE = "平潭综合实验区财政金融局2024年政府信息公开工作年度报告\n"     # deadline 2025-01-31


@pytest.mark.parametrize("head, tail, found", [
    # another page's date under "相关文章" is not this page's
    ("", "\n相关文章\n平潭综合实验区财政金融局关于招商工作的通知 发布时间：2025-03-15\n", []),
    # no 发布时间: a 落款 past the deadline ending the text means published late
    ("", "\n平潭综合实验区财政金融局\n2025年2月20日\n", [("error", "2025-02-20")]),
    ("", "\n平潭综合实验区财政金融局\n2025年1月20日\n", []),
    # a title left at last year's (2023) does not move the deadline back a year: the 统计期限 says 2024
    ("发布时间：2025-01-26\n", "", []),
])
def test_deadline_from_the_page_date_or_the_signing_date(tmp_path, head, tail, found):
    title = DEPARTMENT_TITLE if "2025-01-26" not in head else DEPARTMENT_TITLE.replace("2024", "2023")
    text = sample(QUFU).read_text(encoding="utf-8").replace(
        "曲阜市时庄街道办事处2024年政府信息公开\n工作年度报告\n", title + head, 1) + tail
    p = tmp_path / "report.txt"
    p.write_text(text, encoding="utf-8")
    f = _findings(p, "M-DEADLINE")
    assert list(zip(f["severity"], f["actual"])) == found


# --- a PDF dumped to text: page numbers between rows, labels wrapped around their numbers -------------

@pytest.fixture
def hongze_text(tmp_path):
    """The real PDF as `pdftotext -layout` prints it (poppler-utils: installed by make)."""
    import subprocess
    out = tmp_path / "hongze-district-2023.txt"
    subprocess.run(["pdftotext", "-layout", str(FIXTURES / "real" / "hongze-district-2023.pdf"), str(out)], check=True)
    return out


def test_pdf_text_dump_reads_like_the_pdf(hongze_text):
    text, pdf = govaudit.load(hongze_text), govaudit.load(FIXTURES / "real" / "hongze-district-2023.pdf")
    assert "-3-" in hongze_text.read_text(encoding="utf-8")          # a page number inside 表三
    assert text.warnings == []
    assert text.requests.equals(pdf.requests) and text.appeals.equals(pdf.appeals)
    errors = govaudit.check(text).query("severity == 'error'")
    assert set(zip(errors["rule"], errors["row"])) == {("T4-TOTAL", "review"), ("T4-TOTAL", "suit_after_review")}


WRAPPED = """     （六）其他处理
                 1、申请人无正当理由逾期不补
                 正、行政机关不再处理其政府信      1    0   0   0    0    0   1
                 息公开申请
                 2、申请人逾期未按收费通知要
                 求缴纳费用、行政机关不再处      0    0   0   0    0    0   0
                 理其政府信息公开申请
                 3、其他                     0    0   0   0    0    0   0
"""


def test_a_label_wrapped_around_its_numbers_is_one_row(tmp_path, hongze_text):
    single = "     （六）其他处理                           0    0   0   0    0    0   0\n"
    p = _mutant(tmp_path, hongze_text, single, WRAPPED)
    r = govaudit.load(p)
    assert r.warnings == []
    rows = ("other_no_correction", "other_unpaid_fee", "other_other")
    assert [r.value("requests", k, "total") for k in rows] == [1, 0, 0]      # "2、" and "3、" are never values
    f = govaudit.check(r)
    assert set(zip(f.query("severity == 'error'")["rule"], f.query("severity == 'error'")["column"])) == {
        ("T3-RESULT-TOTAL", "natural_person"), ("T3-RESULT-TOTAL", "total"), ("T4-TOTAL", "total")}


def test_all_upheld_while_a_case_is_pending(tmp_path):
    # 曲阜时庄: 行政复议 1 维持 + 1 纠正 = 2
    says = _mutant(tmp_path, sample(QUFU), SENTENCE, SENTENCE + "本年度行政复议案件均获维持。")
    f = _findings(says)
    assert list(zip(f["rule"], f["severity"], f["row"], f["expected"], f["actual"])) == [
        ("N-T4-COUNTS", "warning", "review", 2, 1)]


def test_another_unit_of_the_batch_named_in_a_report(tmp_path):
    import shutil
    for name in ("lushan-qintai-street-2024.txt", "lushan-kuqu-township-2024.txt"):
        shutil.copy(sample(name), tmp_path / name)
    clean = govaudit.check(govaudit.load_many(tmp_path, progress=False))
    before = set(clean[clean["rule"] == "C-FOREIGN-NAME"]["actual"])
    p = tmp_path / "lushan-qintai-street-2024.txt"
    text = p.read_text(encoding="utf-8")
    cut = text.index("五、存在的主要问题")
    p.write_text(text[:cut] + "鲁山县库区乡积极推进政务公开标准化建设。\n" + text[cut:], encoding="utf-8")
    f = govaudit.check(govaudit.load_many(tmp_path, progress=False))
    new = f[(f["rule"] == "C-FOREIGN-NAME") & ~f["actual"].isin(before)]
    assert list(zip(new["agency"], new["severity"], new["actual"])) == [("鲁山县琴台街道办事处", "warning", "鲁山县库区乡")]


def test_text_counts_by_applicant_against_the_table():
    # 农业农村局 2024: "共收到政府信息公开申请3份，其中法人申请1件、自然人申请2件"; 表三 新收: 自然人 3, 总计 left 0
    f = _findings(FIXTURES / "real" / "ptzhsyqnyn-2024.txt", "N-T3-NEW")
    assert set(zip(f["column"], f["expected"], f["actual"], f["severity"])) == {
        ("total", 3, 0, "warning"), ("natural_person", 2, 3, "warning"), ("commercial", 1, 0, "warning")}
    assert f["problem"].nunique() == 1                  # one row of 表三: one problem


def test_last_year_is_found_under_a_longer_name(tmp_path):
    # 2023 printed as "河南省鲁山县琴台街道办事处", 2024 as "鲁山县琴台街道办事处": one unit, X-CARRY compares them
    base = sample("lushan-qintai-street-2024.txt").read_text(encoding="utf-8")
    assert "鲁山县琴台街道办事处" in base
    last = base.replace("2024", "2023").replace("鲁山县琴台街道办事处", "河南省鲁山县琴台街道办事处")
    (tmp_path / "2023.txt").write_text(last, encoding="utf-8")
    (tmp_path / "2024.txt").write_text(base, encoding="utf-8")
    f = govaudit.check(govaudit.load_many(tmp_path, progress=False))
    assert "X-TEXT-REPEAT" in set(f[f["year"] == 2024]["rule"])          # paired: last year's text is compared
    (tmp_path / "2023.txt").write_text(last.replace("河南省鲁山县", "河南省叶县"), encoding="utf-8")
    f = govaudit.check(govaudit.load_many(tmp_path, progress=False))
    assert "X-TEXT-REPEAT" not in set(f[f["year"] == 2024]["rule"])      # another county's 琴台: never paired


def test_web_page_title_after_its_menus(tmp_path):
    menu = "".join(f"<li><a href='#'>栏目{i}</a></li>" for i in range(30))
    page = (f"<html><head><meta charset='utf-8'></head><body><ul>{menu}</ul><div>首页 &gt; 政务公开 &gt; 年度报告</div>"
            "<h1>洪泽区教育局2023年政府信息公开工作年度报告</h1><p>一、总体情况</p><p>2023年，我局……</p></body></html>")
    p = tmp_path / "page.html"
    p.write_text(page, encoding="utf-8")
    r = govaudit.load(p)
    assert (r.agency, r.year, r.id) == ("洪泽区教育局", 2023, "洪泽区教育局-2023")


@pytest.mark.parametrize("head, agency, year", [
    ("<title>洪泽区教育局2023年政府信息公开工作年度报告-洪泽区人民政府网</title>", "洪泽区教育局", 2023),
    ("", "", None),
])
def test_a_page_without_a_title_line_takes_its_own_title_never_a_sentence(tmp_path, head, agency, year):
    # the body's first line names 政府信息公开 in a sentence: it was taken as the title ("，我局认真…" the agency)
    page = (f"<html><head><meta charset='utf-8'>{head}</head><body><p>一、总体情况</p>"
            "<p>2023年，我局认真贯彻落实《中华人民共和国政府信息公开条例》，坚持以公开为常态。</p></body></html>")
    p = tmp_path / "page.html"
    p.write_text(page, encoding="utf-8")
    r = govaudit.load(p)
    assert (r.agency, r.year) == (agency, year)


def test_two_files_of_one_report_are_two_documents(tmp_path):
    import shutil
    shutil.copy(sample(QUFU), tmp_path / "a.txt")
    text = sample(QUFU).read_text(encoding="utf-8").replace("\t1\n\t1\n\t0\n\t0\n\t2\n", "\t1\n\t1\n\t0\n\t1\n\t2\n", 1)
    (tmp_path / "b.txt").write_text(text, encoding="utf-8")
    corpus = govaudit.load_many(tmp_path, progress=False)
    f = govaudit.check(corpus)
    ids = [r.id for r in corpus]
    assert len(set(ids)) == 2 and ids[1] == f"{ids[0]}（b.txt）"
    assert list(zip(f["report"], f["rule"])) == [(ids[1], "T4-TOTAL"), (ids[1], "M-CHANGED")]   # b's own finding
    assert f["id"].is_unique


def test_a_damaged_byte_is_a_reading_problem_shown_to_the_inspector(tmp_path):
    data = bytearray(sample(QUFU).read_bytes())
    offset = data.index("依法依规答复率".encode()) + 1
    data[offset] ^= 0x40                                   # inside a multi-byte character: not UTF-8 any more
    p = tmp_path / "damaged.txt"
    p.write_bytes(bytes(data))
    f = govaudit.check(govaudit.load(p))
    unreadable = f[f["category"] == "parse"]
    assert len(unreadable) >= 1 and all("不是有效的 UTF-8 编码" in m for m in unreadable["message"])
    assert not (f["severity"] == "error").any()
