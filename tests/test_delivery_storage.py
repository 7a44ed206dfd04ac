"""Delivery storage on SQLite and PostgreSQL: planning once, claims with leases, progress, queries."""

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from storage import deliveries as store
from storage.digest_queries import coverage, match_times, story_members
from storage.models import Broadcast, Delivery, Subscriber
from storage.session import session_scope
from tests.support.coverage import Coverage

NOW = datetime(2025, 7, 3, 5, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)


def make_subscribers(engine, count: int, **fields) -> list[int]:
    with session_scope(engine) as session:
        data = Coverage(session)
        return [data.subscriber(1000 + n, **fields).id for n in range(count)]


def digest(subscriber_id: int, key: str = "2025-07-03", parts: int = 1) -> store.PlannedDelivery:
    payload = {"parts": [{"type": "text", "html": f"part {n}"} for n in range(parts)], "sent_parts": 0}
    return store.PlannedDelivery(subscriber_id, store.DIGEST, key, payload)


def test_a_digest_period_is_planned_once(engine):
    first, second = make_subscribers(engine, 2)
    with session_scope(engine) as session:
        assert sorted(store.plan_digests(session, [digest(first), digest(second)], NOW)) == [first, second]
    with session_scope(engine) as session:
        later = NOW + timedelta(minutes=1)
        assert store.plan_digests(session, [digest(first), digest(first, "2025-07-04")], later) == [first]
        assert store.existing_keys(
            session, store.DIGEST, [(first, "2025-07-03"), (second, "2025-07-04")]
        ) == {(first, "2025-07-03")}
    with session_scope(engine) as session:
        served = dict(session.exec(select(Subscriber.id, Subscriber.last_digest_at)).all())
        assert served == {first: NOW + timedelta(minutes=1), second: NOW}
        assert (
            session.exec(select(Delivery).where(Delivery.subscriber_id == first)).all()[0].status == "pending"
        )


def test_recipients_filter_on_subscription_activity_and_last_digest(engine):
    fresh, served, _unsubscribed = make_subscribers(engine, 3)
    with session_scope(engine) as session:
        session.get(Subscriber, served).last_digest_at = NOW
        session.get(Subscriber, _unsubscribed).subscribed = False
        session.get(Subscriber, fresh).alerts_enabled = True
    with session_scope(engine) as session:
        assert [r.subscriber_id for r in store.digest_recipients(session)] == [fresh, served]
        due = store.digest_recipients(session, last_digest_before=NOW - timedelta(hours=1))
        assert [r.subscriber_id for r in due] == [fresh]
        assert [r.subscriber_id for r in store.alert_recipients(session)] == [fresh]
        assert store.find_recipient(session, 1000).subscriber_id == fresh
        assert store.find_recipient(session, 99) is None


def test_claims_leases_progress_and_release(engine):
    (subscriber,) = make_subscribers(engine, 1)
    with session_scope(engine) as session:
        store.plan_digests(session, [digest(subscriber, parts=2)], NOW)
    with session_scope(engine) as session:
        (outgoing,) = store.sendable(session, "a", NOW, LEASE)
        assert outgoing.chat_id == 1000 and outgoing.payload["sent_parts"] == 0
        assert store.claim(session, outgoing.delivery_id, "a", NOW, LEASE)
    with session_scope(engine) as session:
        # Held by a live sender: nobody else may take it, its holder may go on.
        assert store.sendable(session, "b", NOW + timedelta(seconds=30), LEASE) == []
        assert not store.claim(session, outgoing.delivery_id, "b", NOW + timedelta(seconds=30), LEASE)
        assert store.claim(session, outgoing.delivery_id, "a", NOW + timedelta(seconds=1), LEASE)
        payload = {**outgoing.payload, "sent_parts": 1}
        assert store.record_progress(
            session, outgoing.delivery_id, "a", payload, NOW + timedelta(seconds=1), done=False
        )
    with session_scope(engine) as session:
        # The holder died: once the lease has run out another sender resumes after the last part.
        late = NOW + timedelta(seconds=1) + LEASE + timedelta(seconds=1)
        (resumed,) = store.sendable(session, "b", late, LEASE)
        assert (
            resumed.status == "sending" and resumed.claimed_by == "a" and resumed.payload["sent_parts"] == 1
        )
        assert store.claim(session, resumed.delivery_id, "b", late, LEASE)
        # The old holder has lost it and cannot record progress any more.
        assert not store.record_progress(session, resumed.delivery_id, "a", payload, late, done=True)
        assert store.record_progress(
            session, resumed.delivery_id, "b", {**payload, "sent_parts": 2}, late, done=True
        )
    with session_scope(engine) as session:
        row = session.get(Delivery, outgoing.delivery_id)
        assert (row.status, row.attempts, row.payload["sent_parts"], row.sent_at) == ("sent", 3, 2, late)
        assert not store.claim(session, outgoing.delivery_id, "c", late + LEASE * 2, LEASE)  # sent is final
        assert store.status_counts(session, store.DIGEST) == {"sent": 1}


