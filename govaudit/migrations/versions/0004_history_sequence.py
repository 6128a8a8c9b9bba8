"""History ordered by a sequence (the order of the writes), not by a clock; PostgreSQL refuses TRUNCATE of it.

A clock read before the write lock could put two concurrent saves of one review in the wrong order, so the
old→new chain looked broken. ``seq`` is taken inside the write: PostgreSQL from a sequence (the review's row
lock orders the saves of one review), SQLite by the writer itself under its exclusive lock. Existing rows
are numbered in their time order.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE history ADD COLUMN seq INTEGER")
        op.execute("DROP TRIGGER history_no_update")          # numbering the old rows is this migration's one update
        op.execute("UPDATE history SET seq = (SELECT n FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY at, rowid) AS n "
                   "FROM history) AS r WHERE r.id = history.id)")
        op.execute("CREATE TRIGGER history_no_update BEFORE UPDATE ON history "
                   "BEGIN SELECT RAISE(ABORT, 'history is append-only'); END")
        op.execute("CREATE TRIGGER history_seq_required BEFORE INSERT ON history WHEN NEW.seq IS NULL "
                   "BEGIN SELECT RAISE(ABORT, 'history.seq is required'); END")
    else:
        op.execute("CREATE SEQUENCE history_seq")
        op.add_column("history", sa.Column("seq", sa.BigInteger))
        op.execute("ALTER TABLE history DISABLE TRIGGER history_append_only")
        op.execute("UPDATE history SET seq = r.n FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY at, id) AS n "
                   "FROM history) AS r WHERE r.id = history.id")
        op.execute("ALTER TABLE history ENABLE TRIGGER history_append_only")
        op.execute("SELECT setval('history_seq', COALESCE((SELECT MAX(seq) FROM history), 0) + 1, false)")
        op.execute("ALTER TABLE history ALTER COLUMN seq SET DEFAULT nextval('history_seq'), "
                   "ALTER COLUMN seq SET NOT NULL")
        op.execute("ALTER SEQUENCE history_seq OWNED BY history.seq")
        op.execute("CREATE TRIGGER history_no_truncate BEFORE TRUNCATE ON history "
                   "FOR EACH STATEMENT EXECUTE FUNCTION history_append_only()")
    op.create_index("ix_history_seq", "history", ["seq"], unique=True)


def downgrade():
    op.drop_index("ix_history_seq", "history")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER history_seq_required")
        op.execute("DROP TRIGGER history_no_update")
        op.execute("ALTER TABLE history DROP COLUMN seq")
        op.execute("CREATE TRIGGER history_no_update BEFORE UPDATE ON history "
                   "BEGIN SELECT RAISE(ABORT, 'history is append-only'); END")
    else:
        op.execute("DROP TRIGGER history_no_truncate ON history")
        op.drop_column("history", "seq")
