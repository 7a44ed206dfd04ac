"""The delivery jobs: plan digests every minute, check for spikes every 15 minutes, prune daily.

Planning writes delivery rows (the unique key makes a second planning of the same period a
no-op); the broadcaster sends them. Nothing here sleeps or reads the system time: `deps.clock`
is the only clock. `catch_up` runs at start-up, so what fell due while the service was down is
planned and sent then, not dropped; the every-minute rule ("the latest due period without a row")
makes the same catch-up happen after any gap in the scheduler's runs.
"""

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aiogram.utils.i18n import I18n
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from bot.delivery.alerts import AlertRules, choose_alerts, detect_spikes, plan_alerts
from bot.delivery.broadcaster import Broadcaster, Clock
from bot.delivery.digest import DigestComposer, DigestConfig, DigestCorpus, digest_window
from bot.delivery.schedule import DigestPeriod, due_period, parse_digest_time, zone
from storage import deliveries as store
from storage.digest_queries import incident_directory
from storage.session import session_scope

log = logging.getLogger(__name__)

# Who was served this recently cannot be due again (short of moving across the globe); skipping
# them keeps the every-minute scan small.
RECENTLY_SERVED = timedelta(hours=6)


@dataclass
class DeliveryDeps:
    """What the delivery jobs need; the service builds one and hands it to `register_delivery_jobs`."""

    engine: Engine
    broadcaster: Broadcaster
    i18n: I18n
    clock: Clock
    digest: DigestConfig = field(default_factory=DigestConfig)
    alerts: AlertRules = field(default_factory=AlertRules)
    keep_deliveries: timedelta = timedelta(days=30)


@dataclass
class PlanReport:
    due: int = 0
    planned: int = 0  # rows written: messages owed, or quiet days recorded as skipped
    quiet_skipped: int = 0


def _due(recipient: store.Recipient, now: datetime) -> DigestPeriod | None:
    try:
        at = parse_digest_time(recipient.digest_time)
    except ValueError:
        log.warning(
            "subscriber %d has an unreadable digest time %r", recipient.subscriber_id, recipient.digest_time
        )
        return None
    not_before = max(recipient.created_at, recipient.last_digest_at or recipient.created_at)
    return due_period(now, at, zone(recipient.timezone), not_before)


def plan_due_digests(deps: DeliveryDeps) -> PlanReport:
    """Compose and record the digest of every subscriber whose local digest time has passed today
    (or yesterday, after downtime) and who has no digest row for that day yet."""
    now = deps.clock()
    report = PlanReport()
    with session_scope(deps.engine) as session:
        recipients = store.digest_recipients(session, last_digest_before=now - RECENTLY_SERVED)
        due = [(recipient, period) for recipient in recipients if (period := _due(recipient, now))]
        planned_already = store.existing_keys(
            session, store.DIGEST, [(recipient.subscriber_id, period.key) for recipient, period in due]
        )
        due = [(r, p) for r, p in due if (r.subscriber_id, p.key) not in planned_already]
        report.due = len(due)
        if not due:
            return report
        windows = {r.subscriber_id: digest_window(r.last_digest_at, now, deps.digest) for r, _ in due}
        corpus = DigestCorpus.load(session, set(windows.values()))
        composer = DigestComposer(corpus, deps.i18n, deps.digest)
        planned = []
        for recipient, period in due:
            window = windows[recipient.subscriber_id]
            digest = composer.compose(recipient, window)
            payload = {**digest.payload(window), "due_at": period.due_at.isoformat()}
            status = store.PENDING if digest.parts() else store.SKIPPED
            report.quiet_skipped += status == store.SKIPPED
            planned.append(
                store.PlannedDelivery(recipient.subscriber_id, store.DIGEST, period.key, payload, status)
            )
        report.planned = len(store.plan_digests(session, planned, now))
    return report


def plan_spike_alerts(deps: DeliveryDeps) -> int:
    """Detect spikes and plan the alerts they warrant; returns the number planned."""
    now = deps.clock()
    with session_scope(deps.engine) as session:
        spikes = detect_spikes(session, now, deps.alerts)
        if not spikes:
            return 0
        recipients = store.alert_recipients(session)
        history = store.recent_keys(session, store.ALERT, now - timedelta(days=1))
        choices = choose_alerts(spikes, recipients, history, now, deps.alerts)
        planned = plan_alerts(choices, incident_directory(session), deps.i18n)
        return len(store.plan_deliveries(session, planned, now))


def prune(deps: DeliveryDeps) -> int:
    with session_scope(deps.engine) as session:
        return store.prune_deliveries(session, deps.clock() - deps.keep_deliveries)


async def digest_job(deps: DeliveryDeps) -> PlanReport:
    report = await asyncio.to_thread(plan_due_digests, deps)
    if report.planned:
        log.info("planned %d digests (%d quiet days without a message)", report.planned, report.quiet_skipped)
    deps.broadcaster.kick()  # also picks up rows whose sender died, once their lease ran out
    return report


async def spike_job(deps: DeliveryDeps) -> int:
    planned = await asyncio.to_thread(plan_spike_alerts, deps)
    if planned:
        log.info("planned %d spike alerts", planned)
        deps.broadcaster.kick()
    return planned


async def prune_job(deps: DeliveryDeps) -> int:
    pruned = await asyncio.to_thread(prune, deps)
    log.info("pruned %d old deliveries", pruned)
    return pruned


def register_delivery_jobs(scheduler: BaseScheduler, deps: DeliveryDeps) -> None:
    """Add the delivery jobs to the service's scheduler (an AsyncIOScheduler in UTC)."""
    common = {"args": [deps], "max_instances": 1, "coalesce": True, "replace_existing": True}
    scheduler.add_job(
        digest_job, IntervalTrigger(minutes=1), id="delivery.digests", misfire_grace_time=60, **common
    )
    scheduler.add_job(
        spike_job, IntervalTrigger(minutes=15), id="delivery.spikes", misfire_grace_time=300, **common
    )
    scheduler.add_job(
        prune_job, CronTrigger(hour=3, minute=17), id="delivery.prune", misfire_grace_time=3600, **common
    )


@dataclass
class CatchUpReport:
    digests: PlanReport
    alerts: int


async def catch_up(deps: DeliveryDeps) -> CatchUpReport:
    """At start-up: plan what fell due while the service was down and start sending everything
    still owed (rows a crashed sender held are resumed once their lease has run out)."""
    digests = await asyncio.to_thread(plan_due_digests, deps)
    alerts = await asyncio.to_thread(plan_spike_alerts, deps)
    await asyncio.to_thread(prune, deps)
    log.info("catch-up: %d digests and %d alerts planned", digests.planned, alerts)
    deps.broadcaster.kick()
    return CatchUpReport(digests, alerts)


async def stop_delivery(deps: DeliveryDeps) -> None:
    """At shutdown, after the scheduler: finish the messages on the wire, hand held rows back."""
    await deps.broadcaster.close()
