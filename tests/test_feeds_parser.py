import time
from datetime import UTC, datetime

import feedparser
import pytest

from feeds.parser import parse_document
from tests.support.feed_server import FIXTURES, fixture

FETCHED = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)
FEED_URL = "https://feeds.example.org/rss/main.xml"
RUSSIAN_TITLES = [
    "В Екатеринбурге прошли задержания выходцев из Азербайджана",
    "МИД Азербайджана выразил протест в связи с гибелью двух граждан",
]


def parse(name: str, content_type: str | None = "application/rss+xml", language: str | None = None):
    return parse_document(fixture(name), content_type, FEED_URL, language, FETCHED)


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("ru_utf8.xml", "application/rss+xml"),
        ("ru_cp1251_declared.xml", "application/rss+xml"),
        ("ru_cp1251_undeclared.xml", "application/rss+xml; charset=windows-1251"),
        ("ru_koi8r_declared.xml", "text/xml"),
        ("ru_koi8r_undeclared.xml", "text/xml; charset=KOI8-R"),
    ],
)
def test_russian_feeds_decode_in_every_encoding(name, content_type):
    document = parse(name, content_type)
    assert document.problem is None
    assert [entry.title for entry in document.entries[:2]] == RUSSIAN_TITLES
    assert {entry.language for entry in document.entries} == {"ru"}
    first = document.entries[0]
    assert first.summary.startswith("Силовики задержали около полусотни человек")
    assert first.summary.endswith("Азербайджан")  # the CDATA's markup is gone, its link text kept
    assert first.canonical_url == "https://news.example.ru/society/20250628-ekb.html"
    assert first.published_at == datetime(2025, 6, 28, 6, 15, tzinfo=UTC)
    assert document.ttl_s == 20 * 60


def test_atom_with_xml_base_relative_links_and_mixed_languages():
    document = parse("az_atom.xml", "application/atom+xml", language="az")
    links = [entry.url for entry in document.entries]
    assert links[:2] == [
        "https://xeber.example.az/siyaset/31001-xin-beyanat",
        "https://xeber.example.az/cemiyyet/31002-azal",
    ]
    assert document.entries[2].canonical_url == "https://xeber.example.az/iqtisadiyyat/31003-serg?page=2"
    assert document.entries[2].summary == "Sərgidə 30-dan çox ölkədən şirkətlər iştirak edir."
    assert [entry.language for entry in document.entries] == ["az", "az", "az", "en"]
    assert document.entries[0].published_at == datetime(2025, 6, 28, 14, 20, tzinfo=UTC)


def test_rdf_feed_with_three_languages():
    document = parse("mixed_rdf.xml", "application/rdf+xml")
    assert document.version == "rss10"
    assert [entry.language for entry in document.entries] == ["en", "az", "ru"]
    assert document.entries[2].title == "В Баку прекратил работу «Русский дом»"


def test_relative_links_resolve_against_the_feed_url_and_guids_stay_as_written():
    body = b"""<rss version="2.0"><channel><title>t</title>
      <item><title>a</title><link>/news/1</link><guid>local-1</guid></item>
      <item><title>b</title><link>news/2</link><guid>local-2</guid></item></channel></rss>"""
    document = parse_document(body, "text/xml", FEED_URL, None, FETCHED)
    assert [entry.url for entry in document.entries] == [
        "https://feeds.example.org/news/1",
        "https://feeds.example.org/rss/news/2",
    ]
    assert [entry.guid for entry in document.entries] == ["local-1", "local-2"]


def test_missing_future_and_garbled_dates_become_the_fetch_time():
    document = parse("odd_dates.xml")
    dates = [entry.published_at for entry in document.entries]
    assert dates == [FETCHED, FETCHED, datetime(2024, 12, 25, 8, 30, tzinfo=UTC), FETCHED]
    assert [entry.dated for entry in document.entries] == [False, False, True, False]
    assert document.entry_dates == [datetime(2024, 12, 25, 8, 30, tzinfo=UTC)]


def test_entities_and_markup_in_summaries_become_plain_text():
    document = parse("unrelated_en.xml")
    assert document.entries[0].summary == "Astronomers released new pictures & data."
    no_guid = parse("no_guid.xml")
    assert (
        no_guid.entries[2].summary
        == "Brent crude hovered near recent levels — analysts expect little movement."
    )


@pytest.mark.parametrize(
    ("body", "content_type", "problem"),
    [
        (b"", "application/rss+xml", "empty body"),
        (b"  \n ", "application/rss+xml", "empty body"),
        (fixture("not_a_feed.html"), "text/html", "not a feed"),
        (fixture("billion_laughs.xml"), "application/xml", "refused: the DOCTYPE declares entities"),
        (fixture("xxe.xml"), "application/xml", "refused: the DOCTYPE declares entities"),
    ],
)
def test_unusable_bodies_are_refused_with_a_reason(body, content_type, problem):
    document = parse_document(body, content_type, FEED_URL, None, FETCHED)
    assert document.problem is not None and document.problem.startswith(problem)
    assert document.entries == []


def test_entity_declarations_are_found_in_utf16_documents_too():
    body = fixture("xxe.xml").decode().replace('encoding="utf-8"', 'encoding="utf-16"').encode("utf-16")
    assert parse_document(body, "application/xml", FEED_URL, None, FETCHED).problem.startswith("refused")


def test_feedparser_alone_neither_expands_a_billion_laughs_nor_reads_files():
    """Defence in depth: were the DOCTYPE check bypassed, expat's own limits still hold."""
    started = time.perf_counter()
    bomb = feedparser.parse(fixture("billion_laughs.xml"), sanitize_html=False, resolve_relative_uris=False)
    assert time.perf_counter() - started < 2
    assert all(len(entry.get("title", "")) < 10_000 for entry in bomb.entries)
    xxe = feedparser.parse(fixture("xxe.xml"), sanitize_html=False, resolve_relative_uris=False)
    assert "root:" not in str(xxe)


def test_a_body_that_names_a_local_file_is_not_read_from_disk():
    local_feed = (FIXTURES / "ru_utf8.xml").resolve()
    assert local_feed.is_file()
    document = parse_document(str(local_feed).encode(), "application/rss+xml", FEED_URL, None, FETCHED)
    assert document.entries == [] and document.problem.startswith("not a feed")
