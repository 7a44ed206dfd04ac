"""Whole poll cycles against a real loopback server: healthy and hostile feeds side by side."""

import re
from datetime import datetime, timedelta

import pytest

from feeds.fetcher import Fetcher, FetchLimits
from feeds.pipeline import Poller, PollerConfig
from feeds.ssrf import AddressGuard
from storage.feeds import claim_due_feeds
from storage.fetch_events import recent_fetch_events
from storage.incidents import IncidentSpec, sync_incidents
from storage.items import count_items, list_items
from storage.matches import MatchRecord, item_matches
from storage.session import session_scope
from tests.support.feed_rows import START, FakeClock, add_feeds, load_feed
from tests.support.feed_server import (
    FeedServer,
    compression_bomb,
    feed,
    fixture,
    huge,
    redirect,
    status,
    trickle,
)

HEALTHY = {
    "/ru-utf8": (feed(fixture("ru_utf8.xml")), 4),
    "/ru-cp1251": (feed(fixture("ru_cp1251_undeclared.xml"), "application/rss+xml; charset=windows-1251"), 4),
    "/ru-koi8r": (feed(fixture("ru_koi8r_declared.xml"), "text/xml"), 4),
    "/az-atom": (feed(fixture("az_atom.xml"), "application/atom+xml", encoding="gzip"), 4),
    "/rdf": (feed(fixture("mixed_rdf.xml"), "application/rdf+xml", encoding="br"), 3),
    "/repeated-guid": (feed(fixture("repeated_guid.xml")), 3),
    "/no-guid": (feed(fixture("no_guid.xml")), 2),  # two listings of one URL are one item
    "/odd-dates": (feed(fixture("odd_dates.xml")), 4),
    "/moved-new": (feed(fixture("unrelated_en.xml")), 2),  # reached through /moved-old
}

HOSTILE = {
    "/trickle": (trickle(every_s=0.05), "timed out after 0.5 s"),
    "/500": (status(500), "HTTP 500 Internal Server Error"),
    "/404": (status(404), "HTTP 404 Not Found"),
    "/410": (status(410), "HTTP 410 Gone"),
    "/429": (status(429, {"Retry-After": "3600"}), "HTTP 429 Too Many Requests"),
    "/loop-a": (redirect("/loop-b"), "redirect loop"),
    "/private": (redirect("http://192.168.1.1/feed"), "blocked: 192.168.1.1 is a private address"),
    "/huge": (huge(10 * 1024 * 1024, declare_length=False), "body exceeds the 5 MiB limit"),
    "/bomb": (compression_bomb("gzip"), "decompressed body exceeds the size limit"),
    "/html": (feed(fixture("not_a_feed.html"), "text/html; charset=utf-8"), "not a feed"),
    "/empty": (status(200), "empty body"),
    "/laughs": (
        feed(fixture("billion_laughs.xml"), "application/xml"),
        "refused: the DOCTYPE declares entities",
    ),
    "/xxe": (feed(fixture("xxe.xml"), "application/xml"), "refused: the DOCTYPE declares entities"),
}

INCIDENTS = [
    IncidentSpec("yekaterinburg-raids", {"en": "Yekaterinburg raids"}, {}),
    IncidentSpec("sputnik-detentions", {"en": "Sputnik Azerbaijan detentions"}, {}),
]


def keyword_matcher(title: str, summary: str, language: str | None, published: datetime) -> list[MatchRecord]:
    """A stand-in for the real matcher: one keyword per incident."""
    found = []
    for incident, keyword in (("yekaterinburg-raids", "Екатеринбург"), ("sputnik-detentions", "Спутник")):
        if keyword in title:
            found.append(MatchRecord(incident, 1.0, [{"term": keyword, "field": "title"}]))
    return found


@pytest.fixture
async def server():
    async with FeedServer() as running:
        running.routes.update({path: handler for path, (handler, _) in HEALTHY.items()})
        running.routes.update({path: handler for path, (handler, _) in HOSTILE.items()})
        running.routes["/loop-b"] = redirect("/loop-a")
        running.routes["/moved-old"] = redirect("/moved-mid", 301)
        running.routes["/moved-mid"] = redirect("/moved-new", 308)
        yield running


def make_poller(engine, clock, **options) -> Poller:
    fetcher = Fetcher(
        AddressGuard("loopback"),
        limits=FetchLimits(total_timeout_s=0.5, connect_timeout_s=0.5),
        host_delay_s=0,
    )
    return Poller(
        engine, fetcher, clock=clock, jitter=lambda: 1.0, config=PollerConfig(worker_id="test"), **options
    )


def feed_paths() -> list[str]:
    return [path for path in HEALTHY if path != "/moved-new"] + ["/moved-old", *HOSTILE]


def add_incidents(engine) -> None:
    with session_scope(engine) as session:
        sync_incidents(session, INCIDENTS)


