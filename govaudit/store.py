"""Reviews that are never lost: SQLite by default, PostgreSQL for a team.

``open(url)`` upgrades the schema itself (Alembic) and refuses a schema newer than
the code. Reviews are keyed by the stable finding id, so re-running the checks never
touches them; every change is appended to ``history`` (who, when, old, new, and ``seq``,
the order of the writes), which the database itself keeps append-only. Saves use optimistic versioning: pass the
``version`` you read, and a colleague's save in between raises
:class:`govaudit.errors.StoreConflict` showing their change instead of being overwritten.

The UI and notebooks use only this module's API; they hold no SQL.
"""
from __future__ import annotations

import csv
import getpass
import io
import json
import os
import re
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from itertools import islice, repeat
from typing import Iterable, Iterator
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import event

from .errors import StoreConflict, StoreError, StoreReadOnly, shown_path

DEFAULT_PATH = Path("data") / "govaudit.db"
STATUSES = ("待核实", "已确认", "已排除")
RECTIFICATIONS = ("未整改", "整改中", "已整改")
MANUAL_RULE = "人工标注"     # the rule column of a hand-added flag
CORRECTED = "已更正"       # shown for a reviewed finding that the latest run no longer reports
REVIEW_FIELDS = ("status", "note", "rectification", "due_date")
SEVERITIES = ("error", "warning", "info")
TEXT_MAX = 20_000          # characters of a note or a flag's message (a review is a judgement, not a document)
BULK_CHUNK = 10_000        # rows per INSERT of a recorded run (COPY on PostgreSQL streams them all)
_LOOKUP_CHUNK = 500        # sha256s per IN (...) lookup, well under SQLite's bound-parameter limit
_RACE_RETRIES = 20         # version=None: saves that lost a race are taken again on the value now there

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
run_files_t = sa.Table("run_files", _meta, sa.Column("run_id", sa.Integer, primary_key=True),
                        sa.Column("path", sa.Text, primary_key=True), sa.Column("size", sa.BigInteger),
                        sa.Column("mtime_ns", sa.BigInteger), sa.Column("sha256", sa.String(64)),
                        sa.Column("report", sa.String(200)), sa.Column("error", sa.Text))    # schema 0005
FILE_COLUMNS = ("path", "size", "mtime_ns", "sha256", "report", "error")
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
                     sa.Column("field", sa.String(30)), sa.Column("old", sa.Text), sa.Column("new", sa.Text),
                     sa.Column("seq", sa.BigInteger))     # the order of the writes (schema 0004); local, not exported


class ImportRefused(StoreError):
    """An import file that is not a well-formed govaudit export; nothing of it was written."""


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


_URL_FORMS = "应为 sqlite:///路径/文件.db 或 postgresql+psycopg://用户@主机:端口/库名"


def check_url(url: str) -> sa.engine.URL:
    """The parsed database URL, or StoreError saying what is wrong with it (before anything is opened).

    ``postgresql://`` and ``postgres://`` mean the psycopg driver, the one govaudit installs."""
    try:
        u = sa.engine.make_url(url)
    except (sa.exc.ArgumentError, ValueError, TypeError):
        raise StoreError(f"审核数据库地址无效：{_masked(url)}（{_URL_FORMS}）") from None
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    backend = u.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise StoreError(f"不支持的数据库类型“{backend}”：{_masked(url)}（{_URL_FORMS}）")
    return u


