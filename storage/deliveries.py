"""Deliveries: every message owed to a chat, planned once, claimed before sending, marked after.

One row per (subscriber, kind, period_key) — the unique key is what makes "once" hold across
planning runs and restarts. A row is `pending` when planned, `sending` while a sender holds it
(`claimed_by`, `claimed_at`: a lease), then `sent`, `failed` or `skipped`. A multi-message
delivery records its progress in `payload["sent_parts"]`, so a resumed delivery continues after
the last message Telegram accepted.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlmodel import Session

from storage.dialects import insert_ignoring_duplicates
from storage.models import Broadcast, Delivery, Subscriber

DIGEST, ALERT, BROADCAST = "digest", "alert", "broadcast"
PENDING, SENDING, SENT, FAILED, SKIPPED = "pending", "sending", "sent", "failed", "skipped"
_ERROR_MAX = 1000
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Recipient:
    """A subscriber as planning sees it."""

    subscriber_id: int
    chat_id: int
    language: str
    timezone: str
    digest_time: str
    incidents: tuple[str, ...]
    chart_enabled: bool
    quiet_digest: bool
    alerts_enabled: bool
    last_digest_at: datetime | None
    created_at: datetime


_RECIPIENT_COLUMNS = (
    Subscriber.id,
    Subscriber.chat_id,
    Subscriber.language,
    Subscriber.timezone,
    Subscriber.digest_time,
    Subscriber.incidents,
    Subscriber.chart_enabled,
    Subscriber.quiet_digest,
    Subscriber.alerts_enabled,
    Subscriber.last_digest_at,
    Subscriber.created_at,
)


def _recipient(row: Any) -> Recipient:
    return Recipient(
        row[0], row[1], row[2], row[3], row[4], tuple(row[5] or ()), row[6], row[7], row[8], row[9], row[10]
    )


def digest_recipients(session: Session, *, last_digest_before: datetime | None = None) -> list[Recipient]:
    """Subscribed, active chats; with `last_digest_before`, only those not served since then."""
    query = select(*_RECIPIENT_COLUMNS).where(Subscriber.subscribed, Subscriber.active)
    if last_digest_before is not None:
        query = query.where(
            or_(Subscriber.last_digest_at.is_(None), Subscriber.last_digest_at < last_digest_before)
        )
    return [_recipient(row) for row in session.execute(query.order_by(Subscriber.id))]


def alert_recipients(session: Session) -> list[Recipient]:
    """Subscribed, active chats that opted into spike alerts."""
    query = select(*_RECIPIENT_COLUMNS).where(
        Subscriber.subscribed, Subscriber.active, Subscriber.alerts_enabled
    )
    return [_recipient(row) for row in session.execute(query.order_by(Subscriber.id))]


def find_recipient(session: Session, user_id: int) -> Recipient | None:
    """A chat by its Telegram user id (or chat id: they are equal in private chats)."""
    query = select(*_RECIPIENT_COLUMNS).where(
        or_(Subscriber.user_id == user_id, Subscriber.chat_id == user_id)
    )
    row = session.execute(query.order_by(Subscriber.id).limit(1)).first()
    return _recipient(row) if row else None


# --- planning ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlannedDelivery:
    subscriber_id: int
    kind: str
    period_key: str
    payload: dict
    status: str = PENDING  # SKIPPED records a period that needs no message (a quiet day, by choice)


def plan_deliveries(session: Session, planned: Sequence[PlannedDelivery], now: datetime) -> list[int]:
    """Insert the rows not planned yet (the unique key drops the rest); returns their subscriber ids."""
    if not planned:
        return []
    rows = [
        {
            "subscriber_id": plan.subscriber_id,
            "kind": plan.kind,
            "period_key": plan.period_key,
            "status": plan.status,
            "payload": plan.payload,
            "attempts": 0,
            "created_at": now,
        }
        for plan in planned
    ]
    dialect_name = session.get_bind().dialect.name
    statement = insert_ignoring_duplicates(Delivery.__table__, dialect_name).returning(Delivery.subscriber_id)
    return [row[0] for row in session.execute(statement, rows)]


def plan_digests(session: Session, planned: Sequence[PlannedDelivery], now: datetime) -> list[int]:
    """Plan digest rows and move the planned subscribers' `last_digest_at` to `now`, atomically."""
    inserted = plan_deliveries(session, planned, now)
    for start in range(0, len(inserted), _CHUNK):
        session.execute(
            update(Subscriber)
            .where(Subscriber.id.in_(inserted[start : start + _CHUNK]))
            .values(last_digest_at=now)
            .execution_options(synchronize_session=False)
        )
    return inserted


