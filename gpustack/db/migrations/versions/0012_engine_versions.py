"""engine_versions: backend versions an administrator added (pip requirement or program)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "engine_versions",
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("backend", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("pip_spec", sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=True),
        sa.Column("index_url", sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=True),
        sa.Column("pip_args", sa.JSON(), nullable=True),
        sa.Column("executable", sqlmodel.sql.sqltypes.AutoString(length=4096), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("backend", "version", name="uq_engine_versions_backend_version"),
    )
    with op.batch_alter_table("engine_versions") as batch:
        batch.create_index(batch.f("ix_engine_versions_backend"), ["backend"])


def downgrade() -> None:
    with op.batch_alter_table("engine_versions") as batch:
        batch.drop_index(batch.f("ix_engine_versions_backend"))
    op.drop_table("engine_versions")