def _masked(url) -> str:
    """A URL that could not be parsed, shown without its password and with control characters quoted."""
    return shown_path(re.sub(r"(://[^/@:]*):[^@/]*@", r"\1:***@", str(url)))


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
        return check_url(self.url).render_as_string(hide_password=True)

    @classmethod
    def _engine(cls, url: str, readonly: bool) -> sa.Engine:
        u = check_url(url)
        try:
            return cls._create_engine(u, readonly)
        except (ImportError, sa.exc.NoSuchModuleError, sa.exc.ArgumentError) as e:
            raise StoreError(f"无法使用审核数据库 {u.render_as_string(hide_password=True)}：缺少驱动或参数无效"
                             f"（{type(e).__name__}: {e}）") from e

    @staticmethod
    def _create_engine(u: sa.engine.URL, readonly: bool) -> sa.Engine:
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
        self._append_history(conn, [{"id": str(uuid.uuid4()), "at": at, "user": self.user, "entity": entity,
                                     "entity_id": entity_id, "field": f, "old": _text(old), "new": _text(new)}
                                    for f, (old, new) in changes.items()])

    def _append_history(self, conn, rows: list[dict]) -> None:
        """Append in the order given. ``seq`` is taken inside the write: PostgreSQL's sequence (a review's
        saves are ordered by its row lock), or on SQLite the next number under the writer's exclusive lock."""
        if not rows:
            return
        if self.sqlite:
            top = conn.execute(sa.select(sa.func.max(history_t.c.seq))).scalar() or 0
            rows = [{**r, "seq": top + i} for i, r in enumerate(rows, 1)]
        conn.execute(history_t.insert(), rows)

    def record_run(self, findings: pd.DataFrame | Iterable[pd.DataFrame], reports=(), files=()) -> int:
        """Store one check run: the reports it read and every finding it gave. Reviews are untouched.

        ``findings``: one frame, or frames one after another (an out-of-core run: never all in memory);
        ``reports`` likewise a list or an iterable (read in chunks).
        ``files``: the files the run listed, as dicts with :data:`FILE_COLUMNS` (size and mtime as listed
        before reading; report or error), so a folder can later be compared with its latest run.
        Written in bulk (chunks of ``BULK_CHUNK`` rows; PostgreSQL through psycopg: COPY), all in one
        transaction: a run is recorded whole or not at all, since a half-recorded run would mark the
        findings it did not reach as gone."""
        frames = [findings] if isinstance(findings, pd.DataFrame) else findings
        chunks = [list(reports)] if isinstance(reports, (list, tuple)) else _chunks(reports, _LOOKUP_CHUNK)
        at = _now()
        counted = {"reports": 0, "findings": 0}
        try:
            with self._writing() as conn:
                run_id = conn.execute(runs_t.insert().values(at=at, user=self.user, reports=0,
                                                             findings=0)).inserted_primary_key[0]
                for chunk in chunks:
                    self._add_new_reports(conn, chunk, at)
                    seen = {r.meta["id"]: r.meta["sha256"] for r in chunk}      # a report named twice: the last
                    counted["reports"] += len(chunk)
                    self._bulk_insert(conn, run_reports_t, ("run_id", "report", "sha256"),
                                      ((run_id, k, v) for k, v in seen.items()))
                self._bulk_insert(conn, run_files_t, ("run_id", *FILE_COLUMNS),
                                  ((run_id, *(f.get(c) for c in FILE_COLUMNS)) for f in files))
                for frame in frames:
                    counted["findings"] += len(frame)
                    self._bulk_insert(conn, findings_t, ("run_id", *_FINDING_COLUMNS), _finding_rows(frame, run_id))
                conn.execute(runs_t.update().where(runs_t.c.id == run_id).values(**counted))
        except sa.exc.IntegrityError as e:
            raise StoreError(f"保存检查结果失败：{e.orig}") from e
        return run_id

    def _add_new_reports(self, conn, reports: list, at: datetime) -> None:
        """A row in ``reports`` for each file content (sha256) not stored before; the first of equal ones."""
        new = {}
        for r in reports:
            new.setdefault(r.meta["sha256"], r.meta)
        shas = list(new)
        for start in range(0, len(shas), _LOOKUP_CHUNK):
            chunk = shas[start:start + _LOOKUP_CHUNK]
            for sha in conn.execute(sa.select(reports_t.c.sha256).where(reports_t.c.sha256.in_(chunk))).scalars():
                del new[sha]
        self._bulk_insert(conn, reports_t, ("sha256", "report", "agency", "year", "source", "first_seen"),
                          ((sha, m["id"], m.get("agency") or "", m.get("year"), str(m.get("source", "")), at)
                           for sha, m in new.items()))

    def _bulk_insert(self, conn, table: sa.Table, columns: tuple[str, ...], rows) -> None:
        """Rows (tuples in ``columns`` order) in chunks of BULK_CHUNK, inside the caller's transaction."""
        rows = iter(rows)
        if self.engine.dialect.driver == "psycopg":
            _copy_rows(conn, table, columns, rows)
        elif self.sqlite:
            _executemany_rows(conn, table, columns, rows)
        else:
            while chunk := list(islice(rows, BULK_CHUNK)):
                conn.execute(table.insert(), [dict(zip(columns, r)) for r in chunk])

    def review(self, finding_id: str, *, report: str = "", version: int | None = None, **changes) -> Review:
        """Save a review. ``version``: the version you read (0 for a new review); None means "whatever is there".

        Raises StoreConflict, showing the other inspector's change, when someone saved in between
        (never with ``version=None``: a save that lost a race is made again on what is there now).
        """
        unknown = set(changes) - set(REVIEW_FIELDS)
        if unknown:
            raise ValueError(f"unknown review fields: {sorted(unknown)}")
        _validate(changes)
        for _ in range(_RACE_RETRIES if version is None else 1):
            try:
                return self._save_review(finding_id, report, version, changes)
            except _Raced:
                continue
        raise _conflict(self._get(finding_id), finding_id)

    def _save_review(self, finding_id: str, report: str, version: int | None, changes: dict) -> Review:
        with self._writing() as conn:
            q = sa.select(reviews_t).where(reviews_t.c.finding_id == finding_id)
            row = conn.execute(q if self.sqlite else q.with_for_update()).mappings().first()
            at = _now()        # inside the write: SQLite's lock since BEGIN IMMEDIATE, PostgreSQL's row lock
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
                    if version is None:
                        raise _Raced() from None
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
                if version is None:
                    raise _Raced()
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
        if len(message) > TEXT_MAX:
            raise ValueError(f"问题说明不能超过 {TEXT_MAX} 个字符")
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
        q = sa.select(history_t).order_by(history_t.c.seq)
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
        with self.engine.connect() as conn:
            current = _current_findings(conn)
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

    def checked_files(self, folder: str | Path) -> pd.DataFrame:
        """The files under ``folder`` as the latest run that listed any of them recorded them, with the agency
        and year of the report each one gave (error: why it was not read). Empty when no run listed the folder."""
        prefix = os.path.join(os.path.abspath(folder), "")
        under = run_files_t.c.path.startswith(prefix, autoescape=True)
        latest = sa.select(sa.func.max(run_files_t.c.run_id)).where(under).scalar_subquery()
        q = (sa.select(*(run_files_t.c[c] for c in FILE_COLUMNS), reports_t.c.agency, reports_t.c.year)
             .outerjoin(reports_t, reports_t.c.sha256 == run_files_t.c.sha256)
             .where(run_files_t.c.run_id == latest, under).order_by(run_files_t.c.path))
        with self.engine.connect() as conn:
            return pd.DataFrame(conn.execute(q).mappings().all(), columns=[*FILE_COLUMNS, "agency", "year"])

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
            # every field quoted (a line break in a note stays in its cell); no text starts a formula
            frame.apply(lambda col: col.map(_csv_cell)).to_csv(buf, index=False, quoting=csv.QUOTE_ALL)
            return buf.getvalue()
        if fmt != "json":
            raise ValueError(f"不支持的导出格式“{fmt}”（可用：json、csv）")
        payload = {"format": "govaudit-reviews", "version": 1,
                   "reviews": _records(self.reviews()), "flags": _records(self.flags()),
                   "history": _records(self.history().drop(columns="seq"))}   # in write order; seq is local
        return json.dumps(payload, ensure_ascii=False, indent=1, default=_json_default)

    def import_(self, text: str) -> dict:
        """Merge an export into this database, idempotently.

        Reviews and flags merge by id: the one saved last wins and the other side's
        history is kept, so both inspectors' changes stay on record. The whole file is
        checked first (structure, statuses, dates, lengths): a malformed one raises
        :class:`ImportRefused` naming the record, and nothing is written.
        """
        data = _import_payload(text)
        counts = {"reviews": 0, "flags": 0, "history": 0}
        with self._writing() as conn:
            have = set(conn.execute(sa.select(history_t.c.id)).scalars())
            rows = [h for h in data["history"] if h["id"] not in have]
            self._append_history(conn, rows)            # in the file's order, after what is here
            counts["history"] = len(rows)
            for table, key, name in ((reviews_t, "finding_id", "reviews"), (flags_t, "id", "flags")):
                for rec in data[name]:
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


