import time
from datetime import UTC, datetime, timedelta

import pytest

from feeds.normalise import (
    absolute_url,
    canonical_url,
    detect_language,
    entry_datetime,
    plain_text,
    published_at,
)


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<p>Баку&nbsp;и&nbsp;Москва</p>", "Баку и Москва"),
        ("Line<br/>break<p>para</p>", "Line break para"),
        ("&lt;p&gt;escaped &amp;amp; twice&lt;/p&gt;", "escaped & twice"),
        ("text<script>alert('x')</script> after<style>p{}</style>", "text after"),
        ("  many \n\t spaces  ", "many spaces"),
        ("<![CDATA[inside cdata]]>", "inside cdata"),
        ('cut short <a href="https://example.com/very', "cut short"),
        ("5 < 10 and x<y stays", "5 < 10 and x<y stays"),
        ("&quot;Sputnik&quot; &#171;Азербайджан&#187;", '"Sputnik" «Азербайджан»'),
        ("zero\u200bwidth\x00control", "zerowidthcontrol"),
        (None, ""),
    ],
)
def test_plain_text(markup, text):
    assert plain_text(markup) == text


def test_plain_text_truncates_long_text_with_an_ellipsis():
    assert plain_text("word " * 100, limit=20) == "word word word word…"


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTPS://News.Example.RU:443/a/b?utm_source=rss&id=5#top", "https://news.example.ru/a/b?id=5"),
        ("http://example.az:80", "http://example.az/"),
        ("http://example.az:8080/x", "http://example.az:8080/x"),
        ("https://x.az/n?yclid=1&fbclid=2&gclid=3&_openstat=4&UTM_Medium=5", "https://x.az/n"),
        ("https://x.az/n?b=2&a=1", "https://x.az/n?b=2&a=1"),
        ("https://x.az/n?q=%D0%91%D0%B0%D0%BA%D1%83&ysclid=9", "https://x.az/n?q=%D0%91%D0%B0%D0%BA%D1%83"),
        ("ftp://x.az/file", None),
        ("javascript:alert(1)", None),
        ("http://[::1]:99/x", "http://[::1]:99/x"),
        ("", None),
    ],
)
def test_canonical_url(url, canonical):
    assert canonical_url(url) == canonical


def test_absolute_url_resolves_relative_links_and_drops_non_web_ones():
    base = "https://site.az/rss/feed.xml"
    assert absolute_url("/news/1", base) == "https://site.az/news/1"
    assert absolute_url("news/2", base) == "https://site.az/rss/news/2"
    assert absolute_url("https://other.az/x", base) == "https://other.az/x"
    assert absolute_url("mailto:editor@site.az", base) is None
    assert absolute_url("", base) is None


def test_feedparser_struct_times_are_read_as_utc_whatever_the_local_zone(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Baku")
    time.tzset()
    try:
        parsed = time.strptime("2024-12-25 08:30:00", "%Y-%m-%d %H:%M:%S")
        assert entry_datetime(parsed) == datetime(2024, 12, 25, 8, 30, tzinfo=UTC)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_published_at_falls_back_to_fetch_time_and_clamps_the_future():
    fetched = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)
    assert published_at(None, fetched) == fetched
    assert published_at(datetime(2039, 1, 1, tzinfo=UTC), fetched) == fetched
    assert published_at(datetime(1970, 1, 1, tzinfo=UTC), fetched) == fetched
    slightly_ahead = fetched + timedelta(minutes=5)  # clock skew is tolerated
    assert published_at(slightly_ahead, fetched) == slightly_ahead
    assert published_at(datetime(2025, 6, 30, tzinfo=UTC), fetched) == datetime(2025, 6, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "declared", "language"),
    [
        ("В Баку задержаны сотрудники агентства", None, "ru"),
        ("В Баку задержаны сотрудники агентства", "az", "ru"),
        ("Україна і Азербайджан", "uk", "uk"),
        ("Xarici İşlər Nazirliyi bəyanat yaydı", None, "az"),
        ("Xarici İşlər Nazirliyi bəyanat yaydı", "en", "az"),
        ("Bakıda sərgi açılıb", "ru", "az"),
        ("Bakida sergi acilib, ölkə", "az", "az"),
        ("Foreign ministers to speak by phone", "az", "en"),
        ("Foreign ministers to speak by phone", "ru", "en"),
        ("Les ministres se parlent", "fr", "fr"),
        ("2025 — 30/06", "az-Latn-AZ", "az"),
        ("12345", None, None),
    ],
)
def test_language_comes_from_the_outlet_refined_by_script(text, declared, language):
    assert detect_language(text, declared) == language
