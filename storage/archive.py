"""Reading the archive: matched items, coverage counts, one item's matches, statistics.

Read-only queries over items, outlets, feeds and item_incidents; every item comes back as an
`ArchivedItem` with its outlet and incident ids, ready to be shown or exported.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Date, cast, func, or_
from sqlmodel import Session, select

from storage.engine import is_postgres
from storage.models import Feed, Item, ItemIncident, Outlet

MAX_ID = 2**31 - 1  # items.id is a 32-bit integer on PostgreSQL


@dataclass(frozen=True)
class ArchivedItem:
    id: int
    title: str
    url: str | None
    published_at: datetime
    language: str | None
    outlet_slug: str
    outlet_name: str
    side: str
    incidents: tuple[str, ...]


@dataclass(frozen=True)
class Match:
    incident_id: str
    score: float
    explanation: list[dict]
    matched_at: datetime


@dataclass(frozen=True)
class ItemDetail:
    item: ArchivedItem
    summary: str
    matches: list[Match]


@dataclass(frozen=True)
class ArchiveStats:
    items_total: int
    items_per_day: list[tuple[date, int]]  # the days since `since`, oldest first, zeros included
    matches_per_incident: dict[str, int]  # all time
    recent_matches_per_incident: dict[str, int]  # items published since `since`
    feeds_active: int
    feeds_disabled: int
    feeds_failing: int  # active feeds whose last check failed


def load_items(session: Session, ids: Sequence[int]) -> list[ArchivedItem]:
    """The items with these ids, in the order given."""
    if not ids:
        return []
    rows = session.exec(
        select(Item.id, Item.title, Item.url, Item.canonical_url, Item.published_at, Item.language, Outlet)
        .join(Outlet, Outlet.id == Item.outlet_id)
        .where(Item.id.in_(ids))
    ).all()
    incidents: dict[int, list[str]] = defaultdict(list)
    for item_id, incident_id in session.exec(
        select(ItemIncident.item_id, ItemIncident.incident_id)
        .where(ItemIncident.item_id.in_(ids))
        .order_by(ItemIncident.item_id, ItemIncident.score.desc(), ItemIncident.incident_id)
    ):
        incidents[item_id].append(incident_id)
    by_id = {
        item_id: ArchivedItem(
            id=item_id,
            title=title,
            url=url or canonical_url,
            published_at=published_at,
            language=language,
            outlet_slug=outlet.slug,
            outlet_name=outlet.name,
            side=outlet.side,
            incidents=tuple(incidents[item_id]),
        )
        for item_id, title, url, canonical_url, published_at, language, outlet in rows
    }
    return [by_id[item_id] for item_id in ids if item_id in by_id]


def matched_items(
    session: Session,
    *,
    incident_id: str | None = None,
    since: datetime | None = None,
    limit: int | None = None,
) -> list[ArchivedItem]:
    """Items tagged with `incident_id` (or with any incident), newest first."""
    tagged = select(ItemIncident.item_id)
    if incident_id is not None:
        tagged = tagged.where(ItemIncident.incident_id == incident_id)
    query = select(Item.id).where(Item.id.in_(tagged))
    if since is not None:
        query = query.where(Item.published_at >= since)
    query = query.order_by(Item.published_at.desc(), Item.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return load_items(session, list(session.exec(query)))


def coverage_counts(session: Session, since: datetime) -> dict[str, int]:
    """How many items published since `since` each incident was tagged in (incidents without any omitted)."""
    rows = session.exec(
        select(ItemIncident.incident_id, func.count())
        .join(Item, Item.id == ItemIncident.item_id)
        .where(Item.published_at >= since)
        .group_by(ItemIncident.incident_id)
    )
    return dict(rows.all())


def _url_variants(url: str) -> set[str]:
    """The spellings of one address a user may paste: scheme, trailing slash, `www.`."""
    url = url.strip()
    base = url.split("://", 1)[-1].rstrip("/")
    hosts = {base, base.removeprefix("www."), "www." + base.removeprefix("www.")}
    return {url} | {
        f"{scheme}://{host}{slash}" for scheme in ("http", "https") for host in hosts for slash in ("", "/")
    }


def find_item(session: Session, reference: str) -> ItemDetail | None:
    """An item by its id or by its URL (as published or canonical), with its matches."""
    reference = reference.strip()
    if reference.isdigit():
        item = session.get(Item, int(reference)) if int(reference) <= MAX_ID else None
    else:
        variants = _url_variants(reference)
        item = session.exec(
            select(Item)
            .where(or_(Item.url.in_(variants), Item.canonical_url.in_(variants)))
            .order_by(Item.published_at.desc())
        ).first()
    if item is None:
        return None
    matches = [
        Match(row.incident_id, row.score, list(row.explanation), row.matched_at)
        for row in session.exec(
            select(ItemIncident)
            .where(ItemIncident.item_id == item.id)
            .order_by(ItemIncident.score.desc(), ItemIncident.incident_id)
        )
    ]
    return ItemDetail(load_items(session, [item.id])[0], item.summary, matches)


def archive_stats(session: Session, since: datetime, until: datetime) -> ArchiveStats:
    """Figures for the admin: items per day (UTC) from `since` to `until`, matches per incident, feeds."""
    if is_postgres(session.get_bind()):
        day = cast(func.timezone("UTC", Item.published_at), Date)
    else:
        day = func.date(Item.published_at)  # SQLite keeps naive UTC text
    per_day = {
        (value if isinstance(value, date) else date.fromisoformat(value)): count
        for value, count in session.exec(
            select(day, func.count()).where(Item.published_at >= since).group_by(day)
        )
    }
    days = [date.fromordinal(n) for n in range(since.date().toordinal(), until.date().toordinal() + 1)]

    def per_incident(*conditions) -> dict[str, int]:
        query = select(ItemIncident.incident_id, func.count()).join(Item, Item.id == ItemIncident.item_id)
        return dict(session.exec(query.where(*conditions).group_by(ItemIncident.incident_id)).all())

    def feeds(*conditions) -> int:
        return session.exec(select(func.count()).select_from(Feed).where(*conditions)).one()

    return ArchiveStats(
        items_total=session.exec(select(func.count()).select_from(Item)).one(),
        items_per_day=[(d, per_day.get(d, 0)) for d in days],
        matches_per_incident=per_incident(),
        recent_matches_per_incident=per_incident(Item.published_at >= since),
        feeds_active=feeds(Feed.status == "active"),
        feeds_disabled=feeds(Feed.status == "disabled"),
        feeds_failing=feeds(Feed.status == "active", Feed.consecutive_errors > 0),
    )
