"""Outlets and feeds in a test database, and a clock tests move by hand."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from storage.models import Feed, Outlet
from storage.session import session_scope

START = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)


@dataclass
class FakeClock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def add_feeds(
    engine: Engine,
    urls: list[str],
    *,
    outlet: str = "test-outlet",
    languages: tuple[str, ...] = ("ru",),
    due_at: datetime = START,
    one_outlet: bool = False,
) -> list[int]:
    """Active feeds, all due at `due_at`, each of its own outlet (`outlet`, `outlet-2`, …) unless
    `one_outlet`; returns the feed ids. Feeds of one outlet store a shared article once."""
    with session_scope(engine) as session:
        outlets = []
        for n in range(1 if one_outlet else len(urls)):
            slug = outlet if n == 0 else f"{outlet}-{n + 1}"
            outlets.append(Outlet(slug=slug, name=slug.title(), side="russia", languages=list(languages)))
        session.add_all(outlets)
        session.flush()
        feeds = [
            Feed(outlet_id=outlets[0 if one_outlet else n].id, url=url, next_check_at=due_at)
            for n, url in enumerate(urls)
        ]
        session.add_all(feeds)
        session.flush()
        return [feed.id for feed in feeds]


def load_feed(engine: Engine, feed_id: int) -> Feed:
    with session_scope(engine) as session:
        return session.get(Feed, feed_id)
