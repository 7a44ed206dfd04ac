"""Two workers polling one PostgreSQL database at once: no feed fetched twice, no item stored twice."""

import asyncio
from datetime import timedelta

import pytest
from aiohttp import web

from feeds.fetcher import Fetcher
from feeds.pipeline import Poller, PollerConfig
from feeds.ssrf import AddressGuard
from storage.engine import create_db_engine
from storage.items import count_items
from storage.session import session_scope
from tests.support.feed_rows import FakeClock, add_feeds
from tests.support.feed_server import FeedServer, feed, fixture

pytestmark = pytest.mark.postgres
FEEDS = 40


def slow(handler, delay_s: float = 0.02):
    """A feed that takes a moment to answer, so the two workers' cycles overlap."""

    async def respond(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(delay_s)
        return await handler(request)

    return respond


def make_poller(engine, worker_id: str, clock) -> Poller:
    fetcher = Fetcher(AddressGuard("loopback"), host_delay_s=0)
    config = PollerConfig(worker_id=worker_id, batch_size=6)
    return Poller(engine, fetcher, clock=clock, jitter=lambda: 1.0, config=config)


async def test_two_workers_share_the_feeds_without_overlap(postgres_engine, postgres_url):
    body = fixture("az_atom.xml")
    async with FeedServer() as server:
        for n in range(FEEDS):
            # Distinct bodies per feed, so every feed stores its own four items.
            server.routes[f"/feed{n}"] = slow(
                feed(body.replace(b"31001", f"9{n:03}".encode()), "application/atom+xml")
            )
        add_feeds(postgres_engine, [server.url(f"/feed{n}") for n in range(FEEDS)])
        other_engine = create_db_engine(postgres_url)
        clock = FakeClock()
        try:
            async with (
                make_poller(postgres_engine, "w1", clock) as first,
                make_poller(other_engine, "w2", clock) as second,
            ):
                reports = await asyncio.gather(first.run_cycle(), second.run_cycle())
                clock.advance(timedelta(seconds=30))  # the next tick: nothing is due again yet
                again = await asyncio.gather(first.run_cycle(), second.run_cycle())
        finally:
            other_engine.dispose()
    polled = [[report.feed_id for report in cycle.feeds] for cycle in reports]
    assert all(polled), "both workers should have taken part"
    assert not set(polled[0]) & set(polled[1])
    assert sorted(polled[0] + polled[1]) == list(range(1, FEEDS + 1))
    assert set(server.hits().values()) == {1} and len(server.hits()) == FEEDS
    assert [cycle.feeds for cycle in again] == [[], []]
    with session_scope(postgres_engine) as session:
        assert count_items(session) == FEEDS * 4
