"""Health and Prometheus metrics on METRICS_PORT: `/healthz` and `/metrics`.

Metrics are counted here, in the composition root, from what the pipeline and the sender report,
so `feeds` and `storage` stay free of any monitoring library.
"""

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, generate_latest
from sqlalchemy import Engine, text

from bot.delivery.broadcaster import DrainReport
from feeds.pipeline import CycleReport
from storage.columns import utcnow
from storage.deliveries import oldest_owed_at
from storage.session import session_scope

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)
FEEDS_POLLED = Counter("crisisdesk_feeds_polled", "Feed fetches by outcome", ["outcome"], registry=REGISTRY)
ITEMS_STORED = Counter("crisisdesk_items_stored", "New items stored", registry=REGISTRY)
MATCHES = Counter("crisisdesk_matches", "Items tagged, by incident", ["incident"], registry=REGISTRY)
MESSAGES = Counter(
    "crisisdesk_messages", "Messages to subscribers by outcome", ["outcome"], registry=REGISTRY
)
TELEGRAM_429 = Counter(
    "crisisdesk_telegram_429", "Too Many Requests replies from Telegram", registry=REGISTRY
)
BROADCAST_LAG = Gauge(
    "crisisdesk_broadcast_lag_seconds",
    "Age of the oldest delivery still owed to a subscriber",
    registry=REGISTRY,
)
LAST_POLL = Gauge(
    "crisisdesk_last_successful_poll_timestamp", "Unix time of the last poll cycle", registry=REGISTRY
)


@dataclass
class Health:
    """What /healthz reports: the database answers, the scheduler runs, polling is recent."""

    engine: Engine
    scheduler_running: Callable[[], bool]
    max_poll_age_s: float = 3600.0
    last_poll_at: float | None = field(default=None)

    def poll_succeeded(self) -> None:
        self.last_poll_at = time.time()
        LAST_POLL.set(self.last_poll_at)

    def database_ok(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except Exception as error:  # any failure means "not healthy"; the reason goes to the log
            log.warning("health check: database unreachable: %s", error)
            return False

    def update_broadcast_lag(self) -> None:
        with session_scope(self.engine) as session:
            oldest = oldest_owed_at(session)
        BROADCAST_LAG.set(0 if oldest is None else (utcnow() - oldest).total_seconds())

    async def report(self) -> tuple[bool, dict]:
        database = await asyncio.to_thread(self.database_ok)
        scheduler = self.scheduler_running()
        age = None if self.last_poll_at is None else round(time.time() - self.last_poll_at, 1)
        polling = age is not None and age <= self.max_poll_age_s
        healthy = database and scheduler
        return healthy, {
            "status": "ok" if healthy else "failing",
            "database": database,
            "scheduler": scheduler,
            "last_poll_age_s": age,
            "polling_recent": polling,
        }


def record_cycle(health: Health, report: CycleReport) -> None:
    """Count a completed poll cycle: fetches by outcome, new items, matches; polling is alive."""
    for feed in report.feeds:
        FEEDS_POLLED.labels(outcome=feed.outcome).inc()
        for incident, count in feed.incidents.items():
            MATCHES.labels(incident=incident).inc(count)
    ITEMS_STORED.inc(report.new_items)
    health.poll_succeeded()


def record_drain(report: DrainReport) -> None:
    """Count a finished broadcaster run."""
    MESSAGES.labels(outcome="sent").inc(report.messages_sent)
    MESSAGES.labels(outcome="failed").inc(report.failed)
    MESSAGES.labels(outcome="chat_deactivated").inc(report.deactivated)
    TELEGRAM_429.inc(report.replies_429)


def create_app(health: Health) -> web.Application:
    async def healthz(_request: web.Request) -> web.Response:
        healthy, body = await health.report()
        return web.Response(
            text=json.dumps(body), status=200 if healthy else 503, content_type="application/json"
        )

    async def metrics(_request: web.Request) -> web.Response:
        if await asyncio.to_thread(health.database_ok):
            await asyncio.to_thread(health.update_broadcast_lag)
        response = web.Response(body=generate_latest(REGISTRY))
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app


async def start_metrics_server(health: Health, port: int, host: str = "0.0.0.0") -> web.AppRunner:
    runner = web.AppRunner(create_app(health), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("health and metrics on http://%s:%d/healthz and /metrics", host, port)
    return runner
