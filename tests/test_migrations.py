"""The schema is created only by migrating, and the migrations agree with the models."""

import pytest
from sqlalchemy import inspect

from storage import migrate


def describe_schema(engine) -> dict[str, dict]:
    """Tables → columns (name, nullability, generic type), unique sets and index columns."""
    inspector = inspect(engine)
    schema = {}
    for table in sorted(inspector.get_table_names()):
        if table == "alembic_version" or table.startswith(migrate.UNMODELLED_PREFIXES):
            continue
        indexes = [
            i for i in inspector.get_indexes(table) if not i["name"].startswith(migrate.UNMODELLED_PREFIXES)
        ]
        schema[table] = {
            "columns": sorted(
                (column["name"], column["nullable"], type(column["type"]).__visit_name__.lower())
                for column in inspector.get_columns(table)
                if not column["name"].startswith(migrate.UNMODELLED_PREFIXES)
            ),
            "unique": sorted(
                tuple(constraint["column_names"]) for constraint in inspector.get_unique_constraints(table)
            )
            + sorted(tuple(index["column_names"]) for index in indexes if index["unique"]),
            "indexes": sorted(tuple(index["column_names"]) for index in indexes if not index["unique"]),
        }
    return schema


def test_migrated_database_matches_the_models(engine):
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert migrate.schema_differences(engine) == []


@pytest.mark.postgres
def test_sqlite_and_postgres_get_the_same_tables_and_columns(sqlite_engine, postgres_engine):
    sqlite_schema, postgres_schema = describe_schema(sqlite_engine), describe_schema(postgres_engine)
    assert sqlite_schema.keys() == postgres_schema.keys()
    for table in sqlite_schema:
        assert [c[:2] for c in sqlite_schema[table]["columns"]] == [
            c[:2] for c in postgres_schema[table]["columns"]
        ], table
        assert sorted(set(sqlite_schema[table]["unique"])) == sorted(set(postgres_schema[table]["unique"]))
        assert sqlite_schema[table]["indexes"] == postgres_schema[table]["indexes"], table


def test_downgrade_to_base_and_back(engine):
    migrate.downgrade(engine, "base")
    assert migrate.current_revision(engine) is None
    assert "items" not in inspect(engine).get_table_names()
    migrate.upgrade(engine)
    assert migrate.schema_differences(engine) == []
