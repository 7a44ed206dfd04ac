"""`crisisdesk demo`: the whole product offline, in under a minute.

Sample feeds are served on a loopback port and polled through the real pipeline (fetch, parse,
normalise, deduplicate, tag, store, group into stories) into a fresh SQLite file; then a demo
subscriber talks to the real bot handlers in this process: the digest, the trend chart, lookups.
"""

from dataclasses import dataclass
from pathlib import Path

from bot.demo.sample_feeds import SampleFeed, load_sample_feeds
from bot.demo.server import SampleFeedServer
from bot.runtime import Runtime
from bot.settings import PrivateFeeds, load_settings
from bot.telegram.dispatcher import BotDeps
from bot.telegram.offline import OfflineBot, render
from feeds.grouping import group_new_items
from feeds.pipeline import CycleReport
from storage.columns import utcnow
from storage.feeds import add_feed, list_feeds, set_feed_enabled
from storage.outlets import get_outlet_by_slug
from storage.session import session_scope
from storage.stories import count_stories

DEMO_USER = 424242
# What the demo subscriber asks, in order: (caption, message).
CONVERSATION = (
    ("subscribe to the daily digest", "/subscribe"),
    ("the digest, as it would arrive this morning", "/digest"),
    ("the 14-day trend chart", "/trend"),
    ("an incident card", "/incident azal"),
    ("the archive, with the taxonomy's query syntax", '/search сафаров* OR safarov* OR "səfərov qardaşları"'),
)


@dataclass
class DemoStep:
    caption: str
    message: str
    reply: str  # as plain text, files saved and named


def _use_sample_feeds(rt: Runtime, feeds: list[SampleFeed], server: SampleFeedServer) -> None:
    """Only the sample feeds are polled: the seeds' real outlet feeds are switched off here."""
    now = utcnow()
    with session_scope(rt.engine) as session:
        for row in list_feeds(session):
            set_feed_enabled(session, row.feed.id, False, now, reason="demo: sample feeds only")
        for feed in feeds:
            outlet = get_outlet_by_slug(session, feed.outlet)
            add_feed(session, server.url(feed), outlet.id, feed.language, origin="demo")


async def run_demo(workdir: Path) -> tuple[CycleReport, int, list[DemoStep]]:
    """Poll the sample feeds into `workdir`/demo.db and hold the demo conversation."""
    settings = load_settings(
        database_url=f"sqlite:///{workdir / 'demo.db'}",
        allow_private_feeds=PrivateFeeds.LOOPBACK,
        poll_host_delay_s=0.0,  # one local server plays every outlet: no politeness needed
        bot_token=None,
        metrics_port=None,
    )
    for stale in workdir.glob("demo.db*"):  # a fresh database every run, even in a kept folder
        stale.unlink()
    rt = Runtime(settings)
    try:
        rt.prepare()
        feeds = load_sample_feeds()
        async with SampleFeedServer(feeds, utcnow()) as server:
            _use_sample_feeds(rt, feeds, server)
            async with rt.poller() as poller:
                cycle = await poller.run_cycle()
        group_new_items(rt.engine, rt.story_grouper)
        with session_scope(rt.engine) as session:
            stories = count_stories(session)
        bot = OfflineBot(BotDeps(rt.engine, settings, rt.knowledge))
        steps = []
        for caption, message in CONVERSATION:
            replies = await bot.send(message, user_id=DEMO_USER, language_code="en")
            steps.append(DemoStep(caption, message, render(replies, workdir)))
        return cycle, stories, steps
    finally:
        rt.close()