def existing_keys(session: Session, kind: str, pairs: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which of the (subscriber_id, period_key) pairs already have a row of `kind`."""
    found: set[tuple[int, str]] = set()
    for start in range(0, len(pairs), _CHUNK):
        chunk = pairs[start : start + _CHUNK]
        rows = session.execute(
            select(Delivery.subscriber_id, Delivery.period_key).where(
                Delivery.kind == kind,
                Delivery.subscriber_id.in_({subscriber for subscriber, _ in chunk}),
                Delivery.period_key.in_({key for _, key in chunk}),
            )
        )
        found.update((subscriber, key) for subscriber, key in rows)
    return found & set(pairs)


def recent_keys(session: Session, kind: str, since: datetime) -> list[tuple[int, str, datetime]]:
    """(subscriber_id, period_key, created_at) of the rows of `kind` planned since `since`."""
    rows = session.execute(
        select(Delivery.subscriber_id, Delivery.period_key, Delivery.created_at).where(
            Delivery.kind == kind, Delivery.created_at >= since
        )
    )
    return [tuple(row) for row in rows]


def create_broadcast(
    session: Session, text: str, created_by: int, payload: dict, now: datetime
) -> tuple[int, int]:
    """Record an admin broadcast and one delivery per subscribed, active chat; (broadcast id, chats)."""
    broadcast = Broadcast(text=text, created_by=created_by, created_at=now)
    session.add(broadcast)
    session.flush()
    subscriber_ids = session.scalars(
        select(Subscriber.id).where(Subscriber.subscribed, Subscriber.active).order_by(Subscriber.id)
    ).all()
    key = f"broadcast-{broadcast.id}"
    planned = [PlannedDelivery(subscriber_id, BROADCAST, key, payload) for subscriber_id in subscriber_ids]
    return broadcast.id, len(plan_deliveries(session, planned, now))


# --- sending -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A delivery a sender may take: pending, or held by a sender whose lease ran out."""

    delivery_id: int
    subscriber_id: int
    chat_id: int
    kind: str
    period_key: str
    payload: dict
    status: str
    claimed_by: str | None
    attempts: int


def _claimable(worker: str, now: datetime, lease: timedelta):
    expired = and_(
        Delivery.status == SENDING, or_(Delivery.claimed_by == worker, Delivery.claimed_at < now - lease)
    )
    return or_(Delivery.status == PENDING, expired)


def sendable(
    session: Session, worker: str, now: datetime, lease: timedelta, *, after_id: int = 0, limit: int = 500
) -> list[Outgoing]:
    """Deliveries to active chats that `worker` may claim, oldest first, after `after_id`."""
    rows = session.execute(
        select(
            Delivery.id,
            Delivery.subscriber_id,
            Subscriber.chat_id,
            Delivery.kind,
            Delivery.period_key,
            Delivery.payload,
            Delivery.status,
            Delivery.claimed_by,
            Delivery.attempts,
        )
        .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
        .where(Delivery.id > after_id, _claimable(worker, now, lease), Subscriber.active)
        .order_by(Delivery.id)
        .limit(limit)
    )
    return [Outgoing(*row) for row in rows]


def claim(session: Session, delivery_id: int, worker: str, now: datetime, lease: timedelta) -> bool:
    """Take the delivery for `worker` (renewing its lease); False when another sender holds it or it is done."""
    result = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, _claimable(worker, now, lease))
        .values(status=SENDING, claimed_by=worker, claimed_at=now, attempts=Delivery.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def record_progress(
    session: Session, delivery_id: int, worker: str, payload: dict, now: datetime, *, done: bool
) -> bool:
    """Store the payload with its new `sent_parts`; `done` marks the delivery sent. False: claim lost."""
    values: dict[str, Any] = {"payload": payload, "claimed_at": now}
    if done:
        values.update(status=SENT, sent_at=now, error=None)
    result = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == SENDING, Delivery.claimed_by == worker)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def finish(session: Session, delivery_id: int, worker: str, status: str, error: str | None) -> bool:
    """End a claimed delivery as failed or skipped, with the reason."""
    result = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == SENDING, Delivery.claimed_by == worker)
        .values(status=status, error=error[:_ERROR_MAX] if error else None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release(session: Session, worker: str, delivery_ids: Sequence[int]) -> int:
    """Hand deliveries `worker` holds but is not sending back to the pool (a clean shutdown)."""
    released = 0
    for start in range(0, len(delivery_ids), _CHUNK):
        result = session.execute(
            update(Delivery)
            .where(
                Delivery.id.in_(delivery_ids[start : start + _CHUNK]),
                Delivery.status == SENDING,
                Delivery.claimed_by == worker,
            )
            .values(status=PENDING, claimed_by=None, claimed_at=None)
            .execution_options(synchronize_session=False)
        )
        released += result.rowcount
    return released


def deactivate_recipient(session: Session, subscriber_id: int, reason: str, now: datetime) -> int:
    """The chat blocked the bot or vanished: mark it inactive and skip what it was still owed."""
    session.execute(
        update(Subscriber)
        .where(Subscriber.id == subscriber_id)
        .values(active=False, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    result = session.execute(
        update(Delivery)
        .where(Delivery.subscriber_id == subscriber_id, Delivery.status.in_((PENDING, SENDING)))
        .values(status=SKIPPED, error=reason[:_ERROR_MAX])
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


# --- housekeeping ------------------------------------------------------------------------------------


def status_counts(session: Session, kind: str | None = None, period_key: str | None = None) -> dict[str, int]:
    query = select(Delivery.status, func.count()).group_by(Delivery.status)
    if kind is not None:
        query = query.where(Delivery.kind == kind)
    if period_key is not None:
        query = query.where(Delivery.period_key == period_key)
    return {status: count for status, count in session.execute(query)}


def prune_deliveries(session: Session, before: datetime) -> int:
    """Forget deliveries and broadcasts planned before `before` (every digest period is long over)."""
    result = session.execute(delete(Delivery).where(Delivery.created_at < before))
    session.execute(delete(Broadcast).where(Broadcast.created_at < before))
    return result.rowcount


def oldest_owed_at(session: Session) -> datetime | None:
    """When the oldest delivery still owed (pending or being sent) was planned."""
    statement = select(func.min(Delivery.created_at)).where(Delivery.status.in_((PENDING, SENDING)))
    return session.execute(statement).scalar_one()  # min() keeps the column's aware-UTC type
