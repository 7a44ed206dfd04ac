"""Feeds as the poller sees them: claiming due feeds under a lease, recording each check, health."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlmodel import Session

from storage.engine import is_postgres
from storage.models import Feed, Outlet

ACTIVE = "active"
DISABLED = "disabled"


class FeedError(Exception):
    """A feed operation that cannot be done as asked (duplicate URL, unknown id)."""


@dataclass(frozen=True)
class DueFeed:
    """A claimed feed with what the pipeline needs from its outlet."""

    feed: Feed
    outlet_slug: str
    outlet_languages: list[str]


@dataclass(frozen=True)
class FeedCheck:
    """A feed's state after one fetch, written as given (the pipeline decided every value)."""

    checked_at: datetime
    next_check_at: datetime
    check_interval_s: int
    min_interval_s: int
    status_code: int | None
    consecutive_errors: int
    first_error_at: datetime | None
    last_error: str | None
    succeeded: bool
    etag: str | None
    last_modified: str | None
    content_hash: str | None
    had_new_items: bool = False
    moved_to: str | None = None  # the target of a chain of permanent redirects
    disabled_reason: str | None = None


def claim_due_feeds(
    session: Session,
    *,
    owner: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    feed_ids: list[int] | None = None,
) -> list[DueFeed]:
    """Lease up to `limit` active feeds, oldest due first, that no live lease holds.

    With `feed_ids`, those feeds are claimed whether due or not. On PostgreSQL the rows are locked
    with SKIP LOCKED while the lease is written, so concurrent workers never claim the same feed;
    an expired lease (a worker that crashed) is simply claimed again.
    """
    free = or_(Feed.lease_expires_at.is_(None), Feed.lease_expires_at < now)
    statement = select(Feed.id).where(Feed.status == ACTIVE, free)
    if feed_ids is None:
        statement = statement.where(Feed.next_check_at <= now)
    else:
        statement = statement.where(Feed.id.in_(feed_ids))
    statement = statement.order_by(Feed.next_check_at, Feed.id).limit(limit)
    if is_postgres(session.get_bind()):
        statement = statement.with_for_update(skip_locked=True)
    ids = list(session.execute(statement).scalars())
    if not ids:
        return []
    session.execute(
        update(Feed).where(Feed.id.in_(ids)).values(lease_owner=owner, lease_expires_at=now + lease)
    )
    rows = session.execute(
        select(Feed, Outlet.slug, Outlet.languages)
        .join(Outlet, Outlet.id == Feed.outlet_id)
        .where(Feed.id.in_(ids))
        .order_by(Feed.next_check_at, Feed.id)
        .execution_options(populate_existing=True)
    )
    claimed = []
    for feed, slug, languages in rows:
        session.expunge(feed)
        claimed.append(DueFeed(feed, slug, list(languages or [])))
    return claimed


# Hot path (every feed, every cycle): one UPDATE built once. Columns a check only sometimes changes
# keep their value when given NULL, so the statement never varies and compiles once.
_FEEDS = Feed.__table__
_ALWAYS_SET = (
    "last_checked_at",
    "next_check_at",
    "check_interval_s",
    "min_interval_s",
    "last_status_code",
    "consecutive_errors",
    "first_error_at",
    "last_error",
    "etag",
    "last_modified",
    "content_hash",
)
_SET_WHEN_GIVEN = ("last_success_at", "last_new_item_at", "status", "disabled_reason", "url")
_SAVE_CHECK = (
    update(_FEEDS)
    .where(_FEEDS.c.id == bindparam("feed_id"), _FEEDS.c.lease_owner == bindparam("owner"))
    .values(
        {name: bindparam(f"new_{name}", type_=_FEEDS.c[name].type) for name in _ALWAYS_SET}
        | {
            name: func.coalesce(bindparam(f"new_{name}", type_=_FEEDS.c[name].type), _FEEDS.c[name])
            for name in _SET_WHEN_GIVEN
        }
        | {"lease_owner": None, "lease_expires_at": None}
    )
)


