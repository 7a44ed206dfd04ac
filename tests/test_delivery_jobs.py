"""The delivery jobs end to end: the clock is injected, the fake Bot API server receives the messages."""

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel import select

from bot.delivery.broadcaster import Broadcaster, SenderConfig
from bot.delivery.chart import ChartRenderer
from bot.delivery.jobs import DeliveryDeps, catch_up, digest_job, register_delivery_jobs
from bot.delivery.schedule import due_instant, parse_digest_time, zone
from bot.i18n import create_i18n
from storage.models import Delivery, Subscriber
from storage.session import session_scope
from tests.support.clock import ManualClock
from tests.support.coverage import Coverage
from tests.support.telegram_client import close_bot, make_bot

ZONES = [
    "Asia/Baku",
    "Europe/Moscow",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Adelaide",
    "Pacific/Auckland",
    "Pacific/Pago_Pago",
]
TIMES = ["00:00", "06:45", "08:00", "09:00", "09:30", "12:15", "18:00", "23:59"]
DAY_START = datetime(2025, 7, 3, 0, 0, tzinfo=UTC)
SENDING_TIME = timedelta(minutes=1)  # a run's own pacing, on top of the 20-minute tick


@pytest.fixture
async def bot(fake_telegram):
    bot = make_bot(fake_telegram)
    yield bot
    await close_bot(bot)


def deps_for(engine, bot, clock, **sender) -> DeliveryDeps:
    config = SenderConfig(**{"rate_per_s": 5000.0, "max_in_flight": 32, **sender})
    broadcaster = Broadcaster(
        bot, engine, config=config, clock=clock, sleep=clock.sleep, attachments=ChartRenderer(engine)
    )
    return DeliveryDeps(engine=engine, broadcaster=broadcaster, i18n=create_i18n(), clock=clock)


def add_coverage(session, around: datetime) -> None:
    data = Coverage(session)
    data.incident("media-battle", "Media battle", ru="Медийная война")
    data.incident("entry-bans", "Entry bans", ru="Запреты на въезд")
    tass, apa = data.outlet("tass", "russia", "TASS"), data.outlet("apa", "azerbaijan", "APA", ["az"])
    for hour in range(-30, 30, 2):
        when = around + timedelta(hours=hour)
        data.item(tass, f"Sputnik news at {hour}", fetched_at=when, incidents=["media-battle"])
        data.item(apa, f"Visa news at {hour}", fetched_at=when, language="az", incidents=["entry-bans"])


def previous_due(digest_time: str, tz: str, before: datetime) -> datetime:
    """The last due instant before `before`: as if yesterday's digest had been sent on time."""
    day = before.astimezone(zone(tz)).date()
    while (due := due_instant(day, parse_digest_time(digest_time), zone(tz))) >= before:
        day -= timedelta(days=1)
    return due


async def test_a_thousand_subscribers_in_ten_zones_get_one_digest_each_for_the_day(
    sqlite_engine, fake_telegram, bot
):
    rng = random.Random(7)
    with session_scope(sqlite_engine) as session:
        add_coverage(session, DAY_START + timedelta(hours=12))
        data = Coverage(session)
        for n in range(1000):
            tz, at = ZONES[n % 10], rng.choice(TIMES)
            data.subscriber(
                100_000 + n,
                timezone=tz,
                digest_time=at,
                language=rng.choice(["en", "ru", "az"]),
                incidents=rng.choice([[], ["media-battle"], ["entry-bans"]]),
                last_digest_at=previous_due(at, tz, DAY_START),
                created_at=DAY_START - timedelta(days=20),
            )
            fake_telegram.add_chat(100_000 + n)
    clock = ManualClock(DAY_START)
    deps = deps_for(sqlite_engine, bot, clock)
    # One day of minute-job runs, sampled every 20 minutes, with the service down from 07:00 to 10:40.
    step, down = (
        timedelta(minutes=20),
        (DAY_START + timedelta(hours=7), DAY_START + timedelta(hours=10, minutes=40)),
    )
    ticks = [DAY_START + step * n for n in range(72)]
    ticks = [tick for tick in ticks if not down[0] <= tick < down[1]]
    for tick in ticks:
        clock.set(tick)
        await digest_job(deps)
        await deps.broadcaster.drain()
    await deps.broadcaster.close()

    received = Counter(message.chat_id for message in fake_telegram.sent_messages())
    assert len(received) == 1000 and set(received.values()) == {1}
    with session_scope(sqlite_engine) as session:
        rows = session.exec(select(Delivery, Subscriber).join(Subscriber)).all()
    assert len(rows) == 1000
    for row, subscriber in rows:
        at, tz = parse_digest_time(subscriber.digest_time), zone(subscriber.timezone)
        due = due_instant(date.fromisoformat(row.period_key), at, tz)
        assert DAY_START <= due < DAY_START + timedelta(hours=24)
        # Sent by the first run at or after its due time: on time, or at the end of the downtime.
        first_run = next(tick for tick in ticks if tick >= due)
        assert timedelta(0) <= row.sent_at - first_run <= SENDING_TIME


