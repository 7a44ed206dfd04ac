"""The broadcaster against the fake Bot API server over a real socket: pacing, 429 storms, dead
chats, retries, a stop mid-broadcast and a resume after a crash, each delivery exactly once."""

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from sqlmodel import select

from bot.delivery.broadcaster import Broadcaster, SenderConfig
from storage import deliveries as store
from storage.models import Delivery, Subscriber
from storage.session import session_scope
from storage.subscribers import get_subscriber
from tests.support.clock import ManualClock
from tests.support.coverage import Coverage
from tests.support.fake_telegram import Fault
from tests.support.telegram_client import WireRecorder, close_bot, make_bot

START = datetime(2025, 7, 3, 5, 0, tzinfo=UTC)
FIRST_CHAT = 50_000


def plan(engine, fake_telegram, count: int, parts: int = 1, kind: str = store.DIGEST) -> list[int]:
    """`count` chats (new or not), each owed one delivery of `parts` messages; returns their ids."""
    chats = [FIRST_CHAT + n for n in range(count)]
    with session_scope(engine) as session:
        data = Coverage(session)
        planned = []
        for chat in chats:
            subscriber = get_subscriber(session, chat) or data.subscriber(chat)
            fake_telegram.add_chat(chat)
            html = [f"<b>{kind} for {chat}</b> part {n + 1}/{parts}" for n in range(parts)]
            payload = {"parts": [{"type": "text", "html": text} for text in html], "sent_parts": 0}
            planned.append(store.PlannedDelivery(subscriber.id, kind, "2025-07-03", payload))
        store.plan_deliveries(session, planned, START)
    return chats


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def bot(fake_telegram):
    bot = make_bot(fake_telegram)
    yield bot
    await close_bot(bot)


@pytest.fixture
def recorder(bot, clock) -> WireRecorder:
    recorder = WireRecorder(clock)
    bot.session.middleware(recorder)
    return recorder


def broadcaster(bot, engine, clock, **config) -> Broadcaster:
    settings = {"rate_per_s": 1000.0, **config}
    return Broadcaster(bot, engine, config=SenderConfig(**settings), clock=clock, sleep=clock.sleep)


def texts_by_chat(fake_telegram) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for message in fake_telegram.sent_messages():
        found.setdefault(message.chat_id, []).append(message.text)
    return found


def expected(chats: list[int], parts: int, kind: str = store.DIGEST) -> dict[int, list[str]]:
    return {chat: [f"<b>{kind} for {chat}</b> part {n + 1}/{parts}" for n in range(parts)] for chat in chats}


def statuses(engine) -> Counter:
    with session_scope(engine) as session:
        return Counter(session.exec(select(Delivery.status)).all())


async def test_every_delivery_is_sent_once_in_order_without_link_previews(
    sqlite_engine, fake_telegram, bot, clock
):
    chats = plan(sqlite_engine, fake_telegram, 40, parts=2)
    sender = broadcaster(bot, sqlite_engine, clock)
    report = await sender.drain()
    assert (report.messages_sent, report.deliveries_sent, report.failed) == (80, 40, 0)
    assert texts_by_chat(fake_telegram) == expected(chats, 2)
    assert all(message.link_preview_disabled for message in fake_telegram.sent_messages())
    assert all(message.parse_mode == "HTML" for message in fake_telegram.sent_messages())
    assert statuses(sqlite_engine) == {"sent": 40}
    again = await sender.drain()  # a second run finds nothing owed
    assert again.messages_sent == 0 and len(fake_telegram.sent_messages()) == 80
    await sender.close()


async def test_global_rate_and_per_chat_spacing(sqlite_engine, fake_telegram, bot, clock, recorder):
    chats = plan(sqlite_engine, fake_telegram, 60, parts=1)
    chatty = plan(sqlite_engine, fake_telegram, 1, parts=4, kind=store.BROADCAST)  # same chat as chats[0]
    sender = broadcaster(bot, sqlite_engine, clock, rate_per_s=20.0, burst_s=0.2)
    await sender.drain()
    await sender.close()
    assert (
        texts_by_chat(fake_telegram)[chatty[0]]
        == expected(chats, 1)[chats[0]] + expected(chatty, 4, store.BROADCAST)[chatty[0]]
    )
    starts = sorted(event.started for event in recorder.events)
    assert len(starts) == 64
    # Never more than the rate plus the small burst allowance in any one-second window.
    for index, first in enumerate(starts):
        within = [start for start in starts[index:] if start - first < timedelta(seconds=1)]
        assert len(within) <= 20 + 4
    assert starts[-1] - starts[0] >= timedelta(seconds=(64 - 4) / 20 - 0.01)
    by_chat = [event.started for event in recorder.events if event.chat_id == chatty[0]]
    assert all(b - a >= timedelta(seconds=1) for a, b in pairwise(sorted(by_chat)))


async def test_a_429_storm_pauses_everything_and_loses_nothing(
    sqlite_engine, fake_telegram, bot, clock, recorder
):
    chats = plan(sqlite_engine, fake_telegram, 80, parts=1)
    for retry_after in (3, 1, 5, 2):
        fake_telegram.inject(Fault.too_many_requests(retry_after))
    sender = broadcaster(bot, sqlite_engine, clock, max_in_flight=4)
    report = await sender.drain()
    await sender.close()
    assert report.replies_429 == 4
    assert texts_by_chat(fake_telegram) == expected(chats, 1)  # each exactly once, none lost
    refusals = [event for event in recorder.events if event.retry_after]
    assert [event.retry_after for event in refusals] == [3, 1, 5, 2]
    for refusal in refusals:
        pause_end = refusal.finished + timedelta(seconds=refusal.retry_after)
        during = [event for event in recorder.events if refusal.finished < event.started < pause_end]
        assert during == [], f"sent during the pause after {refusal}"
    # the refused messages went out again once the pause ended
    assert statuses(sqlite_engine) == {"sent": 80}


