"""models: elastic serving (autoscaling, sleep and wake, drain, load balancing); instances drain

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL or off everywhere: existing deployments keep their fixed `replicas`.
    with op.batch_alter_table("models") as batch:
        batch.add_column(sa.Column("min_replicas", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("max_replicas", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("idle_timeout", sa.Float(), nullable=True))
        batch.add_column(sa.Column("wake_timeout", sa.Float(), nullable=True))
        batch.add_column(sa.Column("target_outstanding_per_replica", sa.Float(), nullable=True))
        batch.add_column(
            sa.Column("scaling_windows", sa.JSON(), nullable=True, server_default="[]")
        )
        batch.add_column(sa.Column("drain_timeout", sa.Float(), nullable=True))
        batch.add_column(sa.Column("load_balancing", sa.String(), nullable=True))
        batch.add_column(
            sa.Column("asleep", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("deleting", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("autoscaled_replicas", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("last_request_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("model_instances") as batch:
        batch.add_column(sa.Column("draining_since", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("model_instances") as batch:
        batch.drop_column("draining_since")
    with op.batch_alter_table("models") as batch:
        for column in (
            "last_request_at",
            "autoscaled_replicas",
            "deleting",
            "asleep",
            "load_balancing",
            "drain_timeout",
            "scaling_windows",
            "target_outstanding_per_replica",
            "wake_timeout",
            "idle_timeout",
            "max_replicas",
            "min_replicas",
        ):
            batch.drop_column(column)
