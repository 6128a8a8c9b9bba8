"""Store edges (issue 16, item 7 and 8): malformed imports and database URLs are refused with a Chinese message
and exit 2 before anything is written; history is ordered by a sequence, so the old→new chain of a review holds
under concurrent saves; PostgreSQL refuses TRUNCATE of the history; the CSV export never writes a formula.
Real SQLite files and a real PostgreSQL server (tests/conftest.py), no mocks."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

from conftest import ROOT
from govaudit import store


def _cli(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "govaudit.cli", *args], capture_output=True, text=True, env=env)


def _export_with_one_review(tmp_path) -> dict:
    with store.open(f"sqlite:///{tmp_path / 'source.db'}", user="甲") as db:
        db.review("f1", report="r1", version=0, status="已确认", note="原始说明", due_date="2027-01-31")
        db.review("f2", report="r2", version=0, status="已排除")
        db.flag("r1", "第五部分照抄去年", section="problems")
        return json.loads(db.export("json"))


def _broken(payload: dict, edit) -> dict:
    payload = json.loads(json.dumps(payload))
    edit(payload)
    return payload


def _set(section, i, key, value):
    def edit(p):
        p[section][i][key] = value
    return edit


def _drop(section, i, key):
    def edit(p):
        del p[section][i][key]
    return edit


BAD_IMPORTS = {
    # name: (file bytes or an edit of a good export, what the message must say)
    "not-json": (b'{"format": "govaudit-reviews", "reviews": [', "不是有效的 JSON"),
    "not-utf8": ("审核".encode("gb18030") + b'{}', "不是 UTF-8"),
    "a-list": (b"[1, 2]", "不是 govaudit 审核记录导出文件"),
    "other-format": (b'{"format": "something-else"}', "不是 govaudit 审核记录导出文件"),
    "newer-version": (lambda p: p.update(version=99), "版本"),
    "reviews-not-a-list": (lambda p: p.update(reviews={"a": 1}), "reviews"),
    "bad-status": (_set("reviews", 1, "status", "已完成"), "审核状态"),
    "bad-rectification": (_set("reviews", 0, "rectification", "done"), "整改状态"),
    "bad-due-date": (_set("reviews", 0, "due_date", "2027-13-45"), "日期"),
    "bad-updated-at": (_set("reviews", 0, "updated_at", "yesterday"), "时间"),
    "long-finding-id": (_set("reviews", 0, "finding_id", "x" * 33), "finding_id"),
    "long-user": (_set("reviews", 0, "updated_by", "张" * 101), "updated_by"),
    "long-note": (_set("reviews", 0, "note", "长" * (store.TEXT_MAX + 1)), "note"),
    "note-a-number": (_set("reviews", 0, "note", 5), "note"),
    "version-text": (_set("reviews", 0, "version", "1"), "version"),
    "missing-status": (_drop("reviews", 0, "status"), "status"),
    "unknown-field": (_set("reviews", 0, "owner", "x"), "owner"),
    "flag-bad-severity": (_set("flags", 0, "severity", "fatal"), "severity"),
    "flag-empty-message": (_set("flags", 0, "message", " "), "message"),
    "history-bad-entity": (_set("history", 0, "entity", "table"), "entity"),
    "history-bad-at": (_set("history", 0, "at", None), "at"),
    "history-not-a-record": (lambda p: p["history"].append("x"), "历史记录"),
}


@pytest.mark.parametrize("case", list(BAD_IMPORTS))
def test_malformed_import_is_refused_before_writing_with_exit_2(tmp_path, case):
    content, said = BAD_IMPORTS[case]
    if not isinstance(content, bytes):
        content = json.dumps(_broken(_export_with_one_review(tmp_path), content), ensure_ascii=False).encode()
    path = tmp_path / "交接.json"
    path.write_bytes(content)
    url = f"sqlite:///{tmp_path / 'target.db'}"
    with store.open(url, user="乙") as db:
        db.review("mine", report="r9", version=0, note="本库已有")
    out = _cli("reviews", "import", str(path), "--db", url)
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert "Traceback" not in out.stderr and said in out.stderr and str(path) in out.stderr, out.stderr
    assert "未作任何改动" in out.stderr
    with store.open(url) as db:                     # nothing of the file was written, not even its valid part
        assert list(db.reviews().finding_id) == ["mine"] and db.flags().empty
        assert set(db.history().entity_id) == {"mine"}


def test_import_refusal_through_the_api_names_the_record(db_url, tmp_path):
    good = _export_with_one_review(tmp_path)
    bad = _broken(good, _set("reviews", 1, "status", "已完成"))
    with store.open(db_url) as db:
        with pytest.raises(store.ImportRefused, match=r"审核记录第 2 条（finding_id=f2）.*审核状态（status）“已完成”"):
            db.import_(json.dumps(bad, ensure_ascii=False))
        assert db.reviews().empty and db.history().empty
        counts = db.import_(json.dumps(good, ensure_ascii=False))
        assert counts["reviews"] == 2 and counts["flags"] == 1


@pytest.mark.parametrize("url,said", [
    ("not a url", "审核数据库地址无效"),
    ("data/reviews.db", "sqlite:///"),
    ("postgresql+psycopg://u@host:notaport/db", "审核数据库地址无效"),
    ("mysql://u@localhost/db", "不支持"),
    ("foo://x", "不支持"),
    ("postgresql://u:secret@127.0.0.1:1/db", "postgresql+psycopg"),
    ("postgresql+psycopg://u:secret@127.0.0.1:1/db", "无法打开审核数据库"),
])
def test_malformed_db_url_is_a_message_and_exit_2(tmp_path, url, said):
    export = _cli("reviews", "export", "--db", url)
    assert export.returncode == 2 and said in export.stderr and "Traceback" not in export.stderr, export.stderr
    assert "secret" not in export.stderr
    src = tmp_path / "r.json"
    src.write_text(json.dumps({"format": "govaudit-reviews", "version": 1, "reviews": [], "flags": [],
                               "history": []}), encoding="utf-8")
    imp = _cli("reviews", "import", str(src), "--db", url)
    assert imp.returncode == 2 and said in imp.stderr and "Traceback" not in imp.stderr, imp.stderr


@pytest.mark.parametrize("command", [["check", "--no-progress"], ["app", "--port", "1"]])
def test_check_and_app_refuse_a_malformed_db_url_up_front(tmp_path, command):
    out = _cli(command[0], str(tmp_path), "--db", "not a url", *command[1:])
    assert out.returncode == 2 and "审核数据库地址无效" in out.stderr and "Traceback" not in out.stderr


CHAIN_WRITER = textwrap.dedent("""
    import sys
    from govaudit import store
    url, who, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with store.open(url, user=who) as db:
        for i in range(n):
            db.review("chain", report="r", version=None, note=f"{who}-{i}")
