"""The files a run read: path, size and modification time when listed, sha256, the report read or why not.

The workbench compares a folder with its latest run (size and mtime, no reading) to know whether it
needs checking, and lists the unreadable files and the reports from the store instead of re-reading them.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("run_files", sa.Column("run_id", sa.Integer, primary_key=True),
                    sa.Column("path", sa.Text, primary_key=True), sa.Column("size", sa.BigInteger),
                    sa.Column("mtime_ns", sa.BigInteger), sa.Column("sha256", sa.String(64)),
                    sa.Column("report", sa.String(200)), sa.Column("error", sa.Text))


def downgrade():
    op.drop_table("run_files")
