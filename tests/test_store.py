"""The review store on a real SQLite file and a real PostgreSQL server (the same tests on both)."""
from __future__ import annotations

import json
import multiprocessing as mp
import signal
import subprocess
import sys
import textwrap

import pytest
import sqlalchemy as sa

import govaudit
from conftest import SEEDS
from govaudit import store
from govaudit.errors import StoreConflict, StoreError, StoreReadOnly

QINTAI = SEEDS / "lushan-qintai-street-2024.txt"


@pytest.fixture(scope="module")
def qintai():
    report = govaudit.load(QINTAI)
    return report, govaudit.check(report)


def text_self_id(findings) -> str:
    return findings[findings.rule == "N-TEXT-SELF"].id.iloc[0]


def test_reviews_survive_reruns_and_a_corrected_report(db_url, qintai, tmp_path):
    report, findings = qintai
    fid = text_self_id(findings)
    with store.open(db_url, user="张三") as db:
        db.record_run(findings, [report])
        db.review(fid, version=0, status="已确认", note="13条与186条矛盾", rectification="整改中",
                  due_date="2027-01-31")
        db.record_run(govaudit.check(report), [report])           # the same run again
        row = db.latest_findings().set_index("id").loc[fid]
        assert (row.status, row.note, row.state, row.version) == ("已确认", "13条与186条矛盾", "现存", 1)

        fixed = tmp_path / QINTAI.name
        fixed.write_text(QINTAI.read_text(encoding="utf-8").replace("信息 186 条", "信息 6 条"), encoding="utf-8")
        corrected = govaudit.load(fixed)
        assert corrected.meta["sha256"] != report.meta["sha256"]
        new_findings = govaudit.check(corrected)
        assert fid not in set(new_findings.id)
        db.record_run(new_findings, [corrected])
        latest = db.latest_findings().set_index("id")
        assert latest.loc[fid, "state"] == store.CORRECTED and latest.loc[fid, "status"] == "已确认"
        assert latest.loc[fid, "due_date"].isoformat() == "2027-01-31"
        assert (latest.drop(fid).state == "现存").all()
        hist = db.history(fid)
        assert set(hist.field) == {"status", "note", "rectification", "due_date"} and set(hist.user) == {"张三"}


def test_a_stale_save_is_a_conflict_that_shows_the_other_change(db_url, qintai):
    report, findings = qintai
    fid = text_self_id(findings)
    with store.open(db_url, user="李四") as a, store.open(db_url, user="王五") as b:
        a.record_run(findings, [report])
        seen = b.get_review(fid)
        a.review(fid, version=0, status="已排除", note="系不同口径")
        with pytest.raises(StoreConflict) as e:
            b.review(fid, version=seen.version, status="已确认")
        assert "李四" in str(e.value) and "已排除" in str(e.value) and "系不同口径" in str(e.value)
        assert a.get_review(fid).status == "已排除"           # nothing overwritten
        hist = a.history(fid)
        assert set(hist.user) == {"李四"} and "已确认" not in set(hist.new)


def _save_after_barrier(url, fid, barrier, user, queue):
    db = store.open(url, user=user)
    version = db.get_review(fid).version
    barrier.wait()
    try:
        db.review(fid, version=version, status="已确认", note=f"{user}的意见")
        queue.put("saved")
    except StoreConflict:
        queue.put("conflict")
    finally:
        db.close()


@pytest.mark.parametrize("existing", [False, True], ids=["new-review", "existing-review"])
def test_two_processes_saving_the_same_review(db_url, qintai, existing):
    report, findings = qintai
    fid = text_self_id(findings)
    with store.open(db_url) as db:
        db.record_run(findings, [report])
        if existing:
            db.review(fid, version=0, note="初稿")
    ctx = mp.get_context("spawn")
    barrier, queue = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_save_after_barrier, args=(db_url, fid, barrier, u, queue)) for u in ("甲", "乙")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    outcomes = sorted(queue.get(timeout=5) for _ in procs)
    assert outcomes == ["conflict", "saved"]
    with store.open(db_url) as db:
        review = db.get_review(fid)
        assert review.version == (2 if existing else 1)
        assert review.note == f"{review.updated_by}的意见"


KILLED_WRITER = textwrap.dedent("""
    import sys
    from govaudit import store
    db = store.open(sys.argv[1], user="批量")
    for i in range(100000):
        db.review(f"f{i:06d}", report="r", version=0, status="已确认", note=f"第{i}条")
        print(i, flush=True)       # printed only after the commit returned
""")


def test_sigkill_in_the_middle_of_a_batch_loses_nothing_committed(db_url, tmp_path):
    store.open(db_url).close()
    script = tmp_path / "writer.py"
    script.write_text(KILLED_WRITER, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script), db_url], stdout=subprocess.PIPE, text=True)
    committed = -1
    for line in proc.stdout:
        committed = int(line)
        if committed >= 150:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with store.open(db_url) as db:
        reviews = db.reviews()
        assert len(reviews) >= committed + 1
        assert {f"f{i:06d}" for i in range(committed + 1)} <= set(reviews.finding_id)
        assert len(db.history()) == 3 * len(reviews)    # status, note, rectification: same transaction as the review
        if db.sqlite:
            with db.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


