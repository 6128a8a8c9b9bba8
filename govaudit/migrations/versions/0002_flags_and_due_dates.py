"""Manual flags, rectification due dates, and history that refuses UPDATE/DELETE.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("reviews") as batch:
        batch.add_column(sa.Column("due_date", sa.Date))
    op.create_table(
        "flags",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("report", sa.String(200), nullable=False, index=True),
        sa.Column("table", sa.String(20), nullable=False, server_default=""),
        sa.Column("row", sa.String(60), nullable=False, server_default=""),
        sa.Column("column", sa.String(60), nullable=False, server_default=""),
        sa.Column("section", sa.String(20), nullable=False, server_default=""),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("rectification", sa.String(10), nullable=False),
        sa.Column("due_date", sa.Date),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    # the history is the audit trail: append-only, enforced by the database itself
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER history_no_{action.lower()} BEFORE {action} ON history "
                       "BEGIN SELECT RAISE(ABORT, 'history is append-only'); END")
    else:
        op.execute("CREATE FUNCTION history_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN RAISE EXCEPTION 'history is append-only'; END $$")
        op.execute("CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON history "
                   "FOR EACH ROW EXECUTE FUNCTION history_append_only()")