def _current_findings(conn) -> pd.DataFrame:
    """Each report's findings from the latest run that read it. Read run by run (the findings key starts
    with run_id) and kept where that run is the report's latest: linear in the rows read, where a join on
    (report, run_id) against the grouped run_reports made SQLite scan a whole run once per report."""
    latest = dict(conn.execute(sa.select(run_reports_t.c.report, sa.func.max(run_reports_t.c.run_id))
                               .group_by(run_reports_t.c.report)).all())
    names = [c.name for c in findings_t.c]
    parts = []
    for run_id in sorted(set(latest.values())):
        part = pd.DataFrame(conn.execute(sa.select(findings_t).where(findings_t.c.run_id == run_id)).all(),
                            columns=names)
        parts.append(part[part.report.map(latest) == run_id])
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=names)


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    items = iter(items)
    while chunk := list(islice(items, size)):
        yield chunk


def _finding_rows(findings: pd.DataFrame, run_id: int):
    """The findings as ``findings_t`` rows (run_id first), converted column by column as ``_text`` does
    each value: a blank stays blank, a missing value is NULL (never 0), 9 stays "9"; year an int or NULL;
    agency never NULL."""
    n = len(findings)
    columns = []
    for c in _FINDING_COLUMNS:
        if c not in findings:
            values = [None] * n
        elif c == "year":
            values = [None if v is None or pd.isna(v) else int(v) for v in findings[c].tolist()]
        else:
            values = _texts(findings[c])
        if c == "agency":
            values = [v or "" for v in values]
        columns.append(values)
    return zip(repeat(run_id, n), *columns)