def test_upgrade_from_the_first_schema_keeps_reviews(db_url):
    first = store.Store(db_url, migrate_to="0001")
    assert first.schema_version() == "0001"
    with first.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO reviews (finding_id, report, status, note, rectification, version, "
                             "updated_by, updated_at) VALUES ('abc', 'r', '已确认', '旧库的审核', '未整改', 1, '老张', "
                             ":at)"), {"at": store._now()})
    first.close()
    with store.open(db_url, user="新人") as db:
        assert db.schema_version() == "0005"
        old = db.get_review("abc")
        assert (old.note, old.updated_by, old.due_date) == ("旧库的审核", "老张", None)
        db.review("abc", version=1, due_date="2027-03-31")
        db.flag("r", "表三合计行手工核对有误", table="requests", row="total_processed", column="total")
        assert len(db.flags("r")) == 1


def test_a_newer_schema_is_refused_untouched(db_url):
    store.open(db_url).close()
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StoreError, match="比本程序新"):
        store.open(db_url)


def test_history_is_append_only_in_the_database(db_url):
    with store.open(db_url) as db:
        db.review("x", report="r", version=0, status="已确认")
        with pytest.raises(sa.exc.DatabaseError):
            with db.engine.begin() as conn:
                conn.execute(sa.text("DELETE FROM history"))
        assert len(db.history("x")) == 2          # status and rectification, still there


def test_read_only_refuses_writes_with_a_clear_message(db_url, postgres_server):
    with store.open(db_url) as db:
        db.review("x", report="r", version=0, status="已确认")
    with store.open(db_url, readonly=True) as ro:
        assert ro.get_review("x").status == "已确认"
        with pytest.raises(StoreReadOnly, match="只读"):
            ro.review("x", version=1, status="已排除")
        with pytest.raises(StoreReadOnly):
            ro.flag("r", "问题", section="overview")
    if db_url.startswith("postgresql"):       # a role that may only SELECT, used without readonly=True
        name = db_url.rsplit("/", 1)[1]
        engine = sa.create_engine(db_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("CREATE ROLE supervisor LOGIN"))
            conn.execute(sa.text(f"GRANT CONNECT ON DATABASE {name} TO supervisor"))
            conn.execute(sa.text("GRANT SELECT ON ALL TABLES IN SCHEMA public TO supervisor"))
        engine.dispose()
        with store.open(db_url.replace("//govaudit@", "//supervisor@")) as role:
            with pytest.raises(StoreReadOnly, match="只读"):
                role.review("x", version=1, status="已排除")
            assert role.get_review("x").status == "已确认"


def test_export_import_round_trip_is_lossless_and_idempotent(db_url, tmp_path, qintai):
    report, findings = qintai
    with store.open(db_url, user="甲") as a:
        a.record_run(findings, [report])
        for i, fid in enumerate(findings.id):
            a.review(fid, version=0, status="已确认", note=f"=SUM(A1) 说明{i}", due_date="2027-01-15")
        a.flag(report.id, "第五部分照抄去年", section="problems")
        exported = a.export("json")
        csv_text = a.export("csv")
    assert "=SUM(A1) 说明0" in csv_text
    b_url = f"sqlite:///{tmp_path / 'other.db'}"
    with store.open(b_url, user="乙") as b:
        first = b.import_(exported)
        again = b.import_(exported)
        assert first["reviews"] == len(findings) and first["flags"] == 1
        assert again == {"reviews": 0, "flags": 0, "history": 0}
        round_trip = json.loads(b.export("json"))
    original = json.loads(exported)
    for key in ("reviews", "flags", "history"):
        assert _normalised(round_trip[key]) == _normalised(original[key]), key


def _normalised(records):
    # SQLite keeps timestamps without a zone; the instant is the same
    return sorted(json.dumps({k: (v[:19] if isinstance(v, str) and k.endswith("_at") or k == "at" else v)
                              for k, v in r.items()}, ensure_ascii=False, sort_keys=True) for r in records)


def test_import_merges_both_histories(tmp_path):
    a_url, b_url = (f"sqlite:///{tmp_path / n}" for n in ("a.db", "b.db"))
    with store.open(a_url, user="甲") as a, store.open(b_url, user="乙") as b:
        a.review("f1", report="r", version=0, status="已确认", note="甲的意见")
        b.review("f1", report="r", version=0, status="已排除", note="乙的意见")    # saved later: wins
        a.import_(b.export())
        merged = a.get_review("f1")
        assert (merged.status, merged.note) == ("已排除", "乙的意见")
        assert set(a.history("f1").user) == {"甲", "乙"}


def test_reviewer_identity(monkeypatch):
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    monkeypatch.setenv("GOVAUDIT_USER", "环境变量用户")
    assert store.current_user() == "环境变量用户"
    assert store.current_user("命令行用户") == "命令行用户"
    monkeypatch.setenv("JUPYTERHUB_USER", "hub用户")
    assert store.current_user("命令行用户") == "hub用户"


def test_cli_records_a_run_and_exports(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    run = subprocess.run([sys.executable, "-m", "govaudit.cli", "check", str(QINTAI), "--db", url,
                          "--no-progress", "--format", "json"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    with store.open(url) as db:
        assert set(db.latest_findings().rule) == {f["rule"] for f in json.loads(run.stdout)}
        db.review(db.latest_findings().id.iloc[0], version=0, status="已确认")
    out = tmp_path / "reviews.json"
    exp = subprocess.run([sys.executable, "-m", "govaudit.cli", "reviews", "export", "--db", url, "--out", str(out)],
                         capture_output=True, text=True)
    assert exp.returncode == 0, exp.stderr
    imp = subprocess.run([sys.executable, "-m", "govaudit.cli", "reviews", "import", str(out), "--db",
                          f"sqlite:///{tmp_path / 'copy.db'}"], capture_output=True, text=True)
    assert imp.returncode == 0 and "审核记录 1 条" in imp.stdout