async def test_one_cycle_with_hostile_feeds_stores_every_healthy_feed_in_full(engine, server):
    add_incidents(engine)
    paths = feed_paths()
    # An outlet each: several fixtures carry the same articles, which one outlet would store once.
    ids = dict(zip(paths, add_feeds(engine, [server.url(path) for path in paths]), strict=True))
    clock = FakeClock()
    disabled = []

    async def on_feed_disabled(feed, reason):
        disabled.append((feed.id, reason))

    async with make_poller(
        engine, clock, matcher=keyword_matcher, on_feed_disabled=on_feed_disabled
    ) as poller:
        report = await poller.run_cycle()

    by_id = {feed_report.feed_id: feed_report for feed_report in report.feeds}
    assert len(by_id) == len(paths)
    assert (report.ok, report.failed) == (len(HEALTHY), len(HOSTILE))
    with session_scope(engine) as session:
        for path, (_, expected_items) in HEALTHY.items():
            feed_id = ids["/moved-old" if path == "/moved-new" else path]
            assert count_items(session, feed_id) == expected_items, path
            assert by_id[feed_id].new_items == expected_items
    for path, (_, reason) in HOSTILE.items():
        feed = load_feed(engine, ids[path])
        assert feed.last_error.startswith(reason), (path, feed.last_error)
        assert by_id[ids[path]].error.startswith(reason)
        assert feed.consecutive_errors == 1 and feed.first_error_at == START
        with session_scope(engine) as session:
            (event,) = recent_fetch_events(session, ids[path])
        assert event.outcome == "error" and event.error.startswith(reason) and event.worker == "test"

    # The first failures keep the normal rhythm; a 429 waits for its Retry-After; a 410 is the end.
    for path in set(HOSTILE) - {"/429", "/410"}:
        assert load_feed(engine, ids[path]).next_check_at == START + timedelta(seconds=900), path
    assert load_feed(engine, ids["/429"]).next_check_at == START + timedelta(seconds=3600)
    gone = load_feed(engine, ids["/410"])
    assert gone.status == "disabled" and "410" in gone.disabled_reason
    assert disabled == [(ids["/410"], gone.disabled_reason)]

    # A chain of permanent redirects moved the feed. Entries hours apart: checked hourly (the feed's
    # <ttl> of 20 minutes is only a floor).
    assert load_feed(engine, ids["/moved-old"]).url == server.url("/moved-new")
    assert load_feed(engine, ids["/ru-utf8"]).next_check_at == START + timedelta(hours=1)
    assert report.matched_items == 6  # in each of the three Russian feeds: the raids and the Sputnik story
    with session_scope(engine) as session:
        items = {item.title: item for item in list_items(session, ids["/ru-utf8"])}
        raids = items["В Екатеринбурге прошли задержания выходцев из Азербайджана"]
        assert [match.incident_id for match in item_matches(session, raids.id)] == ["yekaterinburg-raids"]
        xxe_items = count_items(session, ids["/xxe"])
    assert xxe_items == 0


async def test_the_second_cycle_parses_nothing_and_stores_nothing_twice(sqlite_engine, server):
    paths = [path for path in HEALTHY if path != "/moved-new"]
    ids = add_feeds(sqlite_engine, [server.url(path) for path in paths])
    clock = FakeClock()
    async with make_poller(sqlite_engine, clock) as poller:
        first = await poller.run_cycle()
        clock.advance(timedelta(hours=5))
        second = await poller.run_cycle()
    assert first.ok == len(paths)
    assert (second.not_modified, second.new_items) == (len(paths), 0)
    assert {report.outcome for report in second.feeds} == {"not_modified"}
    with session_scope(sqlite_engine) as session:
        assert count_items(session) == sum(HEALTHY[path][1] for path in paths)
        assert recent_fetch_events(session, ids[0])[0].outcome == "not_modified"


