"""Hostile and careless input to a batch (issue 16, items 3, 5 and 10): one bad file never ends a batch,
nothing is left out without a word, text in UTF-16 or with a damaged byte is read, names cannot fake lines.

Everything is real: files, symlinks, a named pipe and folders on disk; permissions enforced by the kernel
(as root, by running without CAP_DAC_OVERRIDE through setpriv); workers killed with SIGKILL; memory bounded
by RLIMIT_AS. No mocks, no test hooks in the code.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import govaudit
from conftest import ROOT, SEEDS, sample
from expected import SAMPLES as EXPECTED, assert_table
from govaudit import batch

QUFU = "qufu-shizhuang-street-2024.txt"
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}


def _unprivileged(cmd: list[str]) -> list[str]:
    """Run as this user but, when that is root, without the capabilities that ignore file permissions."""
    if os.geteuid() != 0:
        return cmd
    caps = "-dac_override,-dac_read_search"
    return ["setpriv", "--bounding-set", caps, "--inh-caps", caps, *cmd]


def _cli(*args, unprivileged=False):
    cmd = [sys.executable, "-m", "govaudit.cli", *args]
    return subprocess.run(_unprivileged(cmd) if unprivileged else cmd, capture_output=True, text=True, env=ENV)


def _samples(folder: Path, copies: int = 1) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for k in range(copies):
        for f in sorted(SEEDS.glob("*.txt")):
            target = folder / (f.name if k == 0 else f"{f.stem}-{k}{f.suffix}")
            shutil.copyfile(f, target)
            out.append(target)
    return out


def _locked(path: Path) -> Path:
    shutil.copyfile(sample(QUFU), path)
    path.chmod(0)
    return path


# --- item 3: an unreadable file, a dying worker, the exit code -------------------------------

LOAD_SCRIPT = textwrap.dedent("""
    import json, sys
    import govaudit
    corpus = govaudit.load_many(sys.argv[1], workers=int(sys.argv[2]), progress=False)
    print(json.dumps({"reports": sorted(r.meta["source"] for r in corpus),
                      "errors": {e["path"]: e["reason"] for e in corpus.errors}}, ensure_ascii=False))
""")


@pytest.mark.parametrize("workers", [1, 2], ids=["in-process", "pool"])
def test_an_unreadable_file_is_one_error_and_the_batch_goes_on(tmp_path, workers):
    good = _samples(tmp_path / "in")
    locked = _locked(tmp_path / "in" / "locked.txt")
    script = tmp_path / "load.py"
    script.write_text(LOAD_SCRIPT, encoding="utf-8")
    run = subprocess.run(_unprivileged([sys.executable, str(script), str(tmp_path / "in"), str(workers)]),
                         capture_output=True, text=True, env=ENV)
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    assert got["reports"] == sorted(map(str, good))
    assert got["errors"] == {str(locked): "没有读取权限"}


def test_check_exits_2_naming_the_unreadable_file_and_still_writes_the_others(tmp_path):
    _samples(tmp_path / "in")
    locked = _locked(tmp_path / "in" / "locked.txt")
    run = _cli("check", str(tmp_path / "in"), "--format", "json", "--no-progress", "--no-cache", unprivileged=True)
    assert run.returncode == 2, run.stderr
    assert f"无法读取 {locked}：没有读取权限" in run.stderr and "Traceback" not in run.stderr
    findings = json.loads(run.stdout)                     # the findings of the readable reports are written
    assert {f["report"] for f in findings} and not any("locked" in f["source"] for f in findings)
    assert "1 个文件无法读取" in run.stderr
    clean = _cli("check", str(sample(QUFU)), "--format", "json", "--no-progress", "--no-cache")
    assert clean.returncode == 0 and json.loads(clean.stdout) == []


KILLER_SCRIPT = textwrap.dedent("""
    import json, os, signal, sys
    from pathlib import Path
    import govaudit
    from govaudit import batch

    mode, folder, deaths = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    me, work = os.getpid(), batch._work

    def dying(path, *args, **kwargs):
        # a worker that dies by SIGKILL as it takes a file (as one crashed by a parser would): every worker,
        # or only the first of all (its marker file is created once). Never this process itself.
        if os.getpid() != me:
            try:
                os.close(os.open(deaths / ("first" if mode == "once" else str(os.getpid())),
                                 os.O_CREAT | os.O_EXCL | os.O_WRONLY))
                os.kill(os.getpid(), signal.SIGKILL)
            except FileExistsError:
                pass
        return work(path, *args, **kwargs)

    batch._work = dying          # the pool's workers are forked from here: they run it
    corpus = govaudit.load_many(folder, workers=2, progress=False)
    print(json.dumps({"reports": len(corpus.reports), "killed": len(list(deaths.iterdir())),
                      "errors": {e["path"]: e["reason"] for e in corpus.errors}}, ensure_ascii=False))
