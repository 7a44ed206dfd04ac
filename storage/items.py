"""Feed items: idempotent upserts keyed by (feed_id, entry_key)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Insert, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from storage.models import Item

_LOOKUP_CHUNK = 500


@dataclass(frozen=True, slots=True)
class ItemRecord:
    """An item as the pipeline hands it over: clean values plus its dedup key."""

    entry_key: str
    guid: str | None
    url: str | None
    canonical_url: str | None
    title: str
    summary: str
    language: str | None
    content_hash: str
    published_at: datetime


@dataclass
class UpsertResult:
    """Ids by entry key of the items inserted and of those whose title or summary changed."""

    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: int = 0


def insert_ignoring_conflicts(session: Session, table) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING in the session's dialect."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def upsert_items(
    session: Session, feed_id: int, outlet_id: int, records: Sequence[ItemRecord], now: datetime
) -> UpsertResult:
    """Insert new items, update changed ones, leave the rest: polling twice stores an item once."""
    result = UpsertResult()
    if not records:
        return result
    existing: dict[str, tuple[int, str]] = {}
    keys = [record.entry_key for record in records]
    for start in range(0, len(keys), _LOOKUP_CHUNK):
        rows = session.execute(
            select(Item.entry_key, Item.id, Item.content_hash).where(
                Item.feed_id == feed_id, Item.entry_key.in_(keys[start : start + _LOOKUP_CHUNK])
            )
        )
        existing.update({key: (item_id, digest) for key, item_id, digest in rows})
    new_rows, changed_rows = [], []
    for record in records:
        known = existing.get(record.entry_key)
        if known is None:
            new_rows.append(
                {
                    **_values(record),
                    "feed_id": feed_id,
                    "outlet_id": outlet_id,
                    "entry_key": record.entry_key,
                    "guid": record.guid,
                    "published_at": record.published_at,
                    "fetched_at": now,
                    "updated_at": now,
                }
            )
        elif known[1] != record.content_hash:
            changed_rows.append({"id": known[0], **_values(record), "updated_at": now})
            result.updated[record.entry_key] = known[0]
        else:
            result.unchanged += 1
    if new_rows:
        # ON CONFLICT: a worker whose lease expired mid-fetch may race another on the same items.
        statement = insert_ignoring_conflicts(session, Item).returning(Item.id, Item.entry_key)
        for item_id, key in session.execute(statement, new_rows):
            result.inserted[key] = item_id
    if changed_rows:
        session.execute(update(Item), changed_rows)
    return result


def _values(record: ItemRecord) -> dict:
    return {
        "url": record.url,
        "canonical_url": record.canonical_url,
        "title": record.title,
        "summary": record.summary,
        "language": record.language,
        "content_hash": record.content_hash,
    }


def has_entry_key_prefix(session: Session, feed_id: int, prefix: str) -> bool:
    """Whether any stored item of the feed has a key starting with `prefix` (an index range scan)."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    found = session.execute(
        select(Item.id)
        .where(Item.feed_id == feed_id, Item.entry_key >= prefix, Item.entry_key < upper)
        .limit(1)
    ).first()
    return found is not None


def count_items(session: Session, feed_id: int | None = None) -> int:
    statement = select(func.count()).select_from(Item)
    if feed_id is not None:
        statement = statement.where(Item.feed_id == feed_id)
    return session.execute(statement).scalar_one()


def list_items(session: Session, feed_id: int) -> list[Item]:
    return list(session.execute(select(Item).where(Item.feed_id == feed_id).order_by(Item.id)).scalars())