async def test_an_edited_headline_updates_the_item_and_a_reshuffled_feed_adds_nothing(sqlite_engine, server):
    original = fixture("ru_utf8.xml")
    server.routes["/rss"] = feed(original, etag=False, last_modified=None)
    (feed_id,) = add_feeds(sqlite_engine, [server.url("/rss")])
    add_incidents(sqlite_engine)
    clock = FakeClock()
    async with make_poller(sqlite_engine, clock, matcher=keyword_matcher) as poller:
        await poller.run_cycle()
        clock.advance(timedelta(hours=1))
        same_body = await poller.run_cycle()
        assert [report.outcome for report in same_body.feeds] == ["unchanged"]

        edited = original.decode().replace(
            "В Баку задержаны сотрудники «Спутник Азербайджан»",
            "Двое сотрудников «Спутник Азербайджан» арестованы",
        )
        server.routes["/rss"] = feed(edited.encode(), etag=False, last_modified=None)
        clock.advance(timedelta(hours=1))
        (report,) = (await poller.run_cycle()).feeds
        assert (report.outcome, report.new_items, report.updated_items, report.matched_items) == (
            "ok",
            0,
            1,
            1,
        )

        # A restarted outlet re-serving the same items in another order, with a new build date.
        items = re.findall(r"<item>.*?</item>", edited, re.S)
        head = (
            edited[: edited.index("<item>")] + "<lastBuildDate>Tue, 01 Jul 2025 15:00:00 GMT</lastBuildDate>"
        )
        reshuffled = head + "".join(reversed(items)) + "</channel></rss>"
        server.routes["/rss"] = feed(reshuffled.encode(), etag=False, last_modified=None)
        clock.advance(timedelta(hours=1))
        (report,) = (await poller.run_cycle()).feeds
        assert (report.outcome, report.new_items, report.updated_items) == ("ok", 0, 0)

        # An edit that no longer names the incident takes the item's tag away.
        untagged = reshuffled.replace("«Спутник Азербайджан»", "агентства")
        server.routes["/rss"] = feed(untagged.encode(), etag=False, last_modified=None)
        clock.advance(timedelta(hours=1))
        (report,) = (await poller.run_cycle()).feeds
        assert (report.updated_items, report.matched_items) == (1, 0)
    with session_scope(sqlite_engine) as session:
        items = {item.title: item.id for item in list_items(session, feed_id)}
        assert len(items) == 4 and "Двое сотрудников агентства арестованы" in items
        assert item_matches(session, items["Двое сотрудников агентства арестованы"]) == []


async def test_failures_back_off_then_disable_after_a_week_and_success_resets(sqlite_engine, server):
    server.routes["/flaky"] = status(503)
    (feed_id,) = add_feeds(sqlite_engine, [server.url("/flaky")])
    clock = FakeClock()
    disabled = []

    async def on_feed_disabled(feed, reason):
        disabled.append(reason)

    delays = []
    async with make_poller(sqlite_engine, clock, on_feed_disabled=on_feed_disabled) as poller:
        for _ in range(6):
            await poller.run_cycle()
            row = load_feed(sqlite_engine, feed_id)
            delays.append(int((row.next_check_at - clock.now).total_seconds()))
            clock.now = row.next_check_at
        assert delays == [900, 900, 900, 1800, 3600, 7200]

        server.routes["/flaky"] = feed(fixture("ru_utf8.xml"))
        await poller.run_cycle()
        healed = load_feed(sqlite_engine, feed_id)
        assert (healed.consecutive_errors, healed.first_error_at, healed.last_error) == (0, None, None)

        server.routes["/flaky"] = status(500)
        clock.now = healed.next_check_at
        while load_feed(sqlite_engine, feed_id).status == "active":
            await poller.run_cycle()
            clock.now = max(clock.now, load_feed(sqlite_engine, feed_id).next_check_at)
    row = load_feed(sqlite_engine, feed_id)
    assert row.status == "disabled" and row.disabled_reason == "failing for 7 days"
    assert clock.now - row.first_error_at >= timedelta(days=7)
    assert disabled == ["failing for 7 days"]


async def test_poll_by_id_ignores_the_schedule_and_leased_feeds_are_left_alone(sqlite_engine, server):
    mine, leased = add_feeds(
        sqlite_engine, [server.url("/ru-utf8"), server.url("/az-atom")], due_at=START + timedelta(days=1)
    )
    clock = FakeClock()
    with session_scope(sqlite_engine) as session:
        claim_due_feeds(
            session, owner="other", now=START, lease=timedelta(minutes=10), limit=5, feed_ids=[leased]
        )
    async with make_poller(sqlite_engine, clock) as poller:
        assert (await poller.run_cycle()).feeds == []  # nothing due yet
        report = await poller.run_cycle(feed_ids=[mine, leased])
    assert [feed_report.feed_id for feed_report in report.feeds] == [mine]
    assert server.hits()["/az-atom"] == 0


async def test_a_crashing_matcher_fails_only_its_feed(sqlite_engine, server):
    def broken_matcher(title, summary, language, published):
        if "Екатеринбург" in title:
            raise RuntimeError("matcher bug")
        return []

    crashing, fine = add_feeds(sqlite_engine, [server.url("/ru-utf8"), server.url("/az-atom")])
    async with make_poller(sqlite_engine, FakeClock(), matcher=broken_matcher) as poller:
        report = await poller.run_cycle()
    outcomes = {feed_report.feed_id: feed_report for feed_report in report.feeds}
    assert outcomes[crashing].outcome == "error" and "matcher bug" in outcomes[crashing].error
    assert outcomes[fine].new_items == 4
    with session_scope(sqlite_engine) as session:
        assert count_items(session, crashing) == 0  # the transaction rolled back as a whole
    assert load_feed(sqlite_engine, crashing).content_hash is None  # so the next cycle parses again