""")


def _killing(tmp_path, mode: str):
    script, deaths = tmp_path / "killer.py", tmp_path / "deaths"
    script.write_text(KILLER_SCRIPT, encoding="utf-8")
    deaths.mkdir()
    run = subprocess.run([sys.executable, str(script), mode, str(tmp_path / "in"), str(deaths)],
                         capture_output=True, text=True, env=ENV, timeout=600)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_a_worker_killed_once_loses_no_file(tmp_path):
    files = _samples(tmp_path / "in", copies=3)
    got = _killing(tmp_path, "once")
    assert got["killed"] == 1
    assert got["reports"] == len(files) and got["errors"] == {}


def test_a_file_whose_worker_dies_again_alone_is_reported_and_the_run_ends(tmp_path):
    """Every worker is killed: each file is retried once in a process of its own, then reported."""
    files = _samples(tmp_path / "in")
    got = _killing(tmp_path, "every")
    assert got["reports"] == 0
    assert got["errors"] == {str(f): batch.DIED for f in files}
    assert got["killed"] >= len(files) + 1            # the pool's worker(s), then one process per file alone


MEMORY_SCRIPT = textwrap.dedent("""
    import json, resource, sys
    from pathlib import Path
    import govaudit
    from govaudit import batch
    from govaudit.checks import select_rules

    folder, extra_mib = Path(sys.argv[1]), int(sys.argv[2])
    vm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmSize")) * 1024
    resource.setrlimit(resource.RLIMIT_AS, (vm + extra_mib * 2**20, resource.RLIM_INFINITY))
    plan = batch.Plan(tuple(r.id for r in select_rules(None, None)), {})
    alone = batch._work(folder / "big.txt", None, plan)             # the pool function itself
    corpus = govaudit.load_many(folder, workers=2, progress=False)   # forked workers inherit the limit
    print(json.dumps({"alone": alone, "reports": len(corpus.reports),
                      "errors": {e["path"]: e["reason"] for e in corpus.errors}}, ensure_ascii=False))
