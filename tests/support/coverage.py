"""Test data for the delivery side: outlets, incidents, items and their matches, inserted directly.

Until the ingestion pipeline lands, this is how tests and benchmarks get coverage into a database.
"""

import hashlib
import itertools
from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session

from storage.models import Feed, Incident, Item, ItemIncident, Outlet, Story, Subscriber

_counter = itertools.count(1)


class Coverage:
    """Adds rows through one session; call `session.commit()` (or use session_scope) to keep them."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._feeds: dict[int, int] = {}

    def incident(self, incident_id: str, en: str, ru: str | None = None, az: str | None = None) -> Incident:
        position = next(_counter)
        incident = Incident(
            id=incident_id, title={"en": en, "ru": ru or en, "az": az or en}, position=position
        )
        self.session.add(incident)
        self.session.flush()
        return incident

    def outlet(
        self, slug: str, side: str, name: str | None = None, languages: Iterable[str] = ("ru",)
    ) -> Outlet:
        outlet = Outlet(
            slug=slug,
            name=name or slug.replace("-", " ").title(),
            side=side,
            languages=list(languages),
            homepage=f"https://{slug}.example",
        )
        self.session.add(outlet)
        self.session.flush()
        feed = Feed(outlet_id=outlet.id, url=f"https://{slug}.example/rss")
        self.session.add(feed)
        self.session.flush()
        self._feeds[outlet.id] = feed.id
        return outlet

    def item(
        self,
        outlet: Outlet,
        title: str,
        *,
        fetched_at: datetime,
        published_at: datetime | None = None,
        summary: str = "",
        language: str | None = "ru",
        url: str | None = None,
        incidents: Iterable[str] = (),
        story: Story | None = None,
    ) -> Item:
        number = next(_counter)
        item = Item(
            feed_id=self._feeds[outlet.id],
            outlet_id=outlet.id,
            entry_key=f"k{number}",
            url=url if url is not None else f"https://{outlet.slug}.example/news/{number}",
            title=title,
            summary=summary,
            language=language,
            content_hash=hashlib.sha256(f"{number}{title}".encode()).hexdigest(),
            published_at=published_at or fetched_at,
            fetched_at=fetched_at,
            updated_at=fetched_at,
            story_id=story.id if story else None,
        )
        self.session.add(item)
        self.session.flush()
        for incident_id in incidents:
            self.session.add(ItemIncident(item_id=item.id, incident_id=incident_id, matched_at=fetched_at))
        if story is not None:
            story.item_count += 1
            story.last_seen_at = max(story.last_seen_at, fetched_at)
            story.first_seen_at = min(story.first_seen_at, fetched_at)
        self.session.flush()
        return item

    def story(self, title: str, first_seen_at: datetime, language: str | None = "ru") -> Story:
        story = Story(language=language, title=title, first_seen_at=first_seen_at, last_seen_at=first_seen_at)
        self.session.add(story)
        self.session.flush()
        return story

    def subscriber(self, chat_id: int, **fields) -> Subscriber:
        values = {"subscribed": True, "language": "en", "timezone": "UTC", "digest_time": "09:00", **fields}
        subscriber = Subscriber(chat_id=chat_id, user_id=chat_id, **values)
        self.session.add(subscriber)
        self.session.flush()
        return subscriber
