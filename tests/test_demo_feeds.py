"""The demo's bundled sample feeds: content that shows the product off, and documents any feed reader parses."""

from __future__ import annotations

import calendar
import xml.etree.ElementTree as ET
from collections import defaultdict
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from xml.sax.saxutils import escape

import feedparser
import pydantic
import pytest
import yaml

from bot.demo.sample_feeds import (
    SampleFeed,
    SampleItem,
    load_sample_feeds,
    published_at,
    render_feed,
)

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
# An odd moment on purpose: Baku time (UTC+4) and a fraction of a second, as the demo's clock will have.
NOW = datetime(2025, 7, 20, 15, 42, 7, 654321, tzinfo=timezone(timedelta(hours=4)))

FEEDS = load_sample_feeds()
ITEMS = [(feed, item) for feed in FEEDS for item in feed.items]
OUTLETS = {o["slug"]: o for o in yaml.safe_load((SEEDS / "outlets.yaml").read_text("utf-8"))["outlets"]}
INCIDENT_IDS = [i["id"] for i in yaml.safe_load((SEEDS / "incidents.yaml").read_text("utf-8"))["incidents"]]


def side(feed: SampleFeed) -> str:
    return OUTLETS[feed.outlet]["side"]


# ---------------------------------------------------------------- content


def test_about_a_dozen_feeds_of_15_to_25_items():
    assert 12 <= len(FEEDS) <= 16
    assert {feed.outlet: len(feed.items) for feed in FEEDS if not 15 <= len(feed.items) <= 25} == {}
    assert 220 <= len(ITEMS) <= 280


def test_every_feed_belongs_to_a_known_outlet_in_one_of_its_languages():
    for feed in FEEDS:
        outlet = OUTLETS.get(feed.outlet)
        assert outlet is not None, f"{feed.outlet} is not in seeds/outlets.yaml"
        assert feed.language in outlet["languages"], feed.outlet
        assert feed.link == outlet["homepage"], feed.outlet


def test_both_sides_and_international_outlets_in_all_three_languages():
    sides = defaultdict(set)
    for feed in FEEDS:
        sides[side(feed)].add(feed.outlet)
    assert {name: len(outlets) >= 3 for name, outlets in sides.items()} == {
        "russia": True,
        "azerbaijan": True,
        "international": True,
    }
    assert {feed.language for feed in FEEDS} == {"ru", "az", "en"}


@pytest.mark.parametrize("incident", INCIDENT_IDS)
def test_every_incident_is_reported_by_two_sides(incident):
    outlets = {feed.outlet for feed, item in ITEMS if incident in item.incidents}
    assert len(outlets) >= 2
    assert len({side(next(f for f in FEEDS if f.outlet == slug)) for slug in outlets}) >= 2


def test_plenty_of_unrelated_news_for_the_matcher_to_ignore():
    unrelated = [item for _, item in ITEMS if not item.incidents]
    assert len(unrelated) >= 0.4 * len(ITEMS)


