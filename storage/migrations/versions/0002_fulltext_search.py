"""full-text search: SQLite FTS5 table items_fts, PostgreSQL tsvector column items_fts_document

Revision ID: 0002
Revises: 0001

Both index items' titles and summaries folded alike (storage/search.py explains how): lower case,
diacritics removed, ı → i, ə → e. The query side (storage.search) must keep agreeing with what is
frozen here.

SQLite: a contentless FTS5 table kept by triggers, whose rowid is the item's sort key
(published second × 10⁹ + item id), so that FTS5 itself returns matches newest first and a page
costs the same for a word found in half the archive as for a rare one.

PostgreSQL: a stored generated tsvector column with a GIN index. (An index on the expression alone
made every recheck and every row filtered in date order recompute the expression, some 40 µs a
row: seconds for one search over a million items.)
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
# storage.search.SORT_KEY_IDS; seconds clamped to 0 … 9·10⁹ (year 2255) so the key fits 64 bits.
SQLITE_SORT_KEY = (
    "min(max(coalesce(CAST(strftime('%s', {row}published_at) AS INTEGER), 0), 0), 9000000000)"
    " * 1000000000 + {row}id"
)


def sqlite_folded(column: str) -> str:
    for letter, replacement in SQLITE_FOLDS.items():
        column = f"replace({column}, '{letter}', '{replacement}')"
    return column


def sqlite_row(row: str) -> str:
    prefix = f"{row}." if row else ""
    key = SQLITE_SORT_KEY.format(row=prefix)
    return f"{key}, {sqlite_folded(prefix + 'title')}, {sqlite_folded(prefix + 'summary')}"


def postgres_field(column: str) -> str:
    folded = rf"translate(regexp_replace(lower(normalize({column}, NFD)), '[\u0300-\u036f]+', '', 'g'), 'ıə', 'ie')"
    return f"to_tsvector('simple', regexp_replace({folded}, '[^[:alnum:]]+', ' ', 'g'))"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        document = f"setweight({postgres_field('title')}, 'A') || setweight({postgres_field('summary')}, 'B')"
        op.execute(f"ALTER TABLE items ADD COLUMN items_fts_document tsvector GENERATED ALWAYS AS ({document}) STORED")
        op.execute("CREATE INDEX items_fts_document_index ON items USING gin (items_fts_document)")
        # Word frequencies for the planner: with the default sample a rare word looks common enough
        # for a scan in date order, which then reads the whole table.
        op.execute("ALTER TABLE items ALTER COLUMN items_fts_document SET STATISTICS 1000")
        return
    op.execute(
        "CREATE VIRTUAL TABLE items_fts USING fts5(title, summary, content='', "
        "tokenize='unicode61 remove_diacritics 2', prefix='3')"
    )
    insert_new = f"INSERT INTO items_fts(rowid, title, summary) VALUES ({sqlite_row('new')});"
    # A contentless table forgets a row only when given exactly the values it indexed.
    delete_old = f"INSERT INTO items_fts(items_fts, rowid, title, summary) VALUES ('delete', {sqlite_row('old')});"
    op.execute(f"CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN {insert_new} END")
    op.execute(f"CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN {delete_old} END")
    op.execute(
        "CREATE TRIGGER items_fts_update AFTER UPDATE OF title, summary, published_at ON items "
        f"BEGIN {delete_old} {insert_new} END"
    )
    op.execute(f"INSERT INTO items_fts(rowid, title, summary) SELECT {sqlite_row('')} FROM items")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS items_fts_document_index")
        op.execute("ALTER TABLE items DROP COLUMN IF EXISTS items_fts_document")
        return
    for trigger in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS items_fts")
