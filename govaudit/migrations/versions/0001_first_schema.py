"""First schema: reports, check runs, findings as seen in each run, reviews, history.

Revision ID: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "reports",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("report", sa.String(200), nullable=False, index=True),
        sa.Column("agency", sa.String(200), nullable=False, server_default=""),
        sa.Column("year", sa.Integer),
        sa.Column("source", sa.Text, nullable=False, server_default=""),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user", sa.String(100), nullable=False),
        sa.Column("reports", sa.Integer, nullable=False),
        sa.Column("findings", sa.Integer, nullable=False),
    )
    op.create_table(
        "run_reports",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), primary_key=True),
        sa.Column("report", sa.String(200), primary_key=True),
        sa.Column("sha256", sa.String(64), sa.ForeignKey("reports.sha256"), nullable=False),
    )
    op.create_table(
        "findings",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), primary_key=True),
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("report", sa.String(200), nullable=False, index=True),
        sa.Column("agency", sa.String(200), nullable=False, server_default=""),
        sa.Column("year", sa.Integer),
        sa.Column("rule", sa.String(40), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("table", sa.String(20), nullable=False, server_default=""),
        sa.Column("row", sa.String(60), nullable=False, server_default=""),
        sa.Column("column", sa.String(60), nullable=False, server_default=""),
        sa.Column("section", sa.String(20), nullable=False, server_default=""),
        sa.Column("expected", sa.Text),
        sa.Column("actual", sa.Text),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("evidence", sa.Text, nullable=False, server_default=""),
        sa.Column("source", sa.Text, nullable=False, server_default=""),
    )
    op.create_table(
        "reviews",
        sa.Column("finding_id", sa.String(32), primary_key=True),
        sa.Column("report", sa.String(200), nullable=False, index=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("rectification", sa.String(10), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "history",
        sa.Column("id", sa.String(36), primary_key=True),     # uuid: merges by id on import
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("user", sa.String(100), nullable=False),
        sa.Column("entity", sa.String(10), nullable=False),
        sa.Column("entity_id", sa.String(36), nullable=False, index=True),
        sa.Column("field", sa.String(30), nullable=False),
        sa.Column("old", sa.Text),
        sa.Column("new", sa.Text),
    )
