"""model_instances: subordinate_workers, the parts of an instance that run on other workers

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL for existing rows: they run on one worker.
    with op.batch_alter_table("model_instances") as batch:
        batch.add_column(sa.Column("subordinate_workers", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("model_instances") as batch:
        batch.drop_column("subordinate_workers")
