"""Schema migrations: the schema is only ever created by running Alembic."""

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlmodel import SQLModel

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# Objects the models do not describe: full-text index tables and their shadow tables.
UNMODELLED_PREFIXES = ("items_fts",)


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    return not (name and name.startswith(UNMODELLED_PREFIXES))


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as connection:
        config = _config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        config = _config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def schema_differences(engine: Engine) -> list:
    """What autogenerate would change to make the database match the models (empty when they agree)."""
    import storage.models  # noqa: F401

    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": include_object, "compare_type": True}
        )
        return compare_metadata(context, SQLModel.metadata)


def generate_revision(engine: Engine, message: str, rev_id: str) -> None:
    """Developer helper: write a new migration from the models' difference to `engine`."""
    with engine.begin() as connection:
        config = _config()
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True, rev_id=rev_id)
