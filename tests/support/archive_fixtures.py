"""Rows for archive tests: outlets, feeds, items and their incident matches, inserted with the models."""

import hashlib
from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, select

from storage.models import Feed, Incident, Item, ItemIncident, Outlet


def add_outlet(
    session: Session,
    slug: str,
    name: str | None = None,
    side: str = "russia",
    languages: Iterable[str] = ("ru",),
) -> Outlet:
    outlet = session.exec(select(Outlet).where(Outlet.slug == slug)).first()
    if outlet is None:
        outlet = Outlet(slug=slug, name=name or slug.title(), side=side, languages=list(languages))
        session.add(outlet)
        session.flush()
    return outlet


def add_feed(session: Session, outlet: Outlet, url: str | None = None, **fields) -> Feed:
    feed = Feed(outlet_id=outlet.id, url=url or f"https://{outlet.slug}.example/rss", **fields)
    session.add(feed)
    session.flush()
    return feed


def add_incident(session: Session, incident_id: str, title: str | None = None) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None:
        name = title or incident_id
        incident = Incident(id=incident_id, title={"en": name, "ru": name, "az": name}, summary={})
        session.add(incident)
        session.flush()
    return incident


def add_item(
    session: Session,
    feed: Feed,
    title: str,
    published_at: datetime,
    *,
    summary: str = "",
    url: str | None = None,
    language: str | None = None,
    incidents: Iterable[str] = (),
    explanation: list[dict] | None = None,
) -> Item:
    """An item of `feed`, tagged with `incidents` (created on the fly when unknown)."""
    key = hashlib.sha1(f"{feed.id}:{title}:{published_at.isoformat()}:{url}".encode()).hexdigest()
    item = Item(
        feed_id=feed.id,
        outlet_id=feed.outlet_id,
        entry_key=key,
        url=url,
        title=title,
        summary=summary,
        language=language or feed.language,
        content_hash=key,
        published_at=published_at,
    )
    session.add(item)
    session.flush()
    for rank, incident_id in enumerate(incidents):
        add_incident(session, incident_id)
        session.add(
            ItemIncident(
                item_id=item.id,
                incident_id=incident_id,
                score=1.0 - rank / 10,
                explanation=explanation or [],
                matched_at=published_at,
            )
        )
    session.flush()
    return item
