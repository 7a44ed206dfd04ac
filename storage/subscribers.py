"""Subscribers: one row per Telegram chat that has talked to the bot."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, func, select

from storage.columns import utcnow
from storage.models import Subscriber
from storage.sync import apply_changes

# What a subscriber may change about themselves through the bot.
EDITABLE_FIELDS = frozenset(
    {
        "language",
        "language_chosen",
        "timezone",
        "digest_time",
        "incidents",
        "alerts_enabled",
        "chart_enabled",
        "quiet_digest",
    }
)


@dataclass(frozen=True)
class SubscriberDefaults:
    language: str = "en"
    timezone: str = "Asia/Baku"
    digest_time: str = "09:00"


def get_subscriber(session: Session, chat_id: int) -> Subscriber | None:
    return session.exec(select(Subscriber).where(Subscriber.chat_id == chat_id)).first()


def ensure_subscriber(
    session: Session, chat_id: int, user_id: int | None, defaults: SubscriberDefaults
) -> Subscriber:
    """The chat's row, created with the defaults on first contact; contact reactivates a blocked chat."""
    subscriber = get_subscriber(session, chat_id)
    if subscriber is None:
        subscriber = Subscriber(
            chat_id=chat_id,
            user_id=user_id,
            language=defaults.language,
            timezone=defaults.timezone,
            digest_time=defaults.digest_time,
        )
        session.add(subscriber)
        session.flush()
    elif not subscriber.active:
        subscriber.active = True
        subscriber.updated_at = utcnow()
    return subscriber


def set_subscribed(session: Session, chat_id: int, subscribed: bool) -> bool:
    """Subscribe or unsubscribe (settings are kept); returns whether anything changed."""
    subscriber = get_subscriber(session, chat_id)
    if subscriber is None or subscriber.subscribed == subscribed:
        return False
    subscriber.subscribed = subscribed
    subscriber.updated_at = utcnow()
    return True


def update_preferences(session: Session, chat_id: int, changes: Mapping[str, Any]) -> Subscriber | None:
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    subscriber = get_subscriber(session, chat_id)
    if subscriber is not None and apply_changes(subscriber, changes):
        subscriber.updated_at = utcnow()
    return subscriber


def deactivate(session: Session, chat_id: int) -> bool:
    """The chat blocked the bot or no longer exists: stop sending to it, keep its settings."""
    subscriber = get_subscriber(session, chat_id)
    if subscriber is None or not subscriber.active:
        return False
    subscriber.active = False
    subscriber.updated_at = utcnow()
    return True


def list_digest_subscribers(session: Session) -> list[Subscriber]:
    """Every chat that should get digests: subscribed and not blocked."""
    query = select(Subscriber).where(Subscriber.subscribed, Subscriber.active).order_by(Subscriber.id)
    return list(session.exec(query))


def count_subscribers(session: Session) -> dict[str, int]:
    def count(*conditions) -> int:
        return session.exec(select(func.count()).select_from(Subscriber).where(*conditions)).one()

    return {
        "chats": count(),
        "subscribed": count(Subscriber.subscribed, Subscriber.active),
        "inactive": count(Subscriber.active.is_(False)),
        "alerts": count(Subscriber.subscribed, Subscriber.active, Subscriber.alerts_enabled),
    }
