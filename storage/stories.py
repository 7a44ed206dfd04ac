"""Stories: items about the same story across outlets, kept together with their first-seen time.

The grouping decision is the caller's (`feeds.stories.StoryGrouper` fits the `Grouper` protocol);
this module loads the candidate stories of the time window and records the result.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import distinct, func, select
from sqlmodel import Session

from storage.models import Item, ItemIncident, Outlet, Story

# A story whose first item is older than this is never a candidate, however recently it grew:
# it bounds the scan on the indexed first_seen_at column.
MAX_STORY_AGE = timedelta(days=14)
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class StoryCandidate:
    story_id: int
    language: str | None
    signature: list[int]
    incident_ids: frozenset[str]
    last_seen_at: datetime


class Grouper(Protocol):
    @property
    def window(self) -> timedelta: ...

    def signature(self, title: str, summary: str, language: str | None) -> list[int]: ...

    def pick(
        self,
        signature: Sequence[int],
        language: str | None,
        incident_ids: frozenset[str],
        candidates: Sequence[StoryCandidate],
    ) -> int | None: ...


@dataclass(frozen=True, slots=True)
class StoryOutlet:
    outlet_id: int
    name: str
    side: str
    first_item_at: datetime


def item_seen_at(item: Item) -> datetime:
    """When an item's story happened: its publication time, but never after we fetched it."""
    return min(item.published_at, item.fetched_at)


def story_candidates(
    session: Session, around: datetime, window: timedelta, *, with_incidents: bool = True
) -> list[StoryCandidate]:
    """Stories with an item within `window` of `around`, newest first."""
    rows = session.execute(
        select(Story.id, Story.language, Story.signature, Story.last_seen_at)
        .where(
            Story.first_seen_at >= around - MAX_STORY_AGE,
            Story.first_seen_at <= around + window,
            Story.last_seen_at >= around - window,
        )
        .order_by(Story.last_seen_at.desc())
    ).all()
    incidents = story_incidents(session, [row.id for row in rows]) if with_incidents else {}
    return [
        StoryCandidate(
            row.id, row.language, list(row.signature), incidents.get(row.id, frozenset()), row.last_seen_at
        )
        for row in rows
    ]


def story_incidents(session: Session, story_ids: Sequence[int]) -> dict[int, frozenset[str]]:
    """The incidents any item of each story was matched to."""
    found: dict[int, set[str]] = {}
    for start in range(0, len(story_ids), _CHUNK):
        pairs = session.execute(
            select(Item.story_id, ItemIncident.incident_id)
            .join(ItemIncident, ItemIncident.item_id == Item.id)
            .where(Item.story_id.in_(story_ids[start : start + _CHUNK]))
            .distinct()
        )
        for story_id, incident_id in pairs:
            found.setdefault(story_id, set()).add(incident_id)
    return {story_id: frozenset(ids) for story_id, ids in found.items()}


def assign_story(
    session: Session, item: Item, grouper: Grouper, incident_ids: Iterable[str] | None = None
) -> Story:
    """Put a stored item into an existing story or a new one; an item already in a story stays.

    `incident_ids`: the item's matches when the caller has them at hand (else they are read).
    """
    if item.story_id is not None:
        return session.get_one(Story, item.story_id)
    if item.id is None:
        session.flush()
    if incident_ids is None:
        incident_ids = session.scalars(
            select(ItemIncident.incident_id).where(ItemIncident.item_id == item.id)
        )
    incidents = frozenset(incident_ids)
    seen = item_seen_at(item)
    signature = grouper.signature(item.title, item.summary, item.language)
    candidates = story_candidates(session, seen, grouper.window, with_incidents=bool(incidents))
    chosen = grouper.pick(signature, item.language, incidents, candidates)
    if chosen is None:
        story = Story(
            language=item.language,
            title=item.title,
            signature=signature,
            first_seen_at=seen,
            last_seen_at=seen,
            item_count=1,
            outlet_count=1,
        )
        session.add(story)
        session.flush()
        item.story_id = story.id
        session.add(item)
        return story
    story = session.get_one(Story, chosen)
    item.story_id = story.id
    session.add(item)
    session.flush()
    story.first_seen_at = min(story.first_seen_at, seen)
    story.last_seen_at = max(story.last_seen_at, seen)
    story.item_count += 1
    story.outlet_count = session.scalar(
        select(func.count(distinct(Item.outlet_id))).where(Item.story_id == story.id)
    )
    return story


def story_outlets(session: Session, story_id: int) -> list[StoryOutlet]:
    """The outlets that carried a story, first carrier first, with their side."""
    rows = session.execute(
        select(Outlet.id, Outlet.name, Outlet.side, func.min(Item.fetched_at))
        .join(Item, Item.outlet_id == Outlet.id)
        .where(Item.story_id == story_id)
        .group_by(Outlet.id, Outlet.name, Outlet.side)
        .order_by(func.min(Item.fetched_at), Outlet.id)
    )
    return [StoryOutlet(*row) for row in rows]


def items_without_story(session: Session, limit: int) -> list[Item]:
    """The oldest items not grouped yet, in the order they were stored."""
    statement = select(Item).where(Item.story_id.is_(None)).order_by(Item.fetched_at, Item.id).limit(limit)
    return list(session.scalars(statement))


def count_stories(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Story))
