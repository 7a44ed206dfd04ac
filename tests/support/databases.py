"""Test databases: a migrated SQLite file per test, and one migrated PostgreSQL database per run.

PostgreSQL tests use the server named by CRISISDESK_TEST_POSTGRES_URL. Where it is unreachable
they are skipped, unless CRISISDESK_REQUIRE_POSTGRES=1 (as in CI), where that is a failure.
"""

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from storage import migrate
from storage.engine import create_db_engine, normalise_database_url

POSTGRES_URL = os.environ.get("CRISISDESK_TEST_POSTGRES_URL", "")
REQUIRE_POSTGRES = os.environ.get("CRISISDESK_REQUIRE_POSTGRES") == "1"


def postgres_unavailable(reason: str) -> None:
    if REQUIRE_POSTGRES:
        pytest.fail(f"PostgreSQL is required (CRISISDESK_REQUIRE_POSTGRES=1) but {reason}")
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


def admin_engine() -> Engine:
    return create_engine(normalise_database_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")


def create_scratch_postgres(name: str) -> str:
    """Create an empty database `name` on the test server; return its URL."""
    if not POSTGRES_URL:
        postgres_unavailable("CRISISDESK_TEST_POSTGRES_URL is not set")
    try:
        admin = admin_engine()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as error:  # connection refused, auth, …: one reason line is enough
        postgres_unavailable(f"{POSTGRES_URL} is unreachable ({type(error).__name__}: {error})")
    return make_url(normalise_database_url(POSTGRES_URL)).set(database=name).render_as_string(False)


def drop_scratch_postgres(name: str) -> None:
    admin = admin_engine()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def migrated_sqlite_copy(template: Path, target: Path) -> Engine:
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{template}{suffix}")
        if source.exists():
            shutil.copyfile(source, f"{target}{suffix}")
    return create_db_engine(f"sqlite:///{target}")


def make_sqlite_template(path: Path) -> Path:
    engine = create_db_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def truncate_all(engine: Engine) -> None:
    tables = ", ".join(f'"{table.name}"' for table in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
