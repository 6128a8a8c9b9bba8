"""Reviews that are never lost: SQLite by default, PostgreSQL for a team.

``open(url)`` upgrades the schema itself (Alembic) and refuses a schema newer than
the code. Reviews are keyed by the stable finding id, so re-running the checks never
touches them; every change is appended to ``history`` (who, when, old, new), which
the database itself keeps append-only. Saves use optimistic versioning: pass the
``version`` you read, and a colleague's save in between raises
:class:`govaudit.errors.StoreConflict` showing their change instead of being overwritten.

The UI and notebooks use only this module's API; they hold no SQL.
"""
from __future__ import annotations

import getpass
import io
import json
import os
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import event

from .errors import StoreConflict, StoreError, StoreReadOnly

DEFAULT_PATH = Path("data") / "govaudit.db"
STATUSES = ("待核实", "已确认", "已排除")
RECTIFICATIONS = ("未整改", "整改中", "已整改")
MANUAL_RULE = "人工标注"     # the rule column of a hand-added flag
CORRECTED = "已更正"       # shown for a reviewed finding that the latest run no longer reports
REVIEW_FIELDS = ("status", "note", "rectification", "due_date")

_meta = sa.MetaData()
reports_t = sa.Table("reports", _meta, sa.Column("sha256", sa.String(64), primary_key=True),
                     sa.Column("report", sa.String(200)), sa.Column("agency", sa.String(200)),
                     sa.Column("year", sa.Integer), sa.Column("source", sa.Text),
                     sa.Column("first_seen", sa.DateTime(timezone=True)))
runs_t = sa.Table("runs", _meta, sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                  sa.Column("at", sa.DateTime(timezone=True)), sa.Column("user", sa.String(100)),
                  sa.Column("reports", sa.Integer), sa.Column("findings", sa.Integer))
run_reports_t = sa.Table("run_reports", _meta, sa.Column("run_id", sa.Integer, primary_key=True),
                         sa.Column("report", sa.String(200), primary_key=True), sa.Column("sha256", sa.String(64)))
_FINDING_COLUMNS = ("id", "report", "agency", "year", "rule", "category", "severity", "table", "row", "column",
                    "section", "expected", "actual", "message", "evidence", "source", "problem")
findings_t = sa.Table("findings", _meta, sa.Column("run_id", sa.Integer, primary_key=True),
                      sa.Column("id", sa.String(32), primary_key=True), sa.Column("report", sa.String(200)),
                      sa.Column("agency", sa.String(200)), sa.Column("year", sa.Integer),
                      *(sa.Column(c, sa.Text) for c in _FINDING_COLUMNS[4:]))
reviews_t = sa.Table("reviews", _meta, sa.Column("finding_id", sa.String(32), primary_key=True),
                     sa.Column("report", sa.String(200)), sa.Column("status", sa.String(10)),
                     sa.Column("note", sa.Text), sa.Column("rectification", sa.String(10)),
                     sa.Column("due_date", sa.Date), sa.Column("version", sa.Integer),
                     sa.Column("updated_by", sa.String(100)), sa.Column("updated_at", sa.DateTime(timezone=True)))
flags_t = sa.Table("flags", _meta, sa.Column("id", sa.String(36), primary_key=True),
                   *(sa.Column(c, sa.Text) for c in ("report", "table", "row", "column", "section", "severity",
                                                      "message", "status", "note", "rectification")),
                   sa.Column("due_date", sa.Date), sa.Column("version", sa.Integer),
                   sa.Column("created_by", sa.String(100)), sa.Column("created_at", sa.DateTime(timezone=True)),
                   sa.Column("updated_by", sa.String(100)), sa.Column("updated_at", sa.DateTime(timezone=True)))
history_t = sa.Table("history", _meta, sa.Column("id", sa.String(36), primary_key=True),
                     sa.Column("at", sa.DateTime(timezone=True)), sa.Column("user", sa.String(100)),
                     sa.Column("entity", sa.String(10)), sa.Column("entity_id", sa.String(36)),
                     sa.Column("field", sa.String(30)), sa.Column("old", sa.Text), sa.Column("new", sa.Text))


