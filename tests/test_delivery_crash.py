"""A sender killed with SIGKILL mid-broadcast, then a new one: nobody is missed, and a second copy
can only reach a chat whose message was on the wire at the moment of the kill (the README's window)."""

import asyncio
import os
import sys
from collections import Counter
from datetime import timedelta

from sqlalchemy.engine import make_url
from sqlmodel import select

from bot.delivery.broadcaster import Broadcaster, SenderConfig
from bot.settings import REPO_ROOT
from storage import deliveries as store
from storage.columns import utcnow
from storage.models import Delivery, Subscriber
from storage.session import session_scope
from tests.support.clock import ManualClock
from tests.support.coverage import Coverage
from tests.support.telegram_client import close_bot, make_bot

CHATS = 300
IN_FLIGHT = 8
LEASE = SenderConfig().lease


def plan(engine, fake_telegram) -> None:
    with session_scope(engine) as session:
        data = Coverage(session)
        planned = []
        for chat in range(70_000, 70_000 + CHATS):
            fake_telegram.add_chat(chat)
            payload = {"parts": [{"type": "text", "html": f"digest for {chat}"}], "sent_parts": 0}
            planned.append(
                store.PlannedDelivery(data.subscriber(chat).id, store.DIGEST, "2025-07-03", payload)
            )
        store.plan_deliveries(session, planned, utcnow())


async def test_sigkill_mid_broadcast_then_resume(sqlite_engine, fake_telegram):
    plan(sqlite_engine, fake_telegram)
    database_url = make_url(str(sqlite_engine.url)).render_as_string(hide_password=False)
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.broadcast_child",
        database_url,
        fake_telegram.base_url,
        "400",
        str(IN_FLIGHT),
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    # Killed the moment Telegram accepted a message: the worst case, inside the ambiguous window.
    await fake_telegram.wait_for_messages(100, timeout=30)
    child.kill()  # SIGKILL: no clean-up of any kind
    await child.wait()
    with session_scope(sqlite_engine) as session:
        at_kill = dict(session.exec(select(Subscriber.chat_id, Delivery.status).join(Subscriber)).all())
    on_the_wire = {chat for chat, status in at_kill.items() if status == store.SENDING}
    assert 0 < sum(status == store.SENT for status in at_kill.values()) < CHATS  # killed mid-way
    assert len(on_the_wire) <= 2 * IN_FLIGHT  # on the wire, plus as many claimed just ahead of it

    clock = ManualClock(utcnow())
    bot = make_bot(fake_telegram)
    successor = Broadcaster(
        bot, sqlite_engine, config=SenderConfig(rate_per_s=2000.0), clock=clock, sleep=clock.sleep
    )
    assert (await successor.drain()).messages_sent == CHATS - sum(
        s == store.SENT for s in at_kill.values()
    ) - len(on_the_wire)
    clock.advance(LEASE + timedelta(seconds=1))  # the dead sender's leases run out
    report = await successor.drain()
    await successor.close()
    await close_bot(bot)

    assert report.resumed_after_lease == len(on_the_wire)
    received = Counter(message.chat_id for message in fake_telegram.sent_messages())
    assert set(received) == set(at_kill)  # nobody missed
    doubled = {chat for chat, count in received.items() if count > 1}
    assert doubled <= on_the_wire and max(received.values()) <= 2  # only the ambiguous window
    assert all(received[chat] == 1 for chat, status in at_kill.items() if status == store.SENT)
    with session_scope(sqlite_engine) as session:
        assert set(session.exec(select(Delivery.status)).all()) == {store.SENT}
