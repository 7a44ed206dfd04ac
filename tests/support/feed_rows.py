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
) -> list[int]:
    """An outlet with one active feed per URL, all due at `due_at`; returns the feed ids."""
    with session_scope(engine) as session:
        row = Outlet(slug=outlet, name=outlet.title(), side="russia", languages=list(languages))
        session.add(row)
        session.flush()
        feeds = [Feed(outlet_id=row.id, url=url, next_check_at=due_at) for url in urls]
        session.add_all(feeds)
        session.flush()
        return [feed.id for feed in feeds]


def load_feed(engine: Engine, feed_id: int) -> Feed:
    with session_scope(engine) as session:
        return session.get(Feed, feed_id)
