"""providers (API keys encrypted at rest) and model_routes (weighted targets, fallbacks)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "providers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("base_url", sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=False),
        sa.Column("api_key_encrypted", sa.Text(), nullable=True),
        sa.Column("api_key_last4", sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
        sa.Column("timeout", sa.Float(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("providers") as batch:
        batch.create_index(batch.f("ix_providers_name"), ["name"], unique=True)
    op.create_table(
        "model_routes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=True),
        sa.Column("fallbacks", sa.JSON(), nullable=True),
        sa.Column("cooldown_failures", sa.Integer(), nullable=False),
        sa.Column("cooldown_seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("model_routes") as batch:
        batch.create_index(batch.f("ix_model_routes_name"), ["name"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("model_routes") as batch:
        batch.drop_index(batch.f("ix_model_routes_name"))
    op.drop_table("model_routes")
    with op.batch_alter_table("providers") as batch:
        batch.drop_index(batch.f("ix_providers_name"))
    op.drop_table("providers")