""")


def test_a_file_that_exhausts_a_memory_limit_is_reported_the_others_read(tmp_path):
    files = _samples(tmp_path / "in")
    lines = sample(QUFU).read_text(encoding="utf-8").split("\n")
    i = next(i for i, line in enumerate(lines) if line.startswith("二、"))
    big = tmp_path / "in" / "big.txt"            # a 6.5 MB report: about 80 MiB to parse
    big.write_text("\n".join(lines[:i] + ["本机关坚持以公开为常态、不公开为例外，持续推进政务公开。"] * 70_000 + lines[i:]),
                   encoding="utf-8")
    script = tmp_path / "memory.py"
    script.write_text(MEMORY_SCRIPT, encoding="utf-8")
    run = subprocess.run([sys.executable, str(script), str(tmp_path / "in"), "60"], capture_output=True,
                         text=True, env=ENV, timeout=600)
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    assert got["alone"]["reason"] == govaudit.errors.NO_MEMORY and got["alone"]["path"] == str(big)
    assert got["reports"] == len(files) and got["errors"] == {str(big): govaudit.errors.NO_MEMORY}


# --- item 5: nothing left out without a word ---------------------------------------------------

def _odd_folder(root: Path) -> dict[str, str]:
    """A folder of samples beside every odd thing a shared drive holds; what each odd thing must say."""
    _samples(root)
    (root / "broken.txt").symlink_to("nowhere.txt")
    (root / "self.pdf").symlink_to("self.pdf")
    (root / "ping.docx").symlink_to("pong.docx")
    (root / "pong.docx").symlink_to("ping.docx")
    (root / "x.pdf").mkdir()
    shutil.copyfile(sample("lushan-kuqu-township-2024.txt"), root / "x.pdf" / "inside.txt")
    os.mkfifo(root / "pipe.txt")
    (root / "linked").symlink_to(root / "x.pdf", target_is_directory=True)   # walked once, not twice
    (root / "x.pdf" / "up").symlink_to(root, target_is_directory=True)      # a loop back to the top
    (root / "to-target").symlink_to("elsewhere/report.html")                 # broken, named by its target
    (root / "notes").write_text("not a report suffix, not a report")
    (root / ".hidden.txt").write_text("hidden files are not read")
    (root / "~$qufu.docx").write_bytes(b"\x06inspector" + b"\x00" * 150)   # Word's lock file of an open document
    return {"broken.txt": "符号链接指向的文件不存在（指向 nowhere.txt）",
            "self.pdf": "符号链接循环",
            "ping.docx": "符号链接循环",
            "pong.docx": "符号链接循环",
            "x.pdf": "这是一个文件夹，不是报告文件",
            "pipe.txt": "不是普通文件（命名管道）",
            "to-target": "符号链接指向的文件不存在（指向 elsewhere/report.html）"}


def test_every_odd_entry_is_listed_with_its_reason(tmp_path):
    root = tmp_path / "in"
    expected = _odd_folder(root)
    errors: list = []
    files = batch.report_files(root, errors)
    assert [f.relative_to(root).as_posix() for f in files] == sorted(
        [f.name for f in SEEDS.glob("*.txt")] + ["x.pdf/inside.txt"])
    reasons = {Path(e["path"]).relative_to(root).as_posix(): e["reason"] for e in errors}
    assert set(reasons) == set(expected)
    for name, said in expected.items():
        assert said in reasons[name], (name, reasons[name])
    corpus = govaudit.load_many(root, workers=2, progress=False)      # the same list in corpus.errors
    assert len(corpus.reports) == len(files)
    assert {Path(e["path"]).name for e in corpus.errors} == set(expected)
    assert all(e["message"].startswith(f"无法读取 {e['path']}：") for e in corpus.errors)


def test_an_explicitly_named_pipe_or_link_is_an_error_not_a_hang(tmp_path):
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "loop.txt").symlink_to("loop.txt")
    for name, said in (("pipe.txt", "命名管道"), ("loop.txt", "符号链接循环")):
        with pytest.raises(govaudit.ReadError, match=said):
            govaudit.load(tmp_path / name)


def test_an_unreadable_subfolder_is_listed_by_the_cli(tmp_path):
    root = tmp_path / "in"
    expected = _odd_folder(root)
    shutil.copytree(root / "x.pdf", root / "closed", symlinks=True)
    (root / "closed").chmod(0)
    run = _cli("check", str(root), "--format", "json", "--no-progress", "--no-cache", unprivileged=True)
    (root / "closed").chmod(0o755)
    assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
    lines = run.stderr.strip().split("\n")
    listed = {line.split("：", 1)[0].removeprefix(f"govaudit: 无法读取 {root}/"): line for line in lines[:-1]}
    assert set(listed) == set(expected) | {"closed"}
    assert "无法打开文件夹（没有权限），其中的文件均未读取" in listed["closed"]
    assert lines[-1].startswith(f"govaudit: {len(expected) + 1} 个文件无法读取")
    assert json.loads(run.stdout)                          # the readable reports were still checked


# --- item 10: encodings, a damaged byte, a newline in a name -------------------------------------

@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be-bom", "utf-32", "utf-16-le", "utf-16-be"])
def test_text_in_utf16_or_utf32_is_read(tmp_path, encoding):
    """With a byte-order mark, or UTF-16 without one (utf-16-le/-be encode none)."""
    text = sample(QUFU).read_text(encoding="utf-8")
    data = (b"\xfe\xff" + text.encode("utf-16-be")) if encoding == "utf-16-be-bom" else text.encode(encoding)
    p = tmp_path / "report.txt"
    p.write_bytes(data)
    report = govaudit.load(p)
    assert_table(report, "requests", EXPECTED[QUFU]["requests"])
    assert not [w for w in report.warnings if w["code"] == "bad-bytes"]


@pytest.mark.parametrize("data", [b"\x00\x01binary\x00\x00\xff\xfe" * 50,
                                  "报告".encode("utf-16-le") + b"\x00\x00\x00\x00\x01\x02\x03\x04" * 40,
                                  "abc 123\n".encode("utf-16-le") * 40])
def test_binary_with_nul_bytes_is_not_read_as_utf16(tmp_path, data):
    p = tmp_path / "report.txt"
    p.write_bytes(data)
    with pytest.raises(govaudit.ReadError, match="二进制数据"):
        govaudit.load(p)


def test_a_damaged_utf8_byte_is_read_as_unknown_and_named(tmp_path):
    data = bytearray(sample(QUFU).read_bytes())
    lines = data.split(b"\n")
    assert lines[88] == b"\t9"                              # line 89: 新收 natural persons
    offset = sum(len(line) + 1 for line in lines[:88]) + 1
    data[offset] ^= 0x80                                   # "9" becomes 0xB9: not UTF-8
    p = tmp_path / "flipped.txt"
    p.write_bytes(bytes(data))
    report = govaudit.load(p)
    # the row holding the damaged cell is not read (as with any character that is not a digit), never guessed
    assert report.value("requests", "new_received", "natural_person") is None
    assert report.value("requests", "new_received", "total") is None
    columns = list(report.table("requests").columns)
    for row, values in EXPECTED[QUFU]["requests"].items():                     # everything else is read
        if row != "new_received":
            assert [report.value("requests", row, c) for c in columns] == values, row
    assert report.agency == EXPECTED[QUFU]["agency"]
    notes = [w for w in report.warnings if w["code"] == "bad-bytes"]
    assert len(notes) == 1 and notes[0]["source"] == {"line": 89, "byte": offset, "encoding": "UTF-8"}
    assert f"第 89 行（文件第 {offset + 1} 个字节）的 B9 不是有效的 UTF-8 编码" in notes[0]["message"]


def test_many_damaged_bytes_or_another_encoding_is_still_an_error(tmp_path):
    data = bytearray(sample(QUFU).read_bytes())
    for k in range(100, len(data), 60):
        data[k] = 0xFF
    p = tmp_path / "noise.txt"
    p.write_bytes(bytes(data))
    with pytest.raises(govaudit.ReadError, match="编码"):
        govaudit.load(p)


def test_a_damaged_byte_in_html_is_an_error_naming_it(tmp_path):
    p = tmp_path / "page.html"
    p.write_bytes("<html><body><p>政府信息公开工作年度报告。本机关坚持以公开为常态、不公开为例外。</p>".encode()
                  + b"<p>\xff</p></body></html>")
    with pytest.raises(govaudit.ReadError, match=r"第 1 行（文件第 \d+ 个字节）起有 1 处不是有效的 UTF-8 编码"):
        govaudit.load(p)


def test_a_newline_in_a_file_name_cannot_fake_a_line(tmp_path):
    root = tmp_path / "in"
    _samples(root)
    name = "报告\ngovaudit: 全部文件读取正常.txt"
    (root / name).write_bytes(b"")
    run = _cli("check", str(root), "--format", "json", "--no-progress", "--no-cache")
    assert run.returncode == 2
    lines = run.stderr.strip().split("\n")
    assert len(lines) == 2, lines
    assert lines[0] == f"govaudit: 无法读取 {str(root / name)!r}：文件为空"
    assert "1 个文件无法读取" in lines[1]
    with pytest.raises(govaudit.ReadError) as e:
        govaudit.load(root / name)
    assert "\n" not in str(e.value) and e.value.path == str(root / name)


def test_the_workbench_lists_what_was_not_read(tmp_path):
    from govaudit import store
    from govaudit.folder import check_folder
    from govaudit.ui.workbench import Workbench
    root = tmp_path / "in"
    expected = _odd_folder(root)
    url = f"sqlite:///{tmp_path / 'reviews.db'}"
    with store.open(url) as db:                 # checked before the page opens, as `govaudit check --db` does
        check_folder(root, db, cache_dir=tmp_path / "cache")
    bench = Workbench(root, url)
    shown = bench.unreadable.value
    assert f"{len(expected)} 份文件无法读取" in shown
    for name, said in expected.items():
        assert f"无法读取 {root / name}：" in shown and said in shown, name
