"""Outlets and their seed feeds."""

from dataclasses import dataclass, field

from sqlmodel import Session, select

from storage.columns import utcnow
from storage.models import Feed, Outlet
from storage.sync import apply_changes


@dataclass(frozen=True)
class FeedSpec:
    url: str
    language: str | None = None
    verified: bool = False


@dataclass(frozen=True)
class OutletSpec:
    slug: str
    name: str
    side: str
    country: str | None = None
    languages: list[str] = field(default_factory=list)
    homepage: str | None = None
    cited_in_seed: bool = False
    status: list[dict] = field(default_factory=list)
    feeds: list[FeedSpec] = field(default_factory=list)


@dataclass
class SyncCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, created: bool, changed: bool) -> None:
        if created:
            self.created += 1
        elif changed:
            self.updated += 1
        else:
            self.unchanged += 1


def sync_outlets(session: Session, specs: list[OutletSpec]) -> tuple[SyncCounts, SyncCounts]:
    """Create or update outlets and their seed feeds; returns (outlet counts, feed counts).

    Feeds are only ever added here: a feed an admin disabled, or one the poller moved after a
    permanent redirect, keeps its state when the seeds are loaded again.
    """
    outlet_counts, feed_counts = SyncCounts(), SyncCounts()
    existing = {outlet.slug: outlet for outlet in session.exec(select(Outlet))}
    known_urls = set(session.exec(select(Feed.url)))
    for spec in specs:
        values = {
            "name": spec.name,
            "side": spec.side,
            "country": spec.country,
            "languages": list(spec.languages),
            "homepage": spec.homepage,
            "cited_in_seed": spec.cited_in_seed,
            "status": list(spec.status),
        }
        outlet = existing.get(spec.slug)
        created = outlet is None
        if outlet is None:
            outlet = Outlet(slug=spec.slug, **values)
            session.add(outlet)
            changed = True
        else:
            changed = apply_changes(outlet, values)
            if changed:
                outlet.updated_at = utcnow()
        outlet_counts.add(created, changed)
        session.flush()
        for feed in spec.feeds:
            if feed.url in known_urls:
                feed_counts.add(False, False)
                continue
            session.add(
                Feed(outlet_id=outlet.id, url=feed.url, language=feed.language, verified=feed.verified)
            )
            known_urls.add(feed.url)
            feed_counts.add(True, True)
    return outlet_counts, feed_counts


def list_outlets(session: Session) -> list[tuple[Outlet, list[Feed]]]:
    outlets = session.exec(select(Outlet).order_by(Outlet.side, Outlet.slug)).all()
    feeds_by_outlet: dict[int, list[Feed]] = {}
    for feed in session.exec(select(Feed).order_by(Feed.id)):
        feeds_by_outlet.setdefault(feed.outlet_id, []).append(feed)
    return [(outlet, feeds_by_outlet.get(outlet.id, [])) for outlet in outlets]


def get_outlet_by_slug(session: Session, slug: str) -> Outlet | None:
    return session.exec(select(Outlet).where(Outlet.slug == slug)).first()
