"""A run may re-plan from a previous run: runs.previous_run_id (issue 20, weekly re-planning).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:  # batch: SQLite cannot add a foreign key otherwise
        batch.add_column(sa.Column("previous_run_id", sa.String(length=32), nullable=True))
        batch.create_foreign_key(
            op.f("fk_runs_previous_run_id_runs"), "runs", ["previous_run_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_constraint(op.f("fk_runs_previous_run_id_runs"), type_="foreignkey")
        batch.drop_column("previous_run_id")
