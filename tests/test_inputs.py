"""Layouts and bad input: each layout by a small fixture of its own, every bad file named in the error."""
import os
import subprocess
import sys

import pytest

import govaudit
from conftest import ROOT, sample
from expected import SAMPLES, assert_table

QUFU = SAMPLES["qufu-shizhuang-street-2024.txt"]


def _write(tmp_path, name, text, encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_gbk_encoded_file_reads_the_same(tmp_path):
    text = sample("qufu-shizhuang-street-2024.txt").read_text(encoding="utf-8")
    report = govaudit.load(_write(tmp_path, "gbk.txt", text, "gb18030"))
    assert_table(report, "requests", QUFU["requests"])
    assert report.agency == QUFU["agency"]


def test_utf8_bom(tmp_path):
    text = sample("jiyuan-tiantan-street-2024.txt").read_text(encoding="utf-8")
    report = govaudit.load(_write(tmp_path, "bom.txt", text, "utf-8-sig"))
    assert report.meta["title"].startswith("天坛街道办事处")
    assert report.value("active", "punishment", "decisions") == 43


@pytest.mark.parametrize("content,reason", [
    (b"", "文件为空"),
    (b"   \n\n", "文件为空"),
    (bytes(range(256)) * 20, "二进制"),
    ("第一章 总则\n本办法适用于全市。\n".encode("utf-8"), "不是政府信息公开工作年度报告"),
])
def test_bad_input_names_the_file(tmp_path, content, reason):
    p = tmp_path / "bad.txt"
    p.write_bytes(content)
    with pytest.raises(govaudit.ReadError) as e:
        govaudit.load(p)
    assert str(p) in str(e.value) and reason in str(e.value)


def test_undecodable_text_is_an_error_not_mojibake(tmp_path):
    p = tmp_path / "latin.txt"
    p.write_bytes("Résumé – naïve façade ".encode("cp1252") * 50)
    with pytest.raises(govaudit.ReadError, match="编码"):
        govaudit.load(p)


def test_unknown_suffix(tmp_path):
    p = tmp_path / "report.xyz"
    p.write_text("x")
    with pytest.raises(govaudit.UnsupportedFormat):
        govaudit.load(p)


def test_report_cut_off_mid_table(tmp_path):
    lines = sample("jiyuan-tiantan-street-2024.txt").read_text(encoding="utf-8").split("\n")
    cut = next(i for i, l in enumerate(lines) if "行政查询事项" in l)
    report = govaudit.load(_write(tmp_path, "cut.txt", "\n".join(lines[: cut + 1])))
    assert report.value("requests", "new_received", "total") == 4
    assert report.value("requests", "denied_inquiry", "total") == 0
    assert report.value("requests", "total_processed", "total") is None
    missing = {w["row"] for w in report.warnings if w["code"] == "row-missing"}
    assert {"unable_not_held", "total_processed", "carried_forward"} <= missing
    assert "appeals" not in report.meta["sections_found"]


def test_blank_and_slash_cells_are_na_not_zero(tmp_path):
    text = sample("qufu-shizhuang-street-2024.txt").read_text(encoding="utf-8")
    lines = text.split("\n")
    i = next(i for i, l in enumerate(lines) if "2.重复申请" in l)
    # the seven value lines after the label: blank the first, "/" the second
    lines[i + 1], lines[i + 2] = "\t", "\t/"
    report = govaudit.load(_write(tmp_path, "blank.txt", "\n".join(lines)))
    assert report.value("requests", "declined_repeated", "natural_person") is None
    assert report.value("requests", "declined_repeated", "commercial") is None
    assert report.value("requests", "declined_repeated", "total") == 0
    assert report.provenance[("requests", "declined_repeated", "commercial")]["raw"] == "/"


def test_html_table_with_rowspan_and_colspan(tmp_path):
    rows = [("一、本年新收政府信息公开申请数量", [3, 1, 0, 0, 0, 0, 4]),
            ("二、上年结转政府信息公开申请数量", [0] * 7),
            ("（一）予以公开", [2, 1, 0, 0, 0, 0, 3]),
            ("（七）总计", [3, 1, 0, 0, 0, 0, 4]),
            ("四、结转下年度继续办理", [0] * 7)]
    body = "".join(f"<tr><td colspan='3'>{label}</td>" + "".join(f"<td>{v}</td>" for v in vals) + "</tr>"
                   for label, vals in rows)
    body = body.replace("<td colspan='3'>（一）予以公开", "<td rowspan='2'>三、本年度办理结果</td><td colspan='2'>（一）予以公开")
    html = (f"<html><head><meta charset='utf-8'></head><body><h1>某某局2023年政府信息公开工作年度报告</h1>"
            f"<p>三、收到和处理政府信息公开申请情况</p><table><tr><td colspan='3' rowspan='2'>"
            f"（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</td><td colspan='7'>申请人情况</td></tr>"
            f"{body}</table><p>四、政府信息公开行政复议、行政诉讼情况</p></body></html>")
    report = govaudit.load(_write(tmp_path, "r.html", html))
    assert report.year == 2023
    assert report.value("requests", "new_received", "commercial") == 1
    assert report.value("requests", "granted", "total") == 3
    assert report.provenance[("requests", "granted", "total")]["table"] == 1


def test_flattened_text_several_rows_on_one_line(tmp_path):
    text = ("某县某局2022年政府信息公开工作年度报告\n三、收到和处理政府信息公开申请情况 申请人情况 自然人 "
            "一、本年新收政府信息公开申请数量 2 1 0 0 0 0 3 二、上年结转政府信息公开申请数量0000000 "
            "三、本年度办理结果 （一）予以公开 1 1 0 0 0 0 2（二）部分公开 1 0 0 0 0 0 1 （七）总计 2 1 0 0 0 0 3 "
            "四、结转下年度继续办理 0 0 0 0 0 0 0\n四、政府信息公开行政复议、行政诉讼情况\n")
    report = govaudit.load(_write(tmp_path, "flat.txt", text))
    assert report.value("requests", "new_received", "total") == 3
    assert report.value("requests", "carried_over", "other_org") == 0
    assert report.value("requests", "partly_granted", "natural_person") == 1


def test_directory_with_one_bad_file_completes(tmp_path):
    for name in ("qufu-shizhuang-street-2024.txt", "lushan-kuqu-township-2024.txt"):
        (tmp_path / name).write_bytes(sample(name).read_bytes())
    (tmp_path / "broken.txt").write_bytes(b"\x00\x01\x02" * 100)
    corpus = govaudit.load_many(tmp_path, progress=False)
    assert len(corpus) == 2
    [err] = corpus.errors
    assert err["path"].endswith("broken.txt") and "二进制" in err["reason"]


def test_pool_gives_the_same_reports_as_serial(tmp_path):
    for name in SAMPLES:
        (tmp_path / name).write_bytes(sample(name).read_bytes())
    pooled = govaudit.load_many(tmp_path, workers=2, progress=False)
    serial = govaudit.load_many(tmp_path, workers=1, progress=False)
    assert [r.to_dict() for r in pooled] == [r.to_dict() for r in serial]


def _cli(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "govaudit.cli", *args], capture_output=True, text=True, env=env)


def test_cli_extract_json():
    import json
    out = _cli("extract", str(sample("qufu-shizhuang-street-2024.txt")), "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["requests"]["unable_not_held"]["natural_person"] == 6
    assert data["appeals"]["review"]["total"] == 2
    assert data["active"]["licensing"] == {"decisions": 0}
    assert data["meta"]["template"] == "2021"


def test_cli_extract_unreadable_exit_2_without_traceback(tmp_path):
    out = _cli("extract", str(tmp_path / "missing.pdf"))
    assert out.returncode == 2
    assert "missing.pdf" in out.stderr and "Traceback" not in out.stderr
