"""audit_logs and request_logs tables; request_log on models and api_keys

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STR = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "audit_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", _STR(length=64), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=True),
        sa.Column("api_key_name", _STR(length=64), nullable=True),
        sa.Column("client_ip", _STR(length=64), nullable=False),
        sa.Column("method", _STR(length=8), nullable=False),
        sa.Column("path", _STR(length=512), nullable=False),
        sa.Column("action", _STR(length=32), nullable=False),
        sa.Column("resource_kind", _STR(length=32), nullable=False),
        sa.Column("resource_id", _STR(length=64), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_logs") as batch:
        batch.create_index(batch.f("ix_audit_logs_created_at"), ["created_at"])
        batch.create_index(batch.f("ix_audit_logs_actor_user_id"), ["actor_user_id"])
        batch.create_index(batch.f("ix_audit_logs_actor_name"), ["actor_name"])
        batch.create_index(batch.f("ix_audit_logs_resource_kind"), ["resource_kind"])
        batch.create_index(batch.f("ix_audit_logs_resource_id"), ["resource_id"])

    op.create_table(
        "request_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=True),
        sa.Column("model_id", sa.Integer(), nullable=True),
        sa.Column("model_name", _STR(length=128), nullable=False),
        sa.Column("operation", _STR(length=32), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("stream", sa.Boolean(), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("request_body", sa.Text(), nullable=False),
        sa.Column("response_body", sa.Text(), nullable=False),
        sa.Column("truncated", sa.Boolean(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("request_logs") as batch:
        batch.create_index(batch.f("ix_request_logs_created_at"), ["created_at"])
        batch.create_index(batch.f("ix_request_logs_api_key_id"), ["api_key_id"])
        batch.create_index(batch.f("ix_request_logs_model_id"), ["model_id"])
        batch.create_index(batch.f("ix_request_logs_model_name"), ["model_name"])

    # NULL / false: existing deployments and keys log nothing.
    with op.batch_alter_table("models") as batch:
        batch.add_column(sa.Column("request_log", sa.JSON(), nullable=True))
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(
            sa.Column("request_log", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("request_log")
    with op.batch_alter_table("models") as batch:
        batch.drop_column("request_log")
    op.drop_table("request_logs")
    op.drop_table("audit_logs")