async def test_blocked_and_vanished_chats_are_deactivated_and_the_run_completes(
    sqlite_engine, fake_telegram, bot, clock, recorder
):
    chats = plan(sqlite_engine, fake_telegram, 30, parts=2)
    blocked, vanished, refused = chats[3], chats[7], chats[11]
    fake_telegram.block_chat(blocked)
    fake_telegram.inject(Fault.chat_not_found(), chat_id=vanished)
    fake_telegram.inject(Fault(400, "Bad Request: message is too long"), chat_id=refused)
    with session_scope(sqlite_engine) as session:  # an alert also waits for the blocked chat
        subscriber_id = session.exec(select(Subscriber.id).where(Subscriber.chat_id == blocked)).one()
        store.plan_deliveries(
            session,
            [
                store.PlannedDelivery(
                    subscriber_id, store.ALERT, "x", {"parts": [{"type": "text", "html": "alert"}]}
                )
            ],
            START,
        )
    sender = broadcaster(bot, sqlite_engine, clock)
    report = await sender.drain()
    await sender.close()
    assert (report.deactivated, report.failed) == (2, 1)
    received = texts_by_chat(fake_telegram)
    assert received == {
        chat: texts for chat, texts in expected(chats, 2).items() if chat not in (blocked, vanished, refused)
    }
    # one attempt each, never retried
    attempts = Counter(event.chat_id for event in recorder.events)
    assert attempts[blocked] == attempts[vanished] == attempts[refused] == 1
    with session_scope(sqlite_engine) as session:
        active = dict(session.exec(select(Subscriber.chat_id, Subscriber.active)).all())
        rows = {
            row.subscriber_id: row
            for row in session.exec(select(Delivery).where(Delivery.kind == store.DIGEST))
        }
        errors = {
            chat: row.error
            for row in rows.values()
            for chat in [session.get(Subscriber, row.subscriber_id).chat_id]
            if row.error
        }
    assert [chat for chat, is_active in active.items() if not is_active] == [blocked, vanished]
    assert active[refused]  # an ordinary refusal skips the message, not the subscriber
    assert errors[refused] == "Bad Request: message is too long"
    assert "blocked" in errors[blocked] and "chat not found" in errors[vanished]
    assert statuses(sqlite_engine) == {"sent": 27, "skipped": 3, "failed": 1}


async def test_server_errors_are_retried_with_backoff_then_given_up(
    sqlite_engine, fake_telegram, bot, clock, recorder
):
    chats = plan(sqlite_engine, fake_telegram, 3, parts=1)
    flaky, broken = chats[0], chats[1]
    fake_telegram.inject(Fault.server_error(502), chat_id=flaky, times=2)
    fake_telegram.inject(Fault.server_error(500), chat_id=broken, times=5)
    sender = broadcaster(bot, sqlite_engine, clock)
    report = await sender.drain()
    await sender.close()
    assert report.retries == 4 and report.failed == 1
    assert set(texts_by_chat(fake_telegram)) == {flaky, chats[2]}
    tries = [event.started for event in recorder.events if event.chat_id == flaky]
    assert len(tries) == 3
    first_gap, second_gap = ((b - a).total_seconds() for a, b in pairwise(tries))
    assert first_gap >= 1 and second_gap >= 2  # backoff: 1 s, then 2 s
    assert len([event for event in recorder.events if event.chat_id == broken]) == 3  # three tries in all


async def test_a_stop_mid_broadcast_then_a_new_sender_delivers_each_exactly_once(
    sqlite_engine, fake_telegram, bot, clock
):
    chats = plan(sqlite_engine, fake_telegram, 200, parts=2)
    first = broadcaster(bot, sqlite_engine, clock, rate_per_s=2000.0, max_in_flight=8)
    running = asyncio.create_task(first.drain())
    await fake_telegram.wait_for_messages(150)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    await first.close()
    sent_before = len(fake_telegram.sent_messages())
    assert 150 <= sent_before < 400
    # What was on the wire was recorded, the rest handed back: nothing waits for a lease.
    assert statuses(sqlite_engine)["sending"] == 0
    second = broadcaster(bot, sqlite_engine, clock)
    report = await second.drain()
    await second.close()
    assert report.resumed_after_lease == 0
    assert texts_by_chat(fake_telegram) == expected(chats, 2)
    assert statuses(sqlite_engine) == {"sent": 200}


async def test_after_a_crash_a_held_delivery_waits_for_its_lease_then_resumes_after_the_last_part(
    sqlite_engine, fake_telegram, bot, clock
):
    (chat,) = plan(sqlite_engine, fake_telegram, 1, parts=3)
    with session_scope(sqlite_engine) as session:  # a sender died after Telegram accepted part 1
        (row,) = store.sendable(session, "dead", START, timedelta(minutes=2))
        assert store.claim(session, row.delivery_id, "dead", START, timedelta(minutes=2))
        assert store.record_progress(
            session, row.delivery_id, "dead", {**row.payload, "sent_parts": 1}, START, done=False
        )
    sender = broadcaster(bot, sqlite_engine, clock, lease=timedelta(minutes=2))
    clock.advance(60)
    assert (await sender.drain()).messages_sent == 0  # the lease still holds
    clock.advance(61)
    report = await sender.drain()
    await sender.close()
    assert report.resumed_after_lease == 1
    assert texts_by_chat(fake_telegram) == {chat: expected([chat], 3)[chat][1:]}
