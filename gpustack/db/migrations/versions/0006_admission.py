"""models: admission in the gateway (max_concurrent_requests, max_queue_length, max_queue_wait)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-09
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL everywhere: existing deployments keep the defaults.
    with op.batch_alter_table("models") as batch:
        batch.add_column(sa.Column("max_concurrent_requests", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("max_queue_length", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("max_queue_wait", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("models") as batch:
        batch.drop_column("max_queue_wait")
        batch.drop_column("max_queue_length")
        batch.drop_column("max_concurrent_requests")
