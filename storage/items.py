"""Feed items: idempotent upserts keyed by (feed_id, entry_key)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlmodel import Session

from storage.dialects import insert_ignoring_duplicates
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
    elsewhere: int = 0  # new to this feed, but the outlet's other feed already carried the article


# Hot path (every changed feed, every cycle): Core statements on the table, built once, so neither the
# ORM's bulk machinery nor statement construction runs per call.
_ITEMS = Item.__table__
_EXISTING = select(_ITEMS.c.entry_key, _ITEMS.c.id, _ITEMS.c.content_hash).where(
    _ITEMS.c.feed_id == bindparam("feed_id"), _ITEMS.c.entry_key.in_(bindparam("keys", expanding=True))
)
# Outlets publish one article in several feeds (main, politics, a region): one URL is one item.
_SAME_ARTICLE = select(_ITEMS.c.canonical_url).where(
    _ITEMS.c.outlet_id == bindparam("outlet_id"),
    _ITEMS.c.canonical_url.in_(bindparam("urls", expanding=True)),
)
_CHANGED_COLUMNS = ("url", "canonical_url", "title", "summary", "language", "content_hash", "updated_at")
_UPDATE = (
    update(_ITEMS)
    .where(_ITEMS.c.id == bindparam("item_id"))
    .values({name: bindparam(f"new_{name}") for name in _CHANGED_COLUMNS})
)
_INSERTS = {
    name: insert_ignoring_duplicates(_ITEMS, name).returning(_ITEMS.c.id, _ITEMS.c.entry_key)
    for name in ("postgresql", "sqlite")
}


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
        rows = session.execute(_EXISTING, {"feed_id": feed_id, "keys": keys[start : start + _LOOKUP_CHUNK]})
        existing.update({key: (item_id, digest) for key, item_id, digest in rows})
    carried = _carried_by_outlet(
        session,
        outlet_id,
        [r.canonical_url for r in records if r.entry_key not in existing and r.canonical_url],
    )
    new_rows, changed_rows = [], []
    for record in records:
        known = existing.get(record.entry_key)
        if known is None and record.canonical_url in carried:
            result.elsewhere += 1
        elif known is None:
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
                    "story_id": None,
                }
            )
        elif known[1] != record.content_hash:
            values = {**_values(record), "updated_at": now}
            changed_rows.append(
                {"item_id": known[0], **{f"new_{name}": values[name] for name in _CHANGED_COLUMNS}}
            )
            result.updated[record.entry_key] = known[0]
        else:
            result.unchanged += 1
    if new_rows:
        # Oldest first: SQLite's full-text rowid grows with publication time, and FTS5 flushes its
        # in-memory index to a new segment whenever a rowid is lower than the last one written, so
        # a feed's usual newest-first order would cost one segment (and its merging) per item.
        new_rows.sort(key=lambda row: row["published_at"])
        # ON CONFLICT: a worker whose lease expired mid-fetch may race another on the same items.
        statement = _INSERTS[session.get_bind().dialect.name]
        for item_id, key in session.execute(statement, new_rows):
            result.inserted[key] = item_id
    if changed_rows:
        session.execute(_UPDATE, changed_rows)
    return result


def _carried_by_outlet(session: Session, outlet_id: int, urls: list[str]) -> set[str]:
    carried: set[str] = set()
    for start in range(0, len(urls), _LOOKUP_CHUNK):
        chunk = urls[start : start + _LOOKUP_CHUNK]
        carried.update(session.execute(_SAME_ARTICLE, {"outlet_id": outlet_id, "urls": chunk}).scalars())
    return carried


def _values(record: ItemRecord) -> dict:
    return {
        "url": record.url,
        "canonical_url": record.canonical_url,
        "title": record.title,
        "summary": record.summary,
        "language": record.language,
        "content_hash": record.content_hash,
    }


_PREFIX = (
    select(_ITEMS.c.id)
    .where(
        _ITEMS.c.feed_id == bindparam("feed_id"),
        _ITEMS.c.entry_key >= bindparam("lower"),
        _ITEMS.c.entry_key < bindparam("upper"),
    )
    .limit(1)
)


def has_entry_key_prefix(session: Session, feed_id: int, prefix: str) -> bool:
    """Whether any stored item of the feed has a key starting with `prefix` (an index range scan)."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    found = session.execute(_PREFIX, {"feed_id": feed_id, "lower": prefix, "upper": upper}).first()
    return found is not None


def count_items(session: Session, feed_id: int | None = None) -> int:
    statement = select(func.count()).select_from(Item)
    if feed_id is not None:
        statement = statement.where(Item.feed_id == feed_id)
    return session.execute(statement).scalar_one()


def list_items(session: Session, feed_id: int) -> list[Item]:
    return list(session.execute(select(Item).where(Item.feed_id == feed_id).order_by(Item.id)).scalars())


@dataclass(frozen=True, slots=True)
class TaggableItem:
    id: int
    title: str
    summary: str
    language: str | None
    published_at: datetime


def items_to_tag(session: Session, since: datetime | None, after_id: int, limit: int) -> list[TaggableItem]:
    """One batch of items (published at or after `since`) in id order, resuming after `after_id`."""
    statement = select(Item.id, Item.title, Item.summary, Item.language, Item.published_at).where(
        Item.id > after_id
    )
    if since is not None:
        statement = statement.where(Item.published_at >= since)
    rows = session.execute(statement.order_by(Item.id).limit(limit))
    return [TaggableItem(*row) for row in rows]


def count_items_since(session: Session, since: datetime | None) -> int:
    statement = select(func.count()).select_from(Item)
    if since is not None:
        statement = statement.where(Item.published_at >= since)
    return session.execute(statement).scalar_one()