def _texts(column: pd.Series) -> list:
    """``_text`` of every value; a string column only needs its missing values made None."""
    if isinstance(column.dtype, pd.StringDtype):
        return [None if missing else v for v, missing in zip(column.tolist(), column.isna().tolist())]
    return [_text(v) for v in column.tolist()]


def _executemany_rows(conn, table: sa.Table, columns: tuple[str, ...], rows) -> None:
    """SQLite: one executemany of plain tuples per chunk, each value passed through its column type's own
    conversion (a datetime as SQLAlchemy stores it); SQLAlchemy's per-row parameter building cost 2/3 of the
    time."""
    quote = conn.dialect.identifier_preparer.quote
    statement = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
                 f"VALUES ({', '.join('?' * len(columns))})")
    processors = (table.c[c].type.dialect_impl(conn.dialect).bind_processor(conn.dialect) for c in columns)
    convert = [(i, p) for i, p in enumerate(processors) if p]
    while chunk := list(islice(rows, BULK_CHUNK)):
        if convert:
            chunk = [list(r) for r in chunk]
            for r in chunk:
                for i, p in convert:
                    r[i] = p(r[i])
        conn.exec_driver_sql(statement, [tuple(r) for r in chunk])


def _copy_rows(conn, table: sa.Table, columns: tuple[str, ...], rows) -> None:
    """PostgreSQL's COPY through the psycopg connection under ``conn``, so in its transaction. The driver's
    errors are raised as SQLAlchemy's (a duplicate key is an IntegrityError), as an INSERT would raise them."""
    import psycopg
    quote = conn.dialect.identifier_preparer.quote
    statement = f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    try:
        with conn.connection.driver_connection.cursor() as cur, cur.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except psycopg.Error as e:
        raise sa.exc.DBAPIError.instance(statement, None, e, psycopg.Error) from e


