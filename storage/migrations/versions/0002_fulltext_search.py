"""full-text search: SQLite FTS5 table items_fts, PostgreSQL GIN index items_fts_document

Revision ID: 0002
Revises: 0001

Both index items' titles and summaries folded alike (storage/search.py explains how): lower case,
diacritics removed, ı → i, ə → e. The query side (storage.search.fold_text, POSTGRES_DOCUMENT) must
keep agreeing with what is frozen here.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# unicode61 strips Latin diacritics itself; these letters the triggers fold before it sees them.
SQLITE_FOLDS = {"й": "и", "Й": "И", "ё": "е", "Ё": "Е", "ı": "i", "ə": "e", "Ə": "E"}
SQLITE_TRIGGERS = ("items_fts_insert", "items_fts_delete", "items_fts_update")


def sqlite_folded(column: str) -> str:
    for letter, replacement in SQLITE_FOLDS.items():
        column = f"replace({column}, '{letter}', '{replacement}')"
    return column


def postgres_field(column: str) -> str:
    folded = rf"translate(regexp_replace(lower(normalize({column}, NFD)), '[\u0300-\u036f]+', '', 'g'), 'ıə', 'ie')"
    return f"to_tsvector('simple', regexp_replace({folded}, '[^[:alnum:]]+', ' ', 'g'))"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        document = (
            f"(setweight({postgres_field('title')}, 'A') || setweight({postgres_field('summary')}, 'B'))"
        )
        op.execute(f"CREATE INDEX items_fts_document ON items USING gin ({document})")
        return
    op.execute(
        "CREATE VIRTUAL TABLE items_fts USING fts5(title, summary, content='items', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 2', prefix='3')"
    )
    insert_new = (
        "INSERT INTO items_fts(rowid, title, summary) "
        f"VALUES (new.id, {sqlite_folded('new.title')}, {sqlite_folded('new.summary')});"
    )
    # An external-content table forgets a row only when given exactly the values it indexed.
    delete_old = (
        "INSERT INTO items_fts(items_fts, rowid, title, summary) "
        f"VALUES ('delete', old.id, {sqlite_folded('old.title')}, {sqlite_folded('old.summary')});"
    )
    op.execute(f"CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN {insert_new} END")
    op.execute(f"CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN {delete_old} END")
    op.execute(
        f"CREATE TRIGGER items_fts_update AFTER UPDATE OF title, summary ON items BEGIN {delete_old} {insert_new} END"
    )
    op.execute(
        "INSERT INTO items_fts(rowid, title, summary) "
        f"SELECT id, {sqlite_folded('title')}, {sqlite_folded('summary')} FROM items"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS items_fts_document")
        return
    for trigger in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS items_fts")