def save_feed_check(session: Session, feed_id: int, owner: str, check: FeedCheck) -> bool:
    """Record a check and release the lease; False when the lease was lost (another worker's now)."""
    moved = check.moved_to and not _url_taken(session, check.moved_to, feed_id)
    values = {
        "last_checked_at": check.checked_at,
        "next_check_at": check.next_check_at,
        "check_interval_s": check.check_interval_s,
        "min_interval_s": check.min_interval_s,
        "last_status_code": check.status_code,
        "consecutive_errors": check.consecutive_errors,
        "first_error_at": check.first_error_at,
        "last_error": check.last_error[:1000] if check.last_error else None,
        "etag": check.etag[:500] if check.etag else None,
        "last_modified": check.last_modified[:100] if check.last_modified else None,
        "content_hash": check.content_hash,
        "last_success_at": check.checked_at if check.succeeded else None,
        "last_new_item_at": check.checked_at if check.had_new_items else None,
        "status": DISABLED if check.disabled_reason else None,
        "disabled_reason": check.disabled_reason[:500] if check.disabled_reason else None,
        "url": check.moved_to if moved else None,
    }
    parameters = {"feed_id": feed_id, "owner": owner} | {
        f"new_{name}": value for name, value in values.items()
    }
    return session.execute(_SAVE_CHECK, parameters).rowcount == 1


def release_leases(session: Session, owner: str) -> int:
    """Give back every lease `owner` holds (a worker shutting down), so others need not wait."""
    statement = update(Feed).where(Feed.lease_owner == owner).values(lease_owner=None, lease_expires_at=None)
    return session.execute(statement).rowcount


def _url_taken(session: Session, url: str, feed_id: int | None = None) -> bool:
    statement = select(Feed.id).where(Feed.url == url)
    if feed_id is not None:
        statement = statement.where(Feed.id != feed_id)
    return session.execute(statement.limit(1)).first() is not None


def add_feed(
    session: Session, url: str, outlet_id: int, language: str | None = None, origin: str = "cli"
) -> Feed:
    if _url_taken(session, url):
        raise FeedError(f"a feed with URL {url} already exists")
    feed = Feed(url=url, outlet_id=outlet_id, language=language, origin=origin)
    session.add(feed)
    session.flush()
    return feed


def get_feed(session: Session, feed_id: int) -> Feed | None:
    return session.get(Feed, feed_id)


def set_feed_enabled(session: Session, feed_id: int, enabled: bool, now: datetime, reason: str = "") -> Feed:
    """Enable (due at once, error streak forgotten) or disable (with a reason) a feed."""
    feed = session.get(Feed, feed_id)
    if feed is None:
        raise FeedError(f"no feed with id {feed_id}")
    if enabled:
        feed.status, feed.disabled_reason = ACTIVE, None
        feed.consecutive_errors, feed.first_error_at, feed.next_check_at = 0, None, now
    else:
        feed.status, feed.disabled_reason = DISABLED, reason[:500] or "disabled by an admin"
    feed.lease_owner = feed.lease_expires_at = None
    return feed


@dataclass(frozen=True)
class FeedRow:
    feed: Feed
    outlet_slug: str


def list_feeds(session: Session) -> list[FeedRow]:
    statement = select(Feed, Outlet.slug).join(Outlet, Outlet.id == Feed.outlet_id)
    rows = session.execute(statement.order_by(Outlet.slug, Feed.id))
    return [FeedRow(feed, slug) for feed, slug in rows]


def due_feed_count(session: Session, now: datetime) -> int:
    free = or_(Feed.lease_expires_at.is_(None), Feed.lease_expires_at < now)
    statement = select(func.count()).where(and_(Feed.status == ACTIVE, Feed.next_check_at <= now, free))
    return session.execute(statement).scalar_one()