class _Raced(Exception):
    """A save with version=None lost a race to another writer: take it again."""


# --- what an import file may hold -------------------------------------------------------
# per field: (kind, limit, default); no default: required
_REQUIRED = object()
_IMPORT_FIELDS = {
    "reviews": {"finding_id": ("key", 32, _REQUIRED), "report": ("str", 200, ""),
                "status": ("status", 0, _REQUIRED), "note": ("text", TEXT_MAX, ""),
                "rectification": ("rectification", 0, _REQUIRED), "due_date": ("date", 0, None),
                "version": ("version", 0, _REQUIRED), "updated_by": ("key", 100, _REQUIRED),
                "updated_at": ("datetime", 0, _REQUIRED)},
    "flags": {"id": ("key", 36, _REQUIRED), "report": ("key", 200, _REQUIRED), "table": ("str", 20, ""),
              "row": ("str", 60, ""), "column": ("str", 60, ""), "section": ("str", 20, ""),
              "severity": ("severity", 0, _REQUIRED), "message": ("message", TEXT_MAX, _REQUIRED),
              "status": ("status", 0, _REQUIRED), "note": ("text", TEXT_MAX, ""),
              "rectification": ("rectification", 0, _REQUIRED), "due_date": ("date", 0, None),
              "version": ("version", 0, _REQUIRED), "created_by": ("key", 100, _REQUIRED),
              "created_at": ("datetime", 0, _REQUIRED), "updated_by": ("key", 100, _REQUIRED),
              "updated_at": ("datetime", 0, _REQUIRED)},
    "history": {"id": ("key", 36, _REQUIRED), "at": ("datetime", 0, _REQUIRED), "user": ("key", 100, _REQUIRED),
                "entity": ("entity", 0, _REQUIRED), "entity_id": ("key", 36, _REQUIRED),
                "field": ("key", 30, _REQUIRED), "old": ("text?", TEXT_MAX, None), "new": ("text?", TEXT_MAX, None)},
}
_SECTION_NAMES = {"reviews": "审核记录", "flags": "人工问题", "history": "历史记录"}
_IGNORED = {"history": {"seq"}}         # another database's write order means nothing here
_CHOICES = {"status": ("审核状态", STATUSES), "rectification": ("整改状态", RECTIFICATIONS),
            "severity": ("严重程度", SEVERITIES), "entity": ("记录类型", ("review", "flag"))}


def _import_payload(text: str) -> dict:
    """The export, parsed and checked record by record: dates parsed, defaults filled, or ImportRefused."""
    try:
        data = json.loads(text)
    except ValueError as e:
        where = f"第 {e.lineno} 行第 {e.colno} 列：{e.msg}" if isinstance(e, json.JSONDecodeError) else str(e)
        raise ImportRefused(f"不是有效的 JSON（{where}）") from None
    if not isinstance(data, dict) or data.get("format") != "govaudit-reviews":
        raise ImportRefused("不是 govaudit 审核记录导出文件（应由 govaudit reviews export 生成）")
    version = data.get("version", 1)
    if version != 1:
        raise ImportRefused(f"导出文件的格式版本（{_shown(version)}）不是本程序能读的版本 1，请升级 govaudit")
    out = {}
    for name, fields in _IMPORT_FIELDS.items():
        records = data.get(name, [])
        if not isinstance(records, list):
            raise ImportRefused(f"“{name}”应为记录的列表")
        seen, checked = set(), []
        for i, rec in enumerate(records, 1):
            label = f"{_SECTION_NAMES[name]}第 {i} 条"
            if not isinstance(rec, dict):
                raise ImportRefused(f"{label}不是一条记录（{_shown(rec)}）")
            key = next(iter(fields))
            if isinstance(rec.get(key), str):
                label += f"（{key}={_shown(rec[key])}）"
            unknown = set(rec) - set(fields) - _IGNORED.get(name, set())
            if unknown:
                raise ImportRefused(f"{label}：未知字段 {'、'.join(sorted(map(_shown, unknown)))}")
            row = {}
            for field, (kind, limit, default) in fields.items():
                if field not in rec:
                    if default is _REQUIRED:
                        raise ImportRefused(f"{label}：缺少字段 {field}")
                    row[field] = default
                    continue
                problem, row[field] = _checked_value(field, rec[field], kind, limit)
                if problem:
                    raise ImportRefused(f"{label}：{problem}")
            if row[key] in seen:
                raise ImportRefused(f"{label}：{key} 与前面的记录重复")
            seen.add(row[key])
            checked.append(row)
        out[name] = checked
    return out


