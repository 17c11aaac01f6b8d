"""users.source and users.external_id: sign-in through OIDC and LDAP

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Everyone who exists now signs in with a local password.
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column(
                "source",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default="local",
            )
        )
        batch.add_column(
            sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=True)
        )
        batch.create_index("ix_users_external_id", ["external_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_index("ix_users_external_id")
        batch.drop_column("external_id")
        batch.drop_column("source")
