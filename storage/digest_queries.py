"""Read-only queries behind digests, trend charts and spike alerts.

Two clocks matter: a digest shows what *we* learned in its window (`items.fetched_at`, never
changed by later edits, so an item appears in exactly one digest), while charts and spike
statistics count when things were *published* (clamped to when we fetched them), so a feed added
today with a month of old entries does not look like a surge.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session

from storage.models import Incident, Item, ItemIncident, Outlet, Story

# An item published this long before a digest window opens is a backfill, not news.
STALE_AFTER = timedelta(hours=48)
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class CoverageRow:
    item_id: int
    incident_id: str
    story_id: int | None
    outlet_id: int
    title: str
    url: str | None
    language: str | None
    fetched_at: datetime
    published_at: datetime


@dataclass(frozen=True, slots=True)
class StoryMember:
    story_id: int
    item_id: int
    outlet_id: int
    title: str
    url: str | None
    language: str | None
    fetched_at: datetime


@dataclass(frozen=True, slots=True)
class StoryInfo:
    id: int
    title: str
    language: str | None
    first_seen_at: datetime


@dataclass(frozen=True, slots=True)
class OutletInfo:
    id: int
    name: str
    side: str
    homepage: str | None


@dataclass(frozen=True, slots=True)
class IncidentInfo:
    id: str
    title: dict[str, str]
    position: int

    def title_in(self, language: str) -> str:
        return self.title.get(language) or self.title.get("en") or self.id


def _incident_filter(query, incident_ids: Collection[str] | None):
    return query if incident_ids is None else query.where(ItemIncident.incident_id.in_(list(incident_ids)))


def coverage(
    session: Session, since: datetime, until: datetime, incident_ids: Collection[str] | None = None
) -> list[CoverageRow]:
    """Every (item, incident) match of the items fetched in [since, until), fresh ones only."""
    query = (
        select(
            Item.id,
            ItemIncident.incident_id,
            Item.story_id,
            Item.outlet_id,
            Item.title,
            Item.url,
            Item.language,
            Item.fetched_at,
            Item.published_at,
        )
        .join(ItemIncident, ItemIncident.item_id == Item.id)
        .where(
            ItemIncident.matched_at >= since,  # matching follows fetching: lets the index narrow first
            Item.fetched_at >= since,
            Item.fetched_at < until,
            Item.published_at >= since - STALE_AFTER,
        )
        .order_by(Item.fetched_at, Item.id)
    )
    return [CoverageRow(*row) for row in session.execute(_incident_filter(query, incident_ids))]


def story_members(session: Session, story_ids: Sequence[int], until: datetime) -> list[StoryMember]:
    """The items of these stories fetched before `until`, oldest first."""
    members: list[StoryMember] = []
    for start in range(0, len(story_ids), _CHUNK):
        rows = session.execute(
            select(
                Item.story_id, Item.id, Item.outlet_id, Item.title, Item.url, Item.language, Item.fetched_at
            )
            .where(Item.story_id.in_(story_ids[start : start + _CHUNK]), Item.fetched_at < until)
            .order_by(Item.fetched_at, Item.id)
        )
        members.extend(StoryMember(*row) for row in rows)
    members.sort(key=lambda member: (member.fetched_at, member.item_id))
    return members


def stories_by_id(session: Session, story_ids: Sequence[int]) -> dict[int, StoryInfo]:
    found: dict[int, StoryInfo] = {}
    for start in range(0, len(story_ids), _CHUNK):
        rows = session.execute(
            select(Story.id, Story.title, Story.language, Story.first_seen_at).where(
                Story.id.in_(story_ids[start : start + _CHUNK])
            )
        )
        found.update({row[0]: StoryInfo(*row) for row in rows})
    return found


def new_stories(session: Session, since: datetime) -> list[StoryInfo]:
    """Stories first seen at or after `since`."""
    rows = session.execute(
        select(Story.id, Story.title, Story.language, Story.first_seen_at)
        .where(Story.first_seen_at >= since)
        .order_by(Story.first_seen_at)
    )
    return [StoryInfo(*row) for row in rows]


def outlet_directory(session: Session) -> dict[int, OutletInfo]:
    rows = session.execute(select(Outlet.id, Outlet.name, Outlet.side, Outlet.homepage))
    return {row[0]: OutletInfo(*row) for row in rows}


def incident_directory(session: Session) -> list[IncidentInfo]:
    """Every incident in display order."""
    rows = session.execute(select(Incident.id, Incident.title, Incident.position).order_by(Incident.position))
    return [IncidentInfo(row[0], dict(row[1] or {}), row[2]) for row in rows]


def match_times(
    session: Session, since: datetime, until: datetime, incident_ids: Collection[str] | None = None
) -> list[tuple[str, datetime]]:
    """(incident, when) for every match published in [since, until); `when` is clamped to the fetch time."""
    query = (
        select(ItemIncident.incident_id, Item.published_at, Item.fetched_at)
        .join(ItemIncident, ItemIncident.item_id == Item.id)
        .where(Item.published_at >= since, Item.published_at < until + timedelta(days=1))
    )
    times = []
    for incident_id, published_at, fetched_at in session.execute(_incident_filter(query, incident_ids)):
        when = min(published_at, fetched_at)
        if since <= when < until:
            times.append((incident_id, when))
    return times
