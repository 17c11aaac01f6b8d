"""The shipped migrations build exactly the schema the code expects, on every backend."""

from __future__ import annotations

import asyncio

from alembic import command

from gpustack.db.migrate import alembic_config, upgrade_to_head


async def test_migrations_match_the_tables(database_url: str) -> None:
    await asyncio.to_thread(upgrade_to_head, database_url)
    # Raises when autogenerate would find any difference between models and database.
    await asyncio.to_thread(command.check, alembic_config(database_url))