def _checked_value(field: str, value, kind: str, limit: int):
    """(problem or None, the value as stored)."""
    if kind in _CHOICES:
        title, choices = _CHOICES[kind]
        if value not in choices:
            return f"{title}（{field}）“{_shown(value)}”不是 {'、'.join(choices)} 之一", None
        return None, value
    if kind == "version":
        if type(value) is not int or value < 1:
            return f"{field} 应为正整数，收到 {_shown(value)}", None
        return None, value
    if kind in ("date", "datetime"):
        if value is None and kind == "date":
            return None, None
        try:
            if not isinstance(value, str):
                raise ValueError
            return None, date.fromisoformat(value) if kind == "date" else datetime.fromisoformat(value)
        except ValueError:
            what = "日期（应为 YYYY-MM-DD）" if kind == "date" else "时间（应为 ISO 8601，如 2027-01-31T09:30:00+08:00）"
            return f"{field}“{_shown(value)}”不是有效的{what}", None
    if value is None and kind == "text?":
        return None, None
    if not isinstance(value, str):
        return f"{field} 应为文字，收到 {_shown(value)}", None
    if kind in ("key", "message") and not value.strip():
        return f"{field} 不能为空", None
    if len(value) > limit:
        return f"{field} 超过 {limit} 个字符（{len(value)} 个）", None
    return None, value


def _shown(value) -> str:
    """A value from an import file, short and on one line, for a message."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = text if len(text) <= 40 else text[:40] + "…"
    return shown_path(text)


def _validate(changes: dict) -> None:
    if "status" in changes and changes["status"] not in STATUSES:
        raise ValueError(f"审核状态只能是：{'、'.join(STATUSES)}")
    if "rectification" in changes and changes["rectification"] not in RECTIFICATIONS:
        raise ValueError(f"整改状态只能是：{'、'.join(RECTIFICATIONS)}")
    if changes.get("due_date") is not None and not isinstance(changes["due_date"], date):
        changes["due_date"] = date.fromisoformat(str(changes["due_date"]))
    if "note" in changes and changes["note"] is None:
        changes["note"] = ""
    if len(changes.get("note") or "") > TEXT_MAX:
        raise ValueError(f"审核说明不能超过 {TEXT_MAX} 个字符")


def _conflict(theirs: Review | None, finding_id: str) -> StoreConflict:
    if theirs is None:
        return StoreConflict(f"问题 {finding_id} 的审核记录已被他人删除，请刷新后再保存")
    when = _aware(theirs.updated_at).astimezone().strftime("%Y-%m-%d %H:%M") if theirs.updated_at else "刚才"
    return StoreConflict(
        f"{theirs.updated_by} 已于 {when} 修改了这条审核（状态：{theirs.status}，整改：{theirs.rectification}，"
        f"说明：{theirs.note or '无'}）。您的修改尚未保存，请刷新后确认是否仍要修改。", theirs.__dict__)


def _csv_cell(v):
    """A cell Excel or LibreOffice would read as a formula (= + - @, also after leading blanks, or a tab or
    carriage return first) gets a leading apostrophe (OWASP CSV injection)."""
    if isinstance(v, str) and (v.lstrip(" \t\r\n")[:1] in ("=", "+", "-", "@") or v[:1] in ("\t", "\r")):
        return "'" + v
    return v


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: (None if not isinstance(v, str) and pd.isna(v) else v) for k, v in rec.items()}
            for rec in frame.to_dict("records")]


def _json_default(v):
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    raise TypeError(type(v))


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
