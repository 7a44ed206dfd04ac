from datetime import timedelta

import pytest

from storage.feeds import (
    FeedCheck,
    FeedError,
    add_feed,
    claim_due_feeds,
    due_feed_count,
    list_feeds,
    release_leases,
    save_feed_check,
    set_feed_enabled,
)
from storage.fetch_events import (
    FetchEventRecord,
    prune_fetch_events,
    recent_fetch_events,
    record_fetch_events,
)
from storage.models import Feed
from storage.session import session_scope
from tests.support.feed_rows import START, add_feeds, load_feed

LEASE = timedelta(minutes=10)


def claim(engine, owner="w1", now=START, limit=10, feed_ids=None):
    with session_scope(engine) as session:
        return claim_due_feeds(session, owner=owner, now=now, lease=LEASE, limit=limit, feed_ids=feed_ids)


def check(now, **changes) -> FeedCheck:
    values = dict(
        checked_at=now,
        next_check_at=now + timedelta(minutes=15),
        check_interval_s=900,
        min_interval_s=0,
        status_code=200,
        consecutive_errors=0,
        first_error_at=None,
        last_error=None,
        succeeded=True,
        etag='"v1"',
        last_modified="Mon, 30 Jun 2025 12:00:00 GMT",
        content_hash="abc",
    )
    return FeedCheck(**{**values, **changes})


def test_claims_due_feeds_oldest_first_and_only_once_while_leased(engine):
    ids = add_feeds(engine, [f"http://127.0.0.1/{n}" for n in range(4)])
    with session_scope(engine) as session:
        for offset, feed_id in zip((3, 1, 2, -1), ids, strict=True):
            session.get_one(Feed, feed_id).next_check_at = START - timedelta(minutes=offset)
    first = claim(engine, limit=2)
    assert [due.feed.id for due in first] == [ids[0], ids[2]]
    assert first[0].outlet_slug == "test-outlet" and first[0].outlet_languages == ["ru"]
    assert [due.feed.id for due in claim(engine, owner="w2")] == [ids[1]]  # the rest is leased or not due
    assert claim(engine, owner="w3") == []
    with session_scope(engine) as session:
        assert due_feed_count(session, START) == 0


def test_an_expired_lease_is_claimed_again(engine):
    add_feeds(engine, ["http://127.0.0.1/a"])
    assert len(claim(engine, owner="crashed")) == 1
    assert claim(engine, owner="w2", now=START + LEASE - timedelta(seconds=1)) == []
    reclaimed = claim(engine, owner="w2", now=START + LEASE + timedelta(seconds=1))
    assert len(reclaimed) == 1


def test_saving_a_check_releases_the_lease_and_needs_to_hold_it(engine):
    (feed_id,) = add_feeds(engine, ["http://127.0.0.1/a"])
    claim(engine, owner="w1")
    with session_scope(engine) as session:
        assert not save_feed_check(session, feed_id, "someone-else", check(START))
        assert save_feed_check(session, feed_id, "w1", check(START, had_new_items=True))
    feed = load_feed(engine, feed_id)
    assert (feed.lease_owner, feed.lease_expires_at) == (None, None)
    assert (feed.etag, feed.content_hash, feed.last_success_at) == ('"v1"', "abc", START)
    assert feed.last_new_item_at == START
    assert feed.next_check_at == START + timedelta(minutes=15)


def test_failure_streak_disable_and_move_are_recorded(engine):
    feed_id, other_id = add_feeds(engine, ["http://127.0.0.1/a", "http://127.0.0.1/taken"])
    claim(engine, feed_ids=[feed_id])
    failing = check(
        START,
        succeeded=False,
        status_code=410,
        consecutive_errors=1,
        first_error_at=START,
        last_error="HTTP 410 Gone",
        disabled_reason="gone",
    )
    with session_scope(engine) as session:
        save_feed_check(session, feed_id, "w1", failing)
    feed = load_feed(engine, feed_id)
    assert (feed.status, feed.disabled_reason, feed.last_error) == ("disabled", "gone", "HTTP 410 Gone")
    assert feed.last_success_at is None and feed.consecutive_errors == 1
    assert [due.feed.id for due in claim(engine, now=START + timedelta(days=1))] == [other_id]
    with session_scope(engine) as session:
        release_leases(session, "w1")

    with session_scope(engine) as session:
        set_feed_enabled(session, feed_id, True, START)
    claim(engine, owner="w9", feed_ids=[feed_id, other_id])
    with session_scope(engine) as session:
        # The redirect target already belongs to another feed: keep the URL rather than collide.
        save_feed_check(session, feed_id, "w9", check(START, moved_to="http://127.0.0.1/taken"))
        save_feed_check(session, other_id, "w9", check(START, moved_to="http://127.0.0.1/new-home"))
    assert load_feed(engine, feed_id).url == "http://127.0.0.1/a"
    assert load_feed(engine, other_id).url == "http://127.0.0.1/new-home"


def test_enable_resets_the_streak_and_makes_the_feed_due(engine):
    (feed_id,) = add_feeds(engine, ["http://127.0.0.1/a"], due_at=START + timedelta(hours=5))
    with session_scope(engine) as session:
        set_feed_enabled(session, feed_id, False, START, "spam")
    assert load_feed(engine, feed_id).disabled_reason == "spam"
    later = START + timedelta(hours=1)
    with session_scope(engine) as session:
        feed = set_feed_enabled(session, feed_id, True, later)
        assert (feed.status, feed.consecutive_errors, feed.next_check_at) == ("active", 0, later)
    with pytest.raises(FeedError), session_scope(engine) as session:
        set_feed_enabled(session, 999, True, START)


def test_claim_by_id_ignores_the_schedule_but_not_the_status(engine):
    active, disabled = add_feeds(engine, ["http://h/a", "http://h/b"], due_at=START + timedelta(days=1))
    with session_scope(engine) as session:
        set_feed_enabled(session, disabled, False, START)
    assert [due.feed.id for due in claim(engine, feed_ids=[active, disabled])] == [active]


def test_add_feed_refuses_duplicates_and_lists_with_outlet(engine):
    (existing,) = add_feeds(engine, ["http://h/a"])
    with session_scope(engine) as session:
        outlet_id = load_feed(engine, existing).outlet_id
        added = add_feed(session, "http://h/b", outlet_id, "az")
        assert added.id and added.origin == "cli"
        with pytest.raises(FeedError, match="already exists"):
            add_feed(session, "http://h/a", outlet_id)
    with session_scope(engine) as session:
        rows = list_feeds(session)
    assert [(row.feed.url, row.outlet_slug) for row in rows] == [
        ("http://h/a", "test-outlet"),
        ("http://h/b", "test-outlet"),
    ]


def test_release_leases_frees_a_stopping_workers_feeds(engine):
    add_feeds(engine, ["http://h/a", "http://h/b"])
    claim(engine, owner="stopping")
    with session_scope(engine) as session:
        assert release_leases(session, "stopping") == 2
    assert len(claim(engine, owner="next")) == 2


def test_fetch_events_are_kept_thirty_days(engine):
    (feed_id,) = add_feeds(engine, ["http://h/a"])
    events = [
        FetchEventRecord(feed_id, START - timedelta(days=days), 12, 200, 1000, "ok", worker="w1")
        for days in (0, 29, 31)
    ]
    with session_scope(engine) as session:
        record_fetch_events(session, events)
    with session_scope(engine) as session:
        assert prune_fetch_events(session, START) == 1
        kept = recent_fetch_events(session, feed_id)
    assert [event.started_at for event in kept] == [START, START - timedelta(days=29)]
