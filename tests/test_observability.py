from collections import Counter

import aiohttp
import pytest

from bot.observability import (
    FEEDS_POLLED,
    ITEMS_STORED,
    MATCHES,
    Health,
    record_cycle,
    start_metrics_server,
)
from feeds.pipeline import CycleReport, FeedReport


@pytest.fixture
async def served(sqlite_engine, unused_tcp_port):
    state = {"scheduler": True}
    health = Health(sqlite_engine, scheduler_running=lambda: state["scheduler"])
    runner = await start_metrics_server(health, unused_tcp_port, host="127.0.0.1")
    yield health, state, f"http://127.0.0.1:{unused_tcp_port}"
    await runner.cleanup()


async def test_healthz_reports_database_scheduler_and_poll_age(served):
    health, state, base = served
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/healthz") as response:
            body = await response.json()
            assert response.status == 200
            assert body["database"] and body["scheduler"] and body["last_poll_age_s"] is None
        health.poll_succeeded()
        state["scheduler"] = False
        async with http.get(f"{base}/healthz") as response:
            body = await response.json()
            assert response.status == 503
            assert body["status"] == "failing" and body["last_poll_age_s"] < 5


async def test_metrics_are_in_prometheus_text_format(served):
    _, _, base = served
    FEEDS_POLLED.labels(outcome="ok").inc()
    async with aiohttp.ClientSession() as http, http.get(f"{base}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        assert 'crisisdesk_feeds_polled_total{outcome="ok"}' in await response.text()


def test_cycles_and_matches_are_counted(sqlite_engine):
    health = Health(sqlite_engine, scheduler_running=lambda: True)
    before_ok = FEEDS_POLLED.labels(outcome="ok")._value.get()
    before_items = ITEMS_STORED._value.get()
    report = CycleReport(
        [FeedReport(1, "u", "ok", new_items=3), FeedReport(2, "v", "error", error="HTTP 500")]
    )
    record_cycle(health, report)
    assert FEEDS_POLLED.labels(outcome="ok")._value.get() == before_ok + 1
    assert ITEMS_STORED._value.get() == before_items + 3
    assert health.last_poll_at is not None

    before = MATCHES.labels(incident="entry-bans")._value.get()
    record_cycle(health, CycleReport([FeedReport(3, "w", "ok", incidents=Counter({"entry-bans": 2}))]))
    assert MATCHES.labels(incident="entry-bans")._value.get() == before + 2
