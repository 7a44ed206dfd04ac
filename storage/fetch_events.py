"""One row per fetch attempt, kept 30 days: what the health view and debugging look at."""

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlmodel import Session

from storage.models import FetchEvent

RETENTION = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class FetchEventRecord:
    feed_id: int
    started_at: datetime
    duration_ms: int
    status_code: int | None
    bytes_received: int
    outcome: str  # ok / not_modified / unchanged / error
    error: str | None = None
    new_items: int = 0
    worker: str | None = None


# Rows are built field by field: `asdict` deep-copies every value, a cost paid per feed per cycle.
_EVENT_FIELDS = tuple(field.name for field in fields(FetchEventRecord))


def record_fetch_events(session: Session, events: Sequence[FetchEventRecord]) -> None:
    if events:
        rows = [{name: getattr(event, name) for name in _EVENT_FIELDS} for event in events]
        session.execute(insert(FetchEvent.__table__), rows)


def prune_fetch_events(session: Session, now: datetime, keep: timedelta = RETENTION) -> int:
    return session.execute(delete(FetchEvent).where(FetchEvent.started_at < now - keep)).rowcount


def recent_fetch_events(session: Session, feed_id: int, limit: int = 20) -> list[FetchEvent]:
    statement = (
        select(FetchEvent)
        .where(FetchEvent.feed_id == feed_id)
        .order_by(FetchEvent.started_at.desc(), FetchEvent.id.desc())
        .limit(limit)
    )
    return list(session.execute(statement).scalars())
