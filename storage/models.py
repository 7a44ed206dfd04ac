"""The schema: one SQLModel class per table.

Alembic migrations create these tables; `tests/test_migrations.py` proves the two agree.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.columns import UTCDateTime, utcnow


def _utc(**kwargs: Any) -> Any:
    """A required or optional aware-UTC timestamp column."""
    index = kwargs.pop("index", False)
    nullable = kwargs.pop("nullable", True)
    return Field(sa_type=UTCDateTime, sa_column_kwargs={"nullable": nullable}, index=index, **kwargs)


def _json(default_factory: Any = list) -> Any:
    return Field(default_factory=default_factory, sa_type=JSON, sa_column_kwargs={"nullable": False})


class Outlet(SQLModel, table=True):
    __tablename__ = "outlets"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    country: str | None = Field(default=None, max_length=2)
    side: str = Field(max_length=16, index=True)  # russia / azerbaijan / international
    languages: list[str] = _json()
    homepage: str | None = Field(default=None, max_length=500)
    cited_in_seed: bool = False
    status: list[dict] = _json()  # blocked / suspended notes from the knowledge base
    updated_at: datetime = _utc(default_factory=utcnow, nullable=False)


class Feed(SQLModel, table=True):
    __tablename__ = "feeds"

    id: int | None = Field(default=None, primary_key=True)
    outlet_id: int = Field(foreign_key="outlets.id", index=True)
    url: str = Field(max_length=2000, unique=True)
    language: str | None = Field(default=None, max_length=8)
    verified: bool = False
    origin: str = Field(default="seed", max_length=16)  # seed / admin / cli
    status: str = Field(default="active", max_length=16, index=True)  # active / disabled
    disabled_reason: str | None = Field(default=None, max_length=500)
    # HTTP validators, stored exactly as received and sent back on the next request.
    etag: str | None = Field(default=None, max_length=500)
    last_modified: str | None = Field(default=None, max_length=100)
    content_hash: str | None = Field(default=None, max_length=64)
    # Scheduling state.
    next_check_at: datetime = _utc(default_factory=utcnow, nullable=False, index=True)
    check_interval_s: int = 900
    min_interval_s: int = 0  # from the feed's <ttl>, Cache-Control, Expires or Retry-After
    last_checked_at: datetime | None = _utc(default=None)
    last_success_at: datetime | None = _utc(default=None)
    last_new_item_at: datetime | None = _utc(default=None)
    consecutive_errors: int = 0
    first_error_at: datetime | None = _utc(default=None)
    last_error: str | None = Field(default=None, max_length=1000)
    last_status_code: int | None = None
    # Lease: which worker holds the feed until when (several workers share one PostgreSQL).
    lease_owner: str | None = Field(default=None, max_length=100)
    lease_expires_at: datetime | None = _utc(default=None)
    created_at: datetime = _utc(default_factory=utcnow, nullable=False)


class Story(SQLModel, table=True):
    """A cluster of items about the same story across outlets."""

    __tablename__ = "stories"

    id: int | None = Field(default=None, primary_key=True)
    language: str | None = Field(default=None, max_length=8)
    title: str = Field(max_length=1000)
    signature: list[int] = _json()  # MinHash of the lead item, for near-duplicate lookups
    first_seen_at: datetime = _utc(default_factory=utcnow, nullable=False, index=True)
    last_seen_at: datetime = _utc(default_factory=utcnow, nullable=False)
    item_count: int = 0
    outlet_count: int = 0


class Item(SQLModel, table=True):
    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("feed_id", "entry_key", name="uq_items_feed_entry"),)

    id: int | None = Field(default=None, primary_key=True)
    feed_id: int = Field(foreign_key="feeds.id", index=True)
    outlet_id: int = Field(foreign_key="outlets.id", index=True)
    entry_key: str = Field(max_length=128)
    guid: str | None = Field(default=None, max_length=2000)
    url: str | None = Field(default=None, max_length=2000)
    canonical_url: str | None = Field(default=None, max_length=2000, index=True)
    title: str = Field(default="", max_length=2000)
    summary: str = Field(default="")
    language: str | None = Field(default=None, max_length=8)
    content_hash: str = Field(max_length=64)
    published_at: datetime = _utc(nullable=False, index=True)
    fetched_at: datetime = _utc(default_factory=utcnow, nullable=False)
    updated_at: datetime = _utc(default_factory=utcnow, nullable=False)
    story_id: int | None = Field(default=None, foreign_key="stories.id", index=True)


class Incident(SQLModel, table=True):
    __tablename__ = "incidents"

    id: str = Field(primary_key=True, max_length=64)
    title: dict = _json(dict)  # {"en": ..., "ru": ..., "az": ...}
    summary: dict = _json(dict)
    date_start: date | None = None
    date_end: date | None = None
    aliases: list[str] = _json()
    position: int = 0  # display order from the seeds


class ItemIncident(SQLModel, table=True):
    """An item tagged with an incident, with the matcher's explanation."""

    __tablename__ = "item_incidents"
    __table_args__ = (Index("ix_item_incidents_incident_matched", "incident_id", "matched_at"),)

    item_id: int = Field(foreign_key="items.id", primary_key=True, ondelete="CASCADE")
    incident_id: str = Field(foreign_key="incidents.id", primary_key=True, max_length=64)
    score: float = 0.0
    explanation: list[dict] = _json()
    matched_at: datetime = _utc(default_factory=utcnow, nullable=False)