""")


def test_history_chain_holds_under_concurrent_saves_without_a_version(db_url, tmp_path):
    """version=None ("whatever is there") never conflicts, and each save's old value is the previous save's new
    one in history order (ordered by a sequence taken inside the write, not by a clock read before the lock)."""
    n = 120
    with store.open(db_url, user="起") as db:
        db.review("chain", report="r", version=0, note="start")
    script = tmp_path / "chain.py"
    script.write_text(CHAIN_WRITER, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, str(script), db_url, who, str(n)], env=env,
                              stderr=subprocess.PIPE, text=True) for who in ("甲", "乙")]
    errs = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errs
    with store.open(db_url) as db:
        notes = db.history("chain")
        notes = notes[notes.field == "note"]
        assert len(notes) == 1 + 2 * n
        broken = [(a, b) for a, b in zip(notes.new.iloc[:-1], notes.old.iloc[1:]) if a != b]
        assert broken == []
        assert notes.new.iloc[-1] == db.get_review("chain").note
        assert db.get_review("chain").version == 1 + 2 * n
        assert list(db.history().seq) == sorted(db.history().seq)


def test_postgresql_refuses_truncate_of_the_history(pg_database):
    with store.open(pg_database) as db:
        db.review("x", report="r", version=0, status="已确认")
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(sa.text("TRUNCATE history"))
        assert len(db.history("x")) == 2


def test_upgrade_to_0004_numbers_the_old_history_in_time_order(db_url):
    import uuid
    from datetime import timedelta
    old = store.Store(db_url, migrate_to="0003")
    t0 = store._now()
    ids = sorted(str(uuid.uuid4()) for _ in range(5))[::-1]        # id order is not time order
    with old.engine.begin() as conn:
        for i, hid in enumerate(ids):
            conn.execute(sa.text('INSERT INTO history (id, at, "user", entity, entity_id, field, old, new) '
                                 "VALUES (:id, :at, '老张', 'review', 'old', 'note', :old, :new)"),
                         {"id": hid, "at": t0 + timedelta(seconds=i), "old": f"第{i - 1}稿" if i else None,
                          "new": f"第{i}稿"})
    old.close()
    with store.open(db_url, user="新人") as db:
        assert db.schema_version() == "0005"
        db.review("old", report="r", version=0, note="升级后")
        hist = db.history("old")
        notes = hist[hist.field == "note"]
        assert list(notes.id[:5]) == ids and list(notes.new) == [f"第{i}稿" for i in range(5)] + ["升级后"]
        assert hist.seq.is_monotonic_increasing and hist.seq.is_unique


def test_export_import_keeps_history_order_and_seq_stays_local(db_url, tmp_path):
    with store.open(db_url, user="甲") as a:
        for i in range(4):
            a.review("f", report="r", version=i, note=f"稿{i}")
        exported = a.export("json")
    assert all("seq" not in h for h in json.loads(exported)["history"])
    with store.open(f"sqlite:///{tmp_path / 'b.db'}", user="乙") as b:
        b.review("g", report="r", version=0, note="乙先写")
        b.import_(exported)
        notes = b.history("f")
        assert list(notes[notes.field == "note"].new) == ["稿0", "稿1", "稿2", "稿3"]


FORMULAS = ["=cmd|' /C calc'!A0", "+SUM(1,2)", "-2+3", "@SUM(A1)", "\t=1", "\r=1", " =HYPERLINK(\"http://x\")"]


def test_csv_export_never_writes_a_formula(db_url, tmp_path):
    with store.open(db_url, user="=攻击者") as db:
        for i, text in enumerate(FORMULAS):
            db.review(f"f{i}", report="=r", version=0, note=text)
        text = db.export("csv")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == len(FORMULAS)
    for row in rows:
        for value in row.values():
            assert not value.lstrip(" \t\r\n")[:1] in ("=", "+", "-", "@") or value.startswith("'"), (value, row)
    assert {r["note"] for r in rows} == {"'" + t for t in FORMULAS}
    # the CLI writes the same escaped sheet
    out = tmp_path / "reviews.csv"
    run = _cli("reviews", "export", "--db", db_url, "--format", "csv", "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert "'=cmd|" in out.read_text(encoding="utf-8-sig")


def test_review_refuses_overlong_text(db_url):
    with store.open(db_url) as db:
        with pytest.raises(ValueError, match="说明"):
            db.review("x", report="r", version=0, note="长" * (store.TEXT_MAX + 1))
        assert db.reviews().empty


APP_ROLE_SQL = """
CREATE ROLE govaudit_app LOGIN;
GRANT CONNECT ON DATABASE {db} TO govaudit_app;
GRANT USAGE ON SCHEMA public TO govaudit_app;
GRANT SELECT ON alembic_version TO govaudit_app;
GRANT SELECT, INSERT, UPDATE ON reports, runs, run_reports, run_files, findings, reviews, flags TO govaudit_app;
GRANT SELECT, INSERT ON history TO govaudit_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO govaudit_app;
"""


def test_the_documented_app_role_saves_reviews_but_cannot_touch_history(pg_database, qintai_run):
    """README, "Database roles": the owner upgrades the schema; the app's role writes reviews and appends
    history, and can neither change, delete, truncate nor unprotect it."""
    report, findings = qintai_run
    store.open(pg_database).close()                              # the owner creates / upgrades the schema
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert APP_ROLE_SQL.format(db="govaudit").strip() in readme   # the test runs what the README says
    name = pg_database.rsplit("/", 1)[1]
    engine = sa.create_engine(pg_database, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for statement in APP_ROLE_SQL.format(db=name).strip().split("\n"):
            conn.execute(sa.text(statement))
    engine.dispose()
    app_url = pg_database.replace("//govaudit@", "//govaudit_app@")
    with store.open(app_url, user="检查员") as db:
        source = Path(report.meta["source"])
        db.record_run(findings, [report], files=[{"path": str(source), "size": source.stat().st_size,
                                                  "mtime_ns": source.stat().st_mtime_ns,
                                                  "sha256": report.meta["sha256"], "report": report.id}])
        assert list(db.checked_files(source.parent).report) == [report.id]
        fid = findings.id.iloc[0]
        db.review(fid, version=0, status="已确认", note="经核实")
        db.review(fid, version=None, note="补充说明")
        db.flag(report.id, "第五部分照抄去年", section="problems")
        assert len(db.history(fid)) == 4
        for attack in ("DELETE FROM history", "UPDATE history SET new = 'x'", "TRUNCATE history",
                       "ALTER TABLE history DISABLE TRIGGER history_append_only",
                       "DROP TRIGGER history_append_only ON history", "DROP TABLE history"):
            with pytest.raises(sa.exc.DatabaseError, match="permission denied|must be owner|append-only"):
                with db.engine.begin() as conn:
                    conn.execute(sa.text(attack))
        assert len(db.history(fid)) == 4


@pytest.fixture(scope="module")
def qintai_run():
    import govaudit
    from conftest import SEEDS
    report = govaudit.load(SEEDS / "lushan-qintai-street-2024.txt")
    return report, govaudit.check(report)
