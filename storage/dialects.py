"""What differs between SQLite and PostgreSQL statements, in one place."""

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert


def insert_ignoring_duplicates(table: Table, dialect_name: str) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING: a row whose unique key exists already is skipped."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()