class Subscriber(SQLModel, table=True):
    __tablename__ = "subscribers"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=BigInteger, unique=True)
    user_id: int | None = Field(default=None, sa_type=BigInteger)
    language: str = Field(default="en", max_length=8)
    language_chosen: bool = False  # False: follow the Telegram client's language
    timezone: str = Field(default="Asia/Baku", max_length=64)
    digest_time: str = Field(default="09:00", max_length=5)  # HH:MM local time
    incidents: list[str] = _json()  # empty: every incident
    subscribed: bool = False  # wants the daily digest
    active: bool = True  # False once the chat blocked the bot or vanished
    alerts_enabled: bool = False
    chart_enabled: bool = False
    quiet_digest: bool = True  # send a one-line digest on days without coverage
    last_digest_at: datetime | None = _utc(default=None)
    created_at: datetime = _utc(default_factory=utcnow, nullable=False)
    updated_at: datetime = _utc(default_factory=utcnow, nullable=False)


class Broadcast(SQLModel, table=True):
    """An admin broadcast; its deliveries reference it so a restart can resume it."""

    __tablename__ = "broadcasts"

    id: int | None = Field(default=None, primary_key=True)
    text: str
    created_by: int = Field(sa_type=BigInteger)
    created_at: datetime = _utc(default_factory=utcnow, nullable=False)


class Delivery(SQLModel, table=True):
    """One message owed to one subscriber: claimed before sending, marked sent after."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "kind", "period_key", name="uq_deliveries_subscriber_period"),
        Index("ix_deliveries_status_kind", "status", "kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int = Field(foreign_key="subscribers.id", index=True)
    kind: str = Field(max_length=16)  # digest / alert / broadcast
    period_key: str = Field(max_length=100)  # e.g. the local date of a digest
    status: str = Field(default="pending", max_length=16)  # pending / sending / sent / failed / skipped
    payload: dict = _json(dict)
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_at: datetime | None = _utc(default=None)
    sent_at: datetime | None = _utc(default=None)
    error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = _utc(default_factory=utcnow, nullable=False)


class FetchEvent(SQLModel, table=True):
    __tablename__ = "fetch_events"

    id: int | None = Field(default=None, primary_key=True)
    feed_id: int = Field(foreign_key="feeds.id", index=True, ondelete="CASCADE")
    started_at: datetime = _utc(default_factory=utcnow, nullable=False, index=True)
    duration_ms: int = 0
    status_code: int | None = None
    bytes_received: int = 0
    outcome: str = Field(max_length=16)  # ok / not_modified / unchanged / error
    error: str | None = Field(default=None, max_length=1000)
    new_items: int = 0
    worker: str | None = Field(default=None, max_length=100)
