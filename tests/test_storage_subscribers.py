import pytest

from storage.session import session_scope
from storage.subscribers import (
    SubscriberDefaults,
    count_subscribers,
    deactivate,
    ensure_subscriber,
    get_subscriber,
    list_digest_subscribers,
    set_subscribed,
    update_preferences,
)

DEFAULTS = SubscriberDefaults(language="ru", timezone="Europe/Moscow", digest_time="08:30")


def test_first_contact_creates_with_defaults_and_subscribe_is_idempotent(engine):
    with session_scope(engine) as session:
        subscriber = ensure_subscriber(session, chat_id=10**12, user_id=7, defaults=DEFAULTS)
        assert (subscriber.language, subscriber.timezone, subscriber.digest_time) == (
            "ru",
            "Europe/Moscow",
            "08:30",
        )
        assert set_subscribed(session, 10**12, True) is True
        assert set_subscribed(session, 10**12, True) is False
    with session_scope(engine) as session:
        assert [s.chat_id for s in list_digest_subscribers(session)] == [10**12]


def test_unsubscribe_keeps_settings_and_blocked_chat_is_reactivated_on_contact(engine):
    with session_scope(engine) as session:
        ensure_subscriber(session, 5, 5, DEFAULTS)
        set_subscribed(session, 5, True)
        update_preferences(session, 5, {"timezone": "Asia/Baku", "incidents": ["entry-bans"]})
        assert deactivate(session, 5) is True
    with session_scope(engine) as session:
        assert list_digest_subscribers(session) == []
        assert count_subscribers(session) == {"chats": 1, "subscribed": 0, "inactive": 1, "alerts": 0}
        ensure_subscriber(session, 5, 5, DEFAULTS)
        set_subscribed(session, 5, False)
    with session_scope(engine) as session:
        subscriber = get_subscriber(session, 5)
        assert subscriber.active and not subscriber.subscribed
        assert (subscriber.timezone, subscriber.incidents) == ("Asia/Baku", ["entry-bans"])


def test_only_preferences_are_editable(engine):
    with session_scope(engine) as session:
        ensure_subscriber(session, 1, 1, DEFAULTS)
        with pytest.raises(ValueError, match="not editable: active"):
            update_preferences(session, 1, {"active": False})
