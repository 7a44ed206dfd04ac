"""Digest composition for many subscribers, and the broadcaster's rate against a rate-limited server.

Run as ``python -m tests.benchmarks.bench_delivery [--quick]``. A SQLite database gets two days of
coverage (9 incidents, 60 outlets on the three sides, ~3,000 items in stories of 1–6 outlets) and
10,000 subscribers (1,000 with ``--quick``) with varied incident filters, languages, zones and
last-digest times. Composition is one planning run: load once, compose every digest. The naive
baseline, timed in the same run on a sample of subscribers and scaled, queries per subscriber and
per incident and renders with the same code. The broadcast sends the composed digests (the first
4,000 subscribers', or all with ``--quick``) to the fake Bot API server in its own process, limited
to 200 msg/s; the broadcaster is set just under it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path

from sqlalchemy import insert, select

from bot.delivery.broadcaster import Broadcaster, SenderConfig
from bot.delivery.digest import DigestComposer, DigestConfig, DigestCorpus, digest_window
from bot.delivery.texts import Translator, story_lines, story_views
from bot.i18n import create_i18n
from bot.knowledge import INCIDENT_IDS
from bot.text import escape, pack_messages
from storage import digest_queries as queries
from storage import migrate
from storage.columns import utcnow
from storage.deliveries import DIGEST, PlannedDelivery, Recipient, digest_recipients, plan_deliveries
from storage.engine import create_db_engine
from storage.models import Feed, Incident, Item, ItemIncident, Outlet, Story, Subscriber
from storage.session import session_scope
from tests.support.fake_telegram import FakeTelegramServer
from tests.support.telegram_client import close_bot, make_bot

INCIDENTS = list(INCIDENT_IDS)
ZONES = ["Asia/Baku", "Europe/Moscow", "Europe/London", "America/New_York", "Asia/Kolkata"]
SERVER_RATE = 200.0
SENDER_RATE = 195.0
NAIVE_SAMPLE = 200
BROADCAST_SUBSCRIBERS = 4_000


def seed(engine, subscribers: int, now: datetime, rng: random.Random) -> None:
    """Coverage for the last two days and the subscribers, inserted in bulk."""
    with session_scope(engine) as session:
        session.execute(
            insert(Incident),
            [
                {
                    "id": i,
                    "title": {"en": i.replace("-", " ").title(), "ru": f"Инцидент {n}", "az": f"Hadisə {n}"},
                    "summary": {},
                    "aliases": [],
                    "position": n,
                }
                for n, i in enumerate(INCIDENTS)
            ],
        )
        sides = ["russia", "azerbaijan", "international"]
        outlets = [
            {
                "id": n + 1,
                "slug": f"outlet-{n}",
                "name": f"Outlet {n} & Co",
                "side": sides[n % 3],
                "languages": [["ru", "az", "en"][n % 3]],
                "homepage": f"https://outlet-{n}.example",
                "status": [],
            }
            for n in range(60)
        ]
        session.execute(insert(Outlet), outlets)
        session.execute(
            insert(Feed),
            [{"id": o["id"], "outlet_id": o["id"], "url": f"{o['homepage']}/rss"} for o in outlets],
        )
        items, matches, stories = [], [], []
        item_id = 0
        for story_id in range(1, 1001):
            first = now - timedelta(minutes=rng.randrange(0, 48 * 60))
            incidents = rng.sample(INCIDENTS, rng.choice([1, 1, 1, 2]))
            carriers = rng.sample(outlets, rng.choice([1, 1, 2, 3, 4, 6]))
            stories.append(
                {
                    "id": story_id,
                    "language": "ru",
                    "title": f"Story {story_id}: что произошло <сегодня>",
                    "signature": [],
                    "first_seen_at": first,
                    "last_seen_at": first,
                    "item_count": len(carriers),
                    "outlet_count": len(carriers),
                }
            )
            for outlet in carriers:
                item_id += 1
                fetched = min(now - timedelta(seconds=1), first + timedelta(minutes=rng.randrange(0, 240)))
                language = outlet["languages"][0]
                items.append(
                    {
                        "id": item_id,
                        "feed_id": outlet["id"],
                        "outlet_id": outlet["id"],
                        "entry_key": f"k{item_id}",
                        "url": f"{outlet['homepage']}/news/{item_id}?a=1&b=2",
                        "title": f"[{language}] Story {story_id} headline",
                        "summary": "",
                        "language": language,
                        "content_hash": f"{item_id:064d}",
                        "published_at": fetched,
                        "fetched_at": fetched,
                        "updated_at": fetched,
                        "story_id": story_id,
                    }
                )
                matches.extend(
                    {
                        "item_id": item_id,
                        "incident_id": i,
                        "score": 1.0,
                        "explanation": [],
                        "matched_at": fetched,
                    }
                    for i in incidents
                )
        session.execute(insert(Story), stories)
        session.execute(insert(Item), items)
        session.execute(insert(ItemIncident), matches)
        session.execute(
            insert(Subscriber),
            [
                {
                    "chat_id": 1_000_000 + n,
                    "user_id": 1_000_000 + n,
                    "language": rng.choice(["en", "ru", "az"]),
                    "timezone": rng.choice(ZONES),
                    "digest_time": "09:00",
                    "subscribed": True,
                    "active": True,
                    "incidents": _filter(rng),
                    "chart_enabled": False,
                    "quiet_digest": True,
                    "last_digest_at": rng.choice(
                        [None, now - timedelta(hours=24), now - timedelta(hours=20)]
                    ),
                    "created_at": now - timedelta(days=30),
                    "updated_at": now - timedelta(days=30),
                }
                for n in range(subscribers)
            ],
        )


def _filter(rng: random.Random) -> list[str]:
    """Most follow everything; others one to four incidents."""
    return [] if rng.random() < 0.4 else rng.sample(INCIDENTS, rng.randint(1, 4))


def load_recipients(engine) -> list[Recipient]:
    with session_scope(engine) as session:
        return digest_recipients(session)


def compose_all(
    engine, recipients: list[Recipient], now: datetime, i18n
) -> tuple[float, dict[int, list[dict]]]:
    start = time.perf_counter()
    config = DigestConfig()
    windows = {r.subscriber_id: digest_window(r.last_digest_at, now, config) for r in recipients}
    with session_scope(engine) as session:
        corpus = DigestCorpus.load(session, set(windows.values()))
    composer = DigestComposer(corpus, i18n, config)
    parts = {r.subscriber_id: composer.compose(r, windows[r.subscriber_id]).parts() for r in recipients}
    return time.perf_counter() - start, parts


def compose_naively(engine, recipients: list[Recipient], now: datetime, i18n) -> float:
    """Per subscriber and per incident: its own queries, then the same rendering."""
    start = time.perf_counter()
    config = DigestConfig()
    for recipient in recipients:
        window = digest_window(recipient.last_digest_at, now, config)
        t = Translator(i18n, recipient.language)
        blocks = []
        with session_scope(engine) as session:
            incidents = queries.incident_directory(session)
            outlets = queries.outlet_directory(session)
            for incident in incidents:
                if recipient.incidents and incident.id not in recipient.incidents:
                    continue
                rows = queries.coverage(session, window.since, window.until, [incident.id])
                story_ids = sorted({row.story_id for row in rows if row.story_id})
                members: dict[int, list] = {}
                for member in queries.story_members(session, story_ids, window.until):
                    members.setdefault(member.story_id, []).append(member)
                stories = queries.stories_by_id(session, story_ids)
                views = story_views(rows, members, stories, outlets, window.until)[: config.top_stories]
                lines = [f"<b>{escape(incident.title_in(t.language))}</b>"]
                for view in views:
                    lines.extend(story_lines(view, t))
                blocks.append("\n".join(lines))
        pack_messages(blocks)
    return time.perf_counter() - start


def serve_telegram(chat_ids: list[int], rate: float, connection: Connection) -> None:
    """The fake Bot API server in a process of its own, as Telegram is: it shares no CPU time
    with the sender. Sends its base URL, waits for "stop", sends back what it counted."""

    async def main() -> None:
        async with FakeTelegramServer(rate_limit_per_s=rate) as server:
            for chat_id in chat_ids:
                server.add_chat(chat_id)
            connection.send(server.base_url)
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, connection.recv)
            connection.send({"replies_429": server.replies_429, "accepted": len(server.sent_messages())})

    asyncio.run(main())


def plan_broadcast(engine, parts: dict[int, list[dict]], subscribers: int) -> list[int]:
    """Record the digests of the first `subscribers` as deliveries; returns their chat ids."""
    with session_scope(engine) as session:
        chats = dict(session.execute(select(Subscriber.id, Subscriber.chat_id)).all())
        chosen = sorted(parts)[:subscribers]
        planned = [PlannedDelivery(s, DIGEST, "bench", {"parts": parts[s], "sent_parts": 0}) for s in chosen]
        plan_deliveries(session, planned, utcnow())
    return [chats[s] for s in chosen]


async def broadcast(engine, chat_ids: list[int]) -> dict[str, float]:
    """Send the planned deliveries to a fake server that allows 200 msg/s."""
    ours, theirs = multiprocessing.Pipe()
    server = multiprocessing.get_context("spawn").Process(
        target=serve_telegram, args=(chat_ids, SERVER_RATE, theirs), daemon=True
    )
    server.start()
    base_url = ours.recv()
    bot = make_bot(base_url)
    sender = Broadcaster(
        bot, engine, config=SenderConfig(rate_per_s=SENDER_RATE, max_in_flight=16), clock=utcnow
    )
    start = time.perf_counter()
    report = await sender.drain()
    elapsed = time.perf_counter() - start
    await sender.close()
    await close_bot(bot)
    ours.send("stop")
    counted = ours.recv()
    server.join(timeout=10)
    rate = report.messages_sent / elapsed
    return {
        "broadcast.messages": float(report.messages_sent),
        "broadcast.accepted_by_server": float(counted["accepted"]),
        "broadcast.seconds": elapsed,
        "broadcast.rate_msg_per_s": rate,
        "broadcast.rate_fraction_of_limit": rate / SERVER_RATE,
        "broadcast.replies_429": float(counted["replies_429"]),
        "broadcast.failed": float(report.failed),
    }


def run(quick: bool) -> dict[str, float]:
    subscribers = 1_000 if quick else 10_000
    rng = random.Random(20250703)
    now = datetime.now(UTC).replace(microsecond=0)
    i18n = create_i18n()
    with tempfile.TemporaryDirectory() as folder:
        engine = create_db_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        migrate.upgrade(engine)
        seed(engine, subscribers, now, rng)
        recipients = load_recipients(engine)
        seconds, parts = compose_all(engine, recipients, now, i18n)
        sample = rng.sample(recipients, min(NAIVE_SAMPLE, len(recipients)))
        naive = compose_naively(engine, sample, now, i18n) / len(sample) * subscribers
        messages = sum(len(p) for p in parts.values())
        results = {
            "digest.subscribers": float(subscribers),
            "digest.compose_10k_s": seconds * 10_000 / subscribers,
            "digest.compose_measured_s": seconds,
            "digest.messages_per_subscriber": messages / subscribers,
            "digest.naive_compose_10k_s": naive * 10_000 / subscribers,
            "digest.speedup_vs_naive": naive / seconds,
        }
        chat_ids = plan_broadcast(engine, parts, subscribers if quick else BROADCAST_SUBSCRIBERS)
        del parts, recipients, sample  # the service sends from the database, not from memory
        gc.collect()
        results.update(asyncio.run(broadcast(engine, chat_ids)))
        engine.dispose()
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    for key, value in run(parser.parse_args().quick).items():
        print(f"{key:40} {value:12.3f}")