def test_a_full_last_day_and_every_earlier_day_of_the_trend_chart_has_news():
    last_day = sum(item.hours_ago < 24 for _, item in ITEMS)
    assert 0.5 <= last_day / len(ITEMS) <= 0.7
    days = {int(item.hours_ago // 24) for _, item in ITEMS}
    assert days == set(range(14))


def test_a_burst_on_one_incident_across_sides_within_the_last_two_hours():
    """5+ reports from 3+ outlets within two hours is the spike-alert case of the demo."""
    recent = defaultdict(list)
    for feed, item in ITEMS:
        if item.hours_ago < 2:
            for incident in item.incidents:
                recent[incident].append(feed)
    bursts = {
        incident: feeds
        for incident, feeds in recent.items()
        if len(feeds) >= 5 and len({f.outlet for f in feeds}) >= 3 and len({side(f) for f in feeds}) >= 2
    }
    assert bursts, {incident: len(feeds) for incident, feeds in recent.items()}


def test_escaping_cases_are_part_of_the_demo():
    assert any("<script>" in item.title and "&" in item.title for _, item in ITEMS)
    assert sum("<p>" in item.summary for _, item in ITEMS) >= 3
    assert any("&amp;" in item.summary for _, item in ITEMS)
    assert any("&quot;" in item.summary for _, item in ITEMS)
    assert any(item.guid is None for _, item in ITEMS)
    assert {feed.format for feed in FEEDS} == {"rss", "atom", "rdf"}
    assert "windows-1251" in {feed.encoding for feed in FEEDS}


# ---------------------------------------------------------------- rendering

_ATOM = "{http://www.w3.org/2005/Atom}"
_RSS1 = "{http://purl.org/rss/1.0/}"


def _summaries(root: ET.Element, fmt: str) -> list[str | None]:
    """The summary text of every entry, read straight from the XML tree."""
    if fmt == "rss":
        return [item.findtext("description") for item in root.iter("item")]
    if fmt == "atom":
        return [entry.findtext(f"{_ATOM}summary") for entry in root.iter(f"{_ATOM}entry")]
    return [item.findtext(f"{_RSS1}description") for item in root.iter(f"{_RSS1}item")]


@pytest.mark.parametrize("feed", FEEDS, ids=lambda feed: feed.outlet)
def test_rendered_feed_is_well_formed_and_reads_back_intact(feed):
    document, content_type = render_feed(feed, NOW)

    assert content_type == f"application/{feed.format}+xml; charset={feed.encoding}"
    assert document.startswith(f'<?xml version="1.0" encoding="{feed.encoding}"?>'.encode())
    root = ET.fromstring(document)  # raises on anything not well-formed
    assert _summaries(root, feed.format) == [item.summary for item in feed.items]
    assert not list(root.iter("script"))

    parsed = feedparser.parse(document)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == feed.title
    assert len(parsed.entries) == len(feed.items)
    for item, entry in zip(feed.items, parsed.entries, strict=True):
        assert entry.title == item.title
        assert entry.link == item.link
        expected_id = item.guid or (None if feed.format == "rss" else item.link)
        assert entry.get("id") == expected_id
        moment = entry.get("published_parsed") or entry.get("updated_parsed")
        expected = NOW - timedelta(hours=item.hours_ago)
        assert abs(calendar.timegm(moment) - expected.timestamp()) < 1, item.title


@pytest.mark.parametrize("feed", [f for f in FEEDS if f.encoding == "windows-1251"], ids=lambda f: f.outlet)
def test_windows_1251_feed_carries_real_windows_1251_bytes(feed):
    document, _ = render_feed(feed, NOW)
    for item in feed.items:
        assert escape(item.title).encode("windows-1251") in document
    with pytest.raises(UnicodeDecodeError):
        document.decode("utf-8")


def test_item_date_is_now_minus_hours_ago_to_the_second():
    item = FEEDS[0].items[0]
    assert published_at(item, NOW) == (NOW - timedelta(hours=item.hours_ago)).astimezone(UTC).replace(
        microsecond=0
    )


def test_rendering_needs_an_aware_now():
    with pytest.raises(ValueError, match="timezone-aware"):
        render_feed(FEEDS[0], datetime(2025, 7, 20, 12, 0))


# ---------------------------------------------------------------- schema and loader


def _feed(**changes) -> dict:
    feed = {
        "outlet": "tass",
        "path": "/tass.xml",
        "format": "rss",
        "encoding": "windows-1251",
        "language": "ru",
        "title": "ТАСС",
        "link": "https://tass.ru",
        "items": [
            {
                "title": "Новость",
                "summary": "Текст.",
                "link": "https://tass.ru/politika/1",
                "hours_ago": 1.5,
                "incidents": [],
            }
        ],
    }
    return feed | changes


def _item(**changes) -> dict:
    return _feed()["items"][0] | changes


def test_minimal_feed_is_valid():
    feed = SampleFeed.model_validate(_feed())
    assert feed.items[0] == SampleItem(
        title="Новость", summary="Текст.", link="https://tass.ru/politika/1", hours_ago=1.5, incidents=()
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"colour": "red"}, "Extra inputs are not permitted"),
        ({"path": "/feed.xml"}, "path must be /tass.xml"),
        ({"format": "json"}, "'rss', 'atom' or 'rdf'"),
        ({"items": [_item(link="https://ria.ru/1")]}, "not on the outlet's site tass.ru"),
        ({"items": [_item(link="http://tass.ru/1")]}, "expected an https URL"),
        ({"items": [_item(incidents=["moon-landing"])]}, "azal-plane-crash"),
        ({"items": [_item(hours_ago=14 * 24)]}, "less than 336"),
        ({"items": [_item(title="Bakıda külək")]}, "cannot be encoded in windows-1251"),
        ({"items": [_item(summary="bell \x07")]}, "cannot appear in an XML document"),
        ({"items": [_item(guid="a"), _item(guid="a", link="https://tass.ru/2")]}, "repeated item guid"),
        ({"items": [_item(), _item()]}, "repeated item link"),
        ({"items": [_item(incidents=None)]}, "incidents"),
    ],
)
def test_schema_rejects(changes, message):
    with pytest.raises(pydantic.ValidationError, match=message):
        SampleFeed.model_validate(_feed(**changes))


def test_www_homepage_accepts_subdomain_links():
    feed = _feed(link="https://www.trend.az", outlet="trend", path="/trend.xml", encoding="utf-8")
    feed["items"] = [_item(link="https://en.trend.az/azerbaijan/politics/1.html")]
    assert SampleFeed.model_validate(feed).items[0].link.startswith("https://en.trend.az/")


def test_loader_rejects_two_feeds_for_one_outlet(tmp_path):
    path = tmp_path / "feeds.yaml"
    path.write_text(yaml.safe_dump([_feed(), _feed()], allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match="'tass' has more than one feed"):
        load_sample_feeds(path)


def test_loader_rejects_a_repeated_key(tmp_path):
    path = tmp_path / "feeds.yaml"
    text = yaml.safe_dump([_feed()], allow_unicode=True, sort_keys=False)
    path.write_text(text.replace("  hours_ago: 1.5\n", "  hours_ago: 1.5\n    hours_ago: 2.5\n"), "utf-8")
    with pytest.raises(yaml.YAMLError, match="duplicate key 'hours_ago'"):
        load_sample_feeds(path)
