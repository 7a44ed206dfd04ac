"""An item's incident matches, as the matcher explained them."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, delete, insert, select
from sqlmodel import Session

from storage.models import ItemIncident


@dataclass(frozen=True, slots=True)
class MatchRecord:
    incident_id: str
    score: float
    explanation: list[dict] = field(default_factory=list)


_MATCHES = ItemIncident.__table__
_DELETE = delete(_MATCHES).where(_MATCHES.c.item_id.in_(bindparam("item_ids", expanding=True)))


def save_matches(session: Session, matches: Mapping[int, Sequence[MatchRecord]], now: datetime) -> int:
    """Replace the matches of each item in `matches` (an item re-matched after an edit loses stale
    ones); returns the number of rows written."""
    if not matches:
        return 0
    session.execute(_DELETE, {"item_ids": list(matches)})
    return add_matches(session, matches, now)


def add_matches(session: Session, matches: Mapping[int, Sequence[MatchRecord]], now: datetime) -> int:
    """The matches of items that have none yet (new ones): no stale rows to look for."""
    rows = [
        {
            "item_id": item_id,
            "incident_id": match.incident_id,
            "score": match.score,
            "explanation": list(match.explanation),
            "matched_at": now,
        }
        for item_id, records in matches.items()
        for match in {record.incident_id: record for record in records}.values()
    ]
    if rows:
        session.execute(insert(_MATCHES), rows)
    return len(rows)


def item_matches(session: Session, item_id: int) -> list[ItemIncident]:
    statement = select(ItemIncident).where(ItemIncident.item_id == item_id).order_by(ItemIncident.incident_id)
    return list(session.execute(statement).scalars())
