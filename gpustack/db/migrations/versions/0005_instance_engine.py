"""model_instances: the engine the scheduler decided (backend, version, categories, context)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("model_instances") as batch:
        batch.add_column(sa.Column("backend", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("backend_version", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("categories", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("context_length", sa.Integer(), nullable=True))
    # Instances placed before this revision: the deployment's own backend, where it names
    # one, is what the worker would have launched.
    op.execute(
        "UPDATE model_instances SET backend = (SELECT models.backend FROM models "
        "WHERE models.id = model_instances.model_id) WHERE worker_id IS NOT NULL"
    )
    # The rest chose their engine on the worker; placing them again records the decision.
    op.execute(
        "UPDATE model_instances SET worker_id = NULL, worker_name = NULL, worker_ip = NULL, "
        "port = NULL, gpu_indexes = '[]', computed_resource_claim = NULL, state = 'pending', "
        "state_message = 'placing again: the scheduler now records the engine' "
        "WHERE worker_id IS NOT NULL AND backend IS NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("model_instances") as batch:
        batch.drop_column("context_length")
        batch.drop_column("categories")
        batch.drop_column("backend_version")
        batch.drop_column("backend")
