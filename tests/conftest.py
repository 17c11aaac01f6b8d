"""Shared fixtures: databases on every configured backend, an in-process server app."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.support.databases import backends, drop_template, fresh_database, migrated_template

# Never reach a real model hub from tests.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

pytest_plugins = ["tests.fixtures.model_fixtures"]


@pytest.fixture(scope="session")
def database_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One migrated database per backend, made once; each test gets a copy (fast)."""
    folder = tmp_path_factory.mktemp("db-templates")
    templates = {b: asyncio.run(migrated_template(b, folder)) for b in backends()}
    yield templates
    for backend, name in templates.items():
        asyncio.run(drop_template(backend, name))


@pytest.fixture(params=backends())
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, database_templates: dict[str, str]
) -> AsyncIterator[str]:
    backend = request.param
    async with fresh_database(backend, tmp_path, database_templates[backend]) as url:
        yield url
