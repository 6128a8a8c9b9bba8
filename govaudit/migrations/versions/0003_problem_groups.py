"""Findings carry the problem they are a symptom of (findings that share a likely culprit).

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("problem", sa.Text))


def downgrade():
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("problem")
