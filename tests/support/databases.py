"""Test databases: a fresh SQLite file, or a fresh PostgreSQL database when CI provides a server.

Set GPUSTACK_TEST_POSTGRES_URL (e.g. postgresql://postgres@127.0.0.1:5432/postgres) to run every
database-backed test on PostgreSQL as well as SQLite.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from gpustack.db.migrate import upgrade_to_head

POSTGRES_ENV = "GPUSTACK_TEST_POSTGRES_URL"


def backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get(POSTGRES_ENV) else ["sqlite"]


@asynccontextmanager
async def fresh_database(
    backend: str, tmp_path: Path, template: str | None = None
) -> AsyncIterator[str]:
    """Yield the URL of a new database of that backend (empty, or a copy of `template`: a
    SQLite file path or a PostgreSQL database name); drop it afterwards."""
    if backend == "sqlite":
        target = tmp_path / "test.db"
        if template is not None:
            shutil.copyfile(template, target)
        yield f"sqlite:///{target}"
        return
    admin_url = make_url(os.environ[POSTGRES_ENV])
    name = f"gpustack_test_{secrets.token_hex(6)}"
    dsn = admin_url.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        suffix = f' TEMPLATE "{template}"' if template else ""
        await conn.execute(f'CREATE DATABASE "{name}"{suffix}')
    finally:
        await conn.close()
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


async def migrated_template(backend: str, tmp_dir: Path) -> str:
    """A database migrated to head once per test session, copied for each test."""
    if backend == "sqlite":
        path = tmp_dir / "template.db"
        await asyncio.to_thread(upgrade_to_head, f"sqlite:///{path}")
        return str(path)
    admin_url = make_url(os.environ[POSTGRES_ENV])
    name = f"gpustack_template_{secrets.token_hex(6)}"
    dsn = admin_url.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    await asyncio.to_thread(upgrade_to_head, url)
    return name


async def drop_template(backend: str, name: str) -> None:
    if backend == "sqlite":
        return
    dsn = make_url(os.environ[POSTGRES_ENV]).set(drivername="postgresql")
    conn = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