def current_user(explicit: str | None = None) -> str:
    """JupyterHub's user when served by JupyterHub, else --user/GOVAUDIT_USER, else the OS user."""
    for name in (os.environ.get("JUPYTERHUB_USER"), explicit, os.environ.get("GOVAUDIT_USER")):
        if name:
            return name
    try:
        return getpass.getuser()
    except Exception:   # no passwd entry (some containers)
        return "unknown"


def default_url() -> str:
    return os.environ.get("GOVAUDIT_DB_URL") or f"sqlite:///{DEFAULT_PATH}"


def open(url: str | None = None, *, readonly: bool = False, user: str | None = None) -> "Store":  # noqa: A001
    """Open (and create or upgrade) the review database. ``url`` defaults to GOVAUDIT_DB_URL or data/govaudit.db."""
    return Store(url or default_url(), readonly=readonly, user=user)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _text(v) -> str | None:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


@dataclass
class Review:
    finding_id: str
    report: str
    status: str = STATUSES[0]
    note: str = ""
    rectification: str = RECTIFICATIONS[0]
    due_date: date | None = None
    version: int = 0                    # 0: never saved
    updated_by: str = ""
    updated_at: datetime | None = None


class Store:
    def __init__(self, url: str, *, readonly: bool = False, user: str | None = None, migrate_to: str = "head"):
        self.url = url
        self.readonly = readonly
        self.user = current_user(user)
        self.engine = self._engine(url, readonly)
        self.sqlite = self.engine.dialect.name == "sqlite"
        try:
            self._migrate(migrate_to)
        except StoreError:
            self.engine.dispose()
            raise
        except sa.exc.OperationalError as e:
            self.engine.dispose()
            raise StoreError(f"无法打开审核数据库 {self._shown_url()}：{e.orig}") from e

    # --- connection ---------------------------------------------------------------
    def _shown_url(self) -> str:
        return sa.engine.make_url(self.url).render_as_string(hide_password=True)

    @staticmethod
    def _engine(url: str, readonly: bool) -> sa.Engine:
        u = sa.engine.make_url(url)
        if u.get_backend_name() == "sqlite":
            path = u.database or ""
            if not path or path == ":memory:":
                raise StoreError("审核数据库必须是文件（内存数据库在关闭后会丢失全部审核记录）")
            if readonly:
                if not Path(path).exists():
                    raise StoreError(f"只读模式下找不到审核数据库 {path}")
                u = u.set(database=f"file:{Path(path).resolve()}?mode=ro", query={"uri": "true"})
            else:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(u, connect_args={"timeout": 30})

            @event.listens_for(engine, "connect")
            def _pragmas(dbapi, _):
                dbapi.isolation_level = None          # transactions are begun below, not by pysqlite
                cur = dbapi.cursor()
                if not readonly:
                    cur.execute("PRAGMA journal_mode=WAL")        # readers never block the writer
                    cur.execute("PRAGMA synchronous=NORMAL")      # WAL + NORMAL: committed survives a crash
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute("PRAGMA busy_timeout=30000")
                cur.close()

            @event.listens_for(engine, "begin")
            def _begin(conn):
                # a writer takes the lock up front, so a read-then-write never fails on a stale snapshot
                conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("immediate") else "BEGIN")
            return engine
        engine = sa.create_engine(u, pool_pre_ping=True)
        if readonly:
            @event.listens_for(engine, "connect")
            def _ro(dbapi, _):
                cur = dbapi.cursor()
                cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
                cur.close()
                dbapi.commit()
        return engine

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- schema -------------------------------------------------------------------
    def _alembic(self):
        from alembic.config import Config
        from alembic.script import ScriptDirectory
        cfg = Config()
        cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        return cfg, ScriptDirectory.from_config(cfg)

    def schema_version(self) -> str | None:
        from alembic.runtime.migration import MigrationContext
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def _migrate(self, target: str = "head") -> None:
        from alembic import command
        cfg, scripts = self._alembic()
        current = self.schema_version()
        known = {s.revision for s in scripts.walk_revisions()}
        if current is not None and current not in known:
            raise StoreError(f"审核数据库的结构版本（{current}）比本程序新，请升级 govaudit 后再打开；"
                             "数据库未作任何改动")
        head = scripts.get_current_head() if target == "head" else target
        if current == head:
            return
        if self.readonly:
            raise StoreReadOnly(f"只读模式下不能创建或升级审核数据库 {self._shown_url()}")
        with self._writing() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, target)

    # --- writes -------------------------------------------------------------------
    @contextmanager
    def _writing(self):
        if self.readonly:
            raise StoreReadOnly("当前为只读模式（督查视图），不能保存修改")
        try:
            with self.engine.connect() as conn:
                conn.execution_options(immediate=True)
                with conn.begin():
                    yield conn
        except (sa.exc.OperationalError, sa.exc.InternalError, sa.exc.ProgrammingError) as e:
            text = str(e).lower()
            if any(s in text for s in ("read-only", "readonly", "permission denied")):
                raise StoreReadOnly("数据库拒绝写入（只读连接或只读账号），修改未保存") from e
            raise StoreError(f"保存失败，修改未写入：{getattr(e, 'orig', e)}") from e

    def _history(self, conn, entity: str, entity_id: str, changes: dict, at: datetime) -> None:
        rows = [{"id": str(uuid.uuid4()), "at": at, "user": self.user, "entity": entity, "entity_id": entity_id,
                 "field": f, "old": _text(old), "new": _text(new)} for f, (old, new) in changes.items()]
        if rows:
            conn.execute(history_t.insert(), rows)

    def record_run(self, findings: pd.DataFrame, reports=()) -> int:
        """Store one check run: the reports it read and every finding it gave. Reviews are untouched."""
        at = _now()
        try:
            with self._writing() as conn:
                for r in reports:
                    meta = r.meta
                    exists = conn.execute(sa.select(reports_t.c.sha256).where(reports_t.c.sha256 == meta["sha256"]))
                    if exists.first() is None:
                        conn.execute(reports_t.insert().values(
                            sha256=meta["sha256"], report=meta["id"], agency=meta.get("agency") or "",
                            year=meta.get("year"), source=str(meta.get("source", "")), first_seen=at))
                run_id = conn.execute(runs_t.insert().values(at=at, user=self.user, reports=len(list(reports)),
                                                             findings=len(findings))).inserted_primary_key[0]
                seen = {}
                for r in reports:
                    seen[r.meta["id"]] = r.meta["sha256"]
                if seen:
                    conn.execute(run_reports_t.insert(), [{"run_id": run_id, "report": k, "sha256": v}
                                                          for k, v in seen.items()])
                if len(findings):
                    rows = []
                    for rec in findings.to_dict("records"):
                        row = {c: _text(rec.get(c)) for c in _FINDING_COLUMNS}
                        row["year"] = int(rec["year"]) if rec.get("year") is not None and not pd.isna(rec["year"]) else None
                        row["agency"] = row["agency"] or ""
                        rows.append({"run_id": run_id, **row})
                    conn.execute(findings_t.insert(), rows)
        except sa.exc.IntegrityError as e:
            raise StoreError(f"保存检查结果失败：{e.orig}") from e
        return run_id

    def review(self, finding_id: str, *, report: str = "", version: int | None = None, **changes) -> Review:
        """Save a review. ``version``: the version you read (0 for a new review); None means "whatever is there".

        Raises StoreConflict, showing the other inspector's change, when someone saved in between.
        """
        unknown = set(changes) - set(REVIEW_FIELDS)
        if unknown:
            raise ValueError(f"unknown review fields: {sorted(unknown)}")
        _validate(changes)
        at = _now()
        with self._writing() as conn:
            row = conn.execute(sa.select(reviews_t).where(reviews_t.c.finding_id == finding_id)).mappings().first()
            current = Review(**row) if row else None
            if version is not None and (current.version if current else 0) != version:
                raise _conflict(current, finding_id)
            if current is None:
                new = Review(finding_id, report or self._report_of(conn, finding_id), version=1,
                             updated_by=self.user, updated_at=at)
                for k, v in changes.items():
                    setattr(new, k, v)
                try:
                    conn.execute(reviews_t.insert().values(**new.__dict__))
                except sa.exc.IntegrityError:     # another process created it first
                    raise _conflict(self._get(finding_id), finding_id) from None
                self._history(conn, "review", finding_id,
                              {k: (None, v) for k, v in new.__dict__.items() if k in REVIEW_FIELDS and v not in (None, "")}, at)
                return new
            diff = {k: (getattr(current, k), v) for k, v in changes.items() if getattr(current, k) != v}
            if not diff:
                return current
            result = conn.execute(reviews_t.update()
                                  .where(reviews_t.c.finding_id == finding_id, reviews_t.c.version == current.version)
                                  .values(**{k: v for k, (_, v) in diff.items()}, version=current.version + 1,
                                          updated_by=self.user, updated_at=at))
            if result.rowcount != 1:
                raise _conflict(self._get(finding_id), finding_id)
            self._history(conn, "review", finding_id, diff, at)
            for k, (_, v) in diff.items():
                setattr(current, k, v)
            current.version += 1
            current.updated_by, current.updated_at = self.user, at
            return current

    def _report_of(self, conn, finding_id: str) -> str:
        return conn.execute(sa.select(findings_t.c.report).where(findings_t.c.id == finding_id).limit(1)).scalar() or ""

    def flag(self, report: str, message: str, *, table: str = "", row: str = "", column: str = "",
             section: str = "", severity: str = "warning") -> dict:
        """An inspector's own finding at a cell or a section; it is reviewed like any finding."""
        if not message.strip():
            raise ValueError("问题说明不能为空")
        if not (table or section):
            raise ValueError("请指明表格位置或报告部分")
        at = _now()
        values = dict(id=uuid.uuid4().hex[:16], report=report, table=table, row=row, column=column, section=section,
                      severity=severity, message=message, status="已确认", note="", rectification=RECTIFICATIONS[0],
                      due_date=None, version=1, created_by=self.user, created_at=at, updated_by=self.user,
                      updated_at=at)
        with self._writing() as conn:
            conn.execute(flags_t.insert().values(**values))
            self._history(conn, "flag", values["id"], {"message": (None, message), "status": (None, "已确认")}, at)
        return values

    # --- reads --------------------------------------------------------------------
    def _get(self, finding_id: str) -> Review | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(reviews_t).where(reviews_t.c.finding_id == finding_id)).mappings().first()
        return Review(**row) if row else None

    def get_review(self, finding_id: str, report: str = "") -> Review:
        """The saved review, or a new one (version 0, 待核实) to edit."""
        return self._get(finding_id) or Review(finding_id, report)

    def history(self, entity_id: str | None = None) -> pd.DataFrame:
        q = sa.select(history_t).order_by(history_t.c.at, history_t.c.id)
        if entity_id:
            q = q.where(history_t.c.entity_id == entity_id)
        with self.engine.connect() as conn:
            return pd.DataFrame(conn.execute(q).mappings().all(), columns=[c.name for c in history_t.c])

    def reviews(self) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return pd.DataFrame(conn.execute(sa.select(reviews_t).order_by(reviews_t.c.finding_id)).mappings().all(),
                                columns=[c.name for c in reviews_t.c])

    def flags(self, report: str | None = None) -> pd.DataFrame:
        q = sa.select(flags_t).order_by(flags_t.c.created_at)
        if report:
            q = q.where(flags_t.c.report == report)
        with self.engine.connect() as conn:
            return pd.DataFrame(conn.execute(q).mappings().all(), columns=[c.name for c in flags_t.c])

    def latest_findings(self) -> pd.DataFrame:
        """Each report's findings from the latest run that read it, joined to reviews.

        A reviewed finding that the latest run no longer gives (the report was corrected)
        keeps its review and gets ``state`` 已更正; others have state 现存.
        """
        latest = (sa.select(run_reports_t.c.report, sa.func.max(run_reports_t.c.run_id).label("run_id"))
                  .group_by(run_reports_t.c.report).subquery())
        q = (sa.select(findings_t).join(latest, sa.and_(findings_t.c.report == latest.c.report,
                                                        findings_t.c.run_id == latest.c.run_id)))
        with self.engine.connect() as conn:
            current = pd.DataFrame(conn.execute(q).mappings().all(), columns=[c.name for c in findings_t.c])
            reviews = self.reviews()
            gone_ids = set(reviews.finding_id) - set(current.id)
            gone = pd.DataFrame()
            if gone_ids:
                last_seen = (sa.select(findings_t).where(findings_t.c.id.in_(gone_ids))
                             .order_by(findings_t.c.run_id.desc()))
                gone = pd.DataFrame(conn.execute(last_seen).mappings().all(), columns=[c.name for c in findings_t.c])
                gone = gone.drop_duplicates("id")
        current["state"] = "现存"
        if not gone.empty:
            gone["state"] = CORRECTED
        frame = pd.concat([current, gone], ignore_index=True) if not gone.empty else current
        frame = frame.drop(columns="run_id").merge(
            reviews.drop(columns="report").rename(columns={"finding_id": "id"}), on="id", how="left")
        frame["status"] = frame["status"].fillna(STATUSES[0])
        frame["rectification"] = frame["rectification"].fillna(RECTIFICATIONS[0])
        frame["note"] = frame["note"].fillna("")
        frame["version"] = frame["version"].fillna(0).astype(int)
        return frame

    def checked_reports(self) -> pd.DataFrame:
        """Every report a run has read, as its latest run read it: report, agency, year, source, sha256."""
        latest = (sa.select(run_reports_t.c.report, sa.func.max(run_reports_t.c.run_id).label("run_id"))
                  .group_by(run_reports_t.c.report).subquery())
        q = (sa.select(run_reports_t.c.report, reports_t.c.agency, reports_t.c.year, reports_t.c.source,
                       reports_t.c.sha256)
             .join(latest, sa.and_(run_reports_t.c.report == latest.c.report,
                                   run_reports_t.c.run_id == latest.c.run_id))
             .join(reports_t, reports_t.c.sha256 == run_reports_t.c.sha256)
             .order_by(run_reports_t.c.report))
        with self.engine.connect() as conn:
            return pd.DataFrame(conn.execute(q).mappings().all(),
                                columns=["report", "agency", "year", "source", "sha256"])

    def worklist(self, reports: list[str] | None = None) -> pd.DataFrame:
        """What an inspector works through: the latest findings and the hand-added flags, with their reviews."""
        frame = self.latest_findings()
        flags = self.flags()
        if not flags.empty:
            manual = flags.rename(columns={"created_by": "evidence"})[
                ["id", "report", "table", "row", "column", "section", "severity", "message", "evidence"]].copy()
            manual["evidence"] = "人工添加：" + manual["evidence"]
            manual["rule"], manual["category"], manual["state"] = MANUAL_RULE, "manual", "现存"
            reviews = self.reviews().drop(columns="report").rename(columns={"finding_id": "id"})
            manual = manual.merge(reviews, on="id", how="left")
            manual["status"] = manual["status"].fillna("已确认")
            manual["rectification"] = manual["rectification"].fillna(RECTIFICATIONS[0])
            manual["note"] = manual["note"].fillna("")
            manual["version"] = manual["version"].fillna(0).astype(int)
            known = self.checked_reports()[["report", "agency", "year"]]
            manual = manual.join(known.set_index("report"), on="report")
            frame = pd.concat([frame, manual], ignore_index=True)
        if reports is not None:
            frame = frame[frame.report.isin(reports)]
        return frame.reset_index(drop=True)

    # --- backup and hand-over -----------------------------------------------------
    def export(self, fmt: str = "json") -> str:
        """Reviews, flags and their whole history (json, lossless) or the reviews as a CSV sheet."""
        if fmt == "csv":
            buf = io.StringIO()
            frame = self.reviews()
            frame.to_csv(buf, index=False)
            return buf.getvalue()
        if fmt != "json":
            raise ValueError(f"不支持的导出格式“{fmt}”（可用：json、csv）")
        payload = {"format": "govaudit-reviews", "version": 1,
                   "reviews": _records(self.reviews()), "flags": _records(self.flags()),
                   "history": _records(self.history())}
        return json.dumps(payload, ensure_ascii=False, indent=1, default=_json_default)

    def import_(self, text: str) -> dict:
        """Merge an export into this database, idempotently.

        Reviews and flags merge by id: the one saved last wins and the other side's
        history is kept, so both inspectors' changes stay on record.
        """
        data = json.loads(text)
        if data.get("format") != "govaudit-reviews":
            raise StoreError("不是 govaudit 审核记录导出文件")
        counts = {"reviews": 0, "flags": 0, "history": 0}
        with self._writing() as conn:
            have = set(conn.execute(sa.select(history_t.c.id)).scalars())
            rows = [_parse_dates(h, ("at",)) for h in data["history"] if h["id"] not in have]
            if rows:
                conn.execute(history_t.insert(), rows)
            counts["history"] = len(rows)
            for table, key, name in ((reviews_t, "finding_id", "reviews"), (flags_t, "id", "flags")):
                for rec in data[name]:
                    rec = _parse_dates(rec, ("updated_at", "created_at", "due_date"))
                    mine = conn.execute(sa.select(table).where(table.c[key] == rec[key])).mappings().first()
                    if mine is None:
                        conn.execute(table.insert().values(**rec))
                        counts[name] += 1
                    elif _aware(rec["updated_at"]) > _aware(mine["updated_at"]) and \
                            any(rec[f] != mine[f] for f in REVIEW_FIELDS):
                        conn.execute(table.update().where(table.c[key] == rec[key])
                                     .values(**{k: v for k, v in rec.items() if k not in (key, "version")},
                                             version=max(rec["version"], mine["version"]) + 1))
                        counts[name] += 1
        return counts