def test_release_returns_held_rows_and_finish_records_the_reason(engine):
    first, second = make_subscribers(engine, 2)
    with session_scope(engine) as session:
        store.plan_digests(session, [digest(first), digest(second)], NOW)
    with session_scope(engine) as session:
        ids = [row.delivery_id for row in store.sendable(session, "a", NOW, LEASE)]
        assert all(store.claim(session, delivery_id, "a", NOW, LEASE) for delivery_id in ids)
        assert store.release(session, "b", ids) == 0  # not b's to give back
        assert store.release(session, "a", ids[:1]) == 1
        assert store.finish(session, ids[1], "a", store.FAILED, "Bad Request: " + "x" * 2000)
    with session_scope(engine) as session:
        assert [row.delivery_id for row in store.sendable(session, "b", NOW, LEASE)] == ids[:1]
        failed = session.get(Delivery, ids[1])
        assert failed.status == "failed" and len(failed.error) == 1000


def test_deactivating_a_recipient_skips_what_it_was_owed(engine):
    gone, kept = make_subscribers(engine, 2)
    with session_scope(engine) as session:
        store.plan_digests(session, [digest(gone), digest(kept)], NOW)
    with session_scope(engine) as session:
        assert store.deactivate_recipient(session, gone, "Forbidden: bot was blocked by the user", NOW) == 1
    with session_scope(engine) as session:
        assert not session.get(Subscriber, gone).active
        assert [row.subscriber_id for row in store.sendable(session, "a", NOW, LEASE)] == [kept]
        assert store.status_counts(session) == {"pending": 1, "skipped": 1}


def test_a_broadcast_goes_to_subscribed_active_chats_and_is_pruned_later(engine):
    active, inactive, _ = make_subscribers(engine, 3)
    with session_scope(engine) as session:
        session.get(Subscriber, inactive).active = False
        session.get(Subscriber, _).subscribed = False
    with session_scope(engine) as session:
        payload = {"parts": [{"type": "text", "html": "Hello"}], "sent_parts": 0}
        broadcast_id, chats = store.create_broadcast(session, "Hello", 77, payload, NOW)
    assert chats == 1
    with session_scope(engine) as session:
        (row,) = store.sendable(session, "a", NOW, LEASE)
        assert (row.subscriber_id, row.kind, row.period_key) == (
            active,
            "broadcast",
            f"broadcast-{broadcast_id}",
        )
        assert store.prune_deliveries(session, NOW) == 0
        assert store.prune_deliveries(session, NOW + timedelta(seconds=1)) == 1
    with session_scope(engine) as session:
        assert session.exec(select(Broadcast)).all() == []


def test_coverage_window_staleness_and_stories(engine):
    with session_scope(engine) as session:
        data = Coverage(session)
        data.incident("media-battle", "Media battle")
        data.incident("entry-bans", "Entry bans")
        tass = data.outlet("tass", "russia")
        apa = data.outlet("apa", "azerbaijan")
        story = data.story("Sputnik staff detained", NOW - timedelta(hours=30))
        data.item(
            tass,
            "before the window",
            fetched_at=NOW - timedelta(hours=30),
            incidents=["media-battle"],
            story=story,
        )
        inside = data.item(
            apa,
            "in the window",
            fetched_at=NOW - timedelta(hours=2),
            incidents=["media-battle", "entry-bans"],
            story=story,
        )
        data.item(
            tass,
            "backfilled archive",
            fetched_at=NOW - timedelta(hours=1),
            published_at=NOW - timedelta(days=9),
            incidents=["media-battle"],
        )
        data.item(tass, "unmatched", fetched_at=NOW - timedelta(hours=1))
        data.item(tass, "at the end: next window", fetched_at=NOW, incidents=["media-battle"])
    since = NOW - timedelta(hours=24)
    with session_scope(engine) as session:
        rows = coverage(session, since, NOW)
        assert sorted((row.title, row.incident_id) for row in rows) == [
            ("in the window", "entry-bans"),
            ("in the window", "media-battle"),
        ]
        assert [row.incident_id for row in coverage(session, since, NOW, ["entry-bans"])] == ["entry-bans"]
        members = story_members(session, [story.id], NOW)
        assert [member.title for member in members] == ["before the window", "in the window"]
        assert rows[0].item_id == inside.id
        times = match_times(session, NOW - timedelta(days=14), NOW + timedelta(seconds=1), ["media-battle"])
        assert sorted(when for _, when in times) == [
            NOW - timedelta(days=9),  # counted on its publication day, not as news
            NOW - timedelta(hours=30),
            NOW - timedelta(hours=2),
            NOW,
        ]
