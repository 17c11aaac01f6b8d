"""groups and members, deployments limited to groups, API keys disabled, shared rate counters

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "groups",
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=1024), nullable=False),
        sa.Column("rpm_limit", sa.Integer(), nullable=True),
        sa.Column("rpd_limit", sa.Integer(), nullable=True),
        sa.Column("tpm_limit", sa.Integer(), nullable=True),
        sa.Column("tpd_limit", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("groups") as batch:
        batch.create_index(batch.f("ix_groups_name"), ["name"], unique=True)
    op.create_table(
        "group_members",
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("group_id", "user_id"),
    )
    with op.batch_alter_table("group_members") as batch:
        batch.create_index(batch.f("ix_group_members_user_id"), ["user_id"], unique=False)
    op.create_table(
        "rate_counters",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start"),
    )
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(
            sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column("disabled_by", sa.Integer(), nullable=True))
    with op.batch_alter_table("models") as batch:
        batch.add_column(sa.Column("access_groups", sa.JSON(), nullable=True))
    # Existing deployments stay open to everyone.
    op.execute("UPDATE models SET access_groups = '[]'")


def downgrade() -> None:
    with op.batch_alter_table("models") as batch:
        batch.drop_column("access_groups")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("disabled_by")
        batch.drop_column("is_active")
    op.drop_table("rate_counters")
    with op.batch_alter_table("group_members") as batch:
        batch.drop_index(batch.f("ix_group_members_user_id"))
    op.drop_table("group_members")
    with op.batch_alter_table("groups") as batch:
        batch.drop_index(batch.f("ix_groups_name"))
    op.drop_table("groups")