def _validate(changes: dict) -> None:
    if "status" in changes and changes["status"] not in STATUSES:
        raise ValueError(f"审核状态只能是：{'、'.join(STATUSES)}")
    if "rectification" in changes and changes["rectification"] not in RECTIFICATIONS:
        raise ValueError(f"整改状态只能是：{'、'.join(RECTIFICATIONS)}")
    if changes.get("due_date") is not None and not isinstance(changes["due_date"], date):
        changes["due_date"] = date.fromisoformat(str(changes["due_date"]))
    if "note" in changes and changes["note"] is None:
        changes["note"] = ""


def _conflict(theirs: Review | None, finding_id: str) -> StoreConflict:
    if theirs is None:
        return StoreConflict(f"问题 {finding_id} 的审核记录已被他人删除，请刷新后再保存")
    when = _aware(theirs.updated_at).astimezone().strftime("%Y-%m-%d %H:%M") if theirs.updated_at else "刚才"
    return StoreConflict(
        f"{theirs.updated_by} 已于 {when} 修改了这条审核（状态：{theirs.status}，整改：{theirs.rectification}，"
        f"说明：{theirs.note or '无'}）。您的修改尚未保存，请刷新后确认是否仍要修改。", theirs.__dict__)


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: (None if not isinstance(v, str) and pd.isna(v) else v) for k, v in rec.items()}
            for rec in frame.to_dict("records")]


def _json_default(v):
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    raise TypeError(type(v))


def _parse_dates(rec: dict, fields) -> dict:
    rec = dict(rec)
    for f in fields:
        v = rec.get(f)
        if isinstance(v, str):
            rec[f] = date.fromisoformat(v) if f == "due_date" else datetime.fromisoformat(v)
    return rec


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
