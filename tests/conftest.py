"""Shared pytest fixtures: databases (SQLite and PostgreSQL) and the fake Telegram Bot API server."""

import os
from collections.abc import AsyncIterator

import pytest

import storage.models  # noqa: F401  (the tables must be registered before truncating)
from storage import migrate
from storage.engine import create_db_engine
from tests.support.databases import (
    create_scratch_postgres,
    drop_scratch_postgres,
    make_sqlite_template,
    migrated_sqlite_copy,
    truncate_all,
)
from tests.support.fake_telegram import FakeTelegramServer


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    return make_sqlite_template(tmp_path_factory.mktemp("template") / "template.db")


@pytest.fixture(scope="session")
def postgres_url():
    name = f"crisisdesk_test_{os.getpid()}"
    url = create_scratch_postgres(name)
    yield url
    drop_scratch_postgres(name)


@pytest.fixture(scope="session")
def postgres_session_engine(postgres_url):
    engine = create_db_engine(postgres_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(sqlite_template, tmp_path):
    engine = migrated_sqlite_copy(sqlite_template, tmp_path / "crisisdesk.db")
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_engine(postgres_session_engine):
    truncate_all(postgres_session_engine)
    return postgres_session_engine


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request):
    """A migrated, empty database: every storage test runs on SQLite and on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_engine")


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegramServer]:
    """A started fake Telegram Bot API server on a free loopback port."""
    async with FakeTelegramServer() as server:
        yield server
