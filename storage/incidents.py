"""Incidents of the taxonomy, mirrored from the seeds so matches can reference them."""

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, select

from storage.models import Incident
from storage.outlets import SyncCounts
from storage.sync import apply_changes


@dataclass(frozen=True)
class IncidentSpec:
    id: str
    title: dict[str, str]
    summary: dict[str, str]
    date_start: date | None = None
    date_end: date | None = None
    aliases: list[str] = field(default_factory=list)


def sync_incidents(session: Session, specs: list[IncidentSpec]) -> SyncCounts:
    counts = SyncCounts()
    existing = {incident.id: incident for incident in session.exec(select(Incident))}
    for position, spec in enumerate(specs):
        values = {
            "title": dict(spec.title),
            "summary": dict(spec.summary),
            "date_start": spec.date_start,
            "date_end": spec.date_end,
            "aliases": list(spec.aliases),
            "position": position,
        }
        incident = existing.get(spec.id)
        if incident is None:
            session.add(Incident(id=spec.id, **values))
            counts.add(True, True)
        else:
            counts.add(False, apply_changes(incident, values))
    return counts


def list_incidents(session: Session) -> list[Incident]:
    return list(session.exec(select(Incident).order_by(Incident.position)))