async def test_catch_up_plans_a_missed_digest_once_and_respects_quiet_days(sqlite_engine, fake_telegram, bot):
    now = datetime(2025, 7, 3, 12, 0, tzinfo=UTC)
    with session_scope(sqlite_engine) as session:
        add_coverage(session, now - timedelta(days=5))  # coverage only long before: a quiet day now
        data = Coverage(session)
        yesterday = now - timedelta(days=2)
        for chat, quiet_digest in ((1, True), (2, False)):
            data.subscriber(
                chat,
                timezone="Asia/Baku",
                digest_time="09:00",
                quiet_digest=quiet_digest,
                last_digest_at=yesterday,
                created_at=yesterday,
            )
            fake_telegram.add_chat(chat)
    clock = ManualClock(now)  # the service was down since the morning digest time (05:00 UTC)
    deps = deps_for(sqlite_engine, bot, clock)
    report = await catch_up(deps)
    await deps.broadcaster.drain()
    again = await catch_up(deps)
    await deps.broadcaster.drain()
    await deps.broadcaster.close()
    assert (report.digests.planned, report.digests.quiet_skipped, again.digests.planned) == (2, 1, 0)
    (message,) = fake_telegram.sent_messages()
    assert message.chat_id == 1 and "No new coverage since the last digest." in message.plain_text
    with session_scope(sqlite_engine) as session:
        statuses = dict(session.exec(select(Delivery.subscriber_id, Delivery.status)).all())
        keys = set(session.exec(select(Delivery.period_key)).all())
    assert sorted(statuses.values()) == ["sent", "skipped"] and keys == {"2025-07-03"}


async def test_a_digest_with_a_chart_arrives_as_text_then_photo(sqlite_engine, fake_telegram, bot):
    now = datetime(2025, 7, 3, 5, 0, tzinfo=UTC)
    with session_scope(sqlite_engine) as session:
        add_coverage(session, now)
        Coverage(session).subscriber(
            7,
            timezone="Asia/Baku",
            digest_time="09:00",
            chart_enabled=True,
            language="ru",
            created_at=now - timedelta(days=3),
        )
    fake_telegram.add_chat(7)
    clock = ManualClock(now)
    deps = deps_for(sqlite_engine, bot, clock)
    await digest_job(deps)
    await deps.broadcaster.drain()
    await deps.broadcaster.close()
    text, photo = fake_telegram.sent_messages(7)
    assert text.method == "sendMessage" and "Медийная война" in text.text
    assert photo.method == "sendPhoto" and photo.file[1].startswith(b"\x89PNG")
    assert photo.plain_text == "Материалы по дням за последние 14 дн."


def test_the_jobs_are_registered_with_their_triggers(sqlite_engine):
    scheduler = AsyncIOScheduler(timezone=UTC)
    deps = DeliveryDeps(engine=sqlite_engine, broadcaster=None, i18n=create_i18n(), clock=lambda: DAY_START)
    register_delivery_jobs(scheduler, deps)
    register_delivery_jobs(scheduler, deps)  # idempotent
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"delivery.digests", "delivery.spikes", "delivery.prune"}
    assert isinstance(jobs["delivery.digests"].trigger, IntervalTrigger)
    assert jobs["delivery.digests"].trigger.interval == timedelta(minutes=1)
    assert jobs["delivery.spikes"].trigger.interval == timedelta(minutes=15)
    assert isinstance(jobs["delivery.prune"].trigger, CronTrigger)
    assert all(job.max_instances == 1 and job.coalesce for job in jobs.values())
