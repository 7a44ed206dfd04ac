"""The long-running side: the scheduler job in `crisisdesk worker` and in the service."""

import asyncio

from bot.runtime import Runtime
from bot.service import run_service
from bot.settings import load_settings
from feeds.fetcher import Fetcher
from feeds.pipeline import Poller, PollerConfig
from feeds.ssrf import AddressGuard
from feeds.worker import run_worker
from storage.columns import utcnow
from storage.items import count_items
from storage.session import session_scope
from tests.support.feed_rows import add_feeds, load_feed
from tests.support.feed_server import FeedServer, feed, fixture


async def wait_for(condition, timeout_s: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


async def test_worker_polls_due_feeds_at_once_and_stops_cleanly(sqlite_engine):
    async with FeedServer() as server:
        server.routes["/rss"] = feed(fixture("ru_utf8.xml"))
        (feed_id,) = add_feeds(sqlite_engine, [server.url("/rss")], due_at=utcnow())
        poller = Poller(
            sqlite_engine,
            Fetcher(AddressGuard("loopback"), host_delay_s=0),
            config=PollerConfig(worker_id="w"),
        )
        stop = asyncio.Event()
        worker = asyncio.create_task(run_worker(poller, stop, tick_s=60))
        await wait_for(lambda: load_feed(sqlite_engine, feed_id).last_success_at is not None)
        stop.set()
        await asyncio.wait_for(worker, 5)
    with session_scope(sqlite_engine) as session:
        assert count_items(session, feed_id) == 4
    assert server.hits()["/rss"] == 1  # the next tick is a minute away


async def test_the_service_polls_feeds(sqlite_engine):
    async with FeedServer() as server:
        server.routes["/rss"] = feed(fixture("az_atom.xml"), "application/atom+xml")
        (feed_id,) = add_feeds(sqlite_engine, [server.url("/rss")], due_at=utcnow())
        settings = load_settings(
            database_url=str(sqlite_engine.url),
            allow_private_feeds="loopback",
            poll_host_delay_s=0,
            bot_token="",
        )
        runtime = Runtime(settings, _engine=sqlite_engine)
        stop = asyncio.Event()
        service = asyncio.create_task(run_service(runtime, stop))
        await wait_for(lambda: load_feed(sqlite_engine, feed_id).last_success_at is not None, timeout_s=15)
        stop.set()
        await asyncio.wait_for(service, 10)
    assert load_feed(sqlite_engine, feed_id).lease_owner is None
