"""Digest content: stories across outlets, the three sides, languages, escaping, splitting, quiet days, charts."""

import re
import struct
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.delivery.chart import ChartRenderer, build_figure, daily_counts
from bot.delivery.digest import DigestComposer, DigestConfig, DigestCorpus, Window, digest_window
from bot.delivery.schedule import zone
from bot.i18n import create_i18n
from bot.text import MESSAGE_LIMIT, plain_text
from storage.deliveries import Recipient
from storage.digest_queries import match_times
from storage.session import session_scope
from tests.support.coverage import Coverage
from tests.support.fake_telegram import parse_telegram_html

NOW = datetime(2025, 7, 3, 5, 0, tzinfo=UTC)
WINDOW = Window(NOW - timedelta(hours=24), NOW)
I18N = create_i18n()


def recipient(**fields) -> Recipient:
    values = {
        "subscriber_id": 1,
        "chat_id": 1,
        "language": "en",
        "timezone": "Asia/Baku",
        "digest_time": "09:00",
        "incidents": (),
        "chart_enabled": False,
        "quiet_digest": True,
        "alerts_enabled": False,
        "last_digest_at": None,
        "created_at": NOW - timedelta(days=30),
    }
    return Recipient(**{**values, **fields})


def compose(engine, reader: Recipient, window: Window = WINDOW, config: DigestConfig | None = None, **kwargs):
    with session_scope(engine) as session:
        corpus = DigestCorpus.load(session, [window])
    return DigestComposer(corpus, I18N, config).compose(reader, window, **kwargs)


def assert_valid_telegram_html(messages: list[str]) -> None:
    for message in messages:
        parsed = parse_telegram_html(message)  # raises where Telegram would refuse the markup
        assert len(parsed.text.encode("utf-16-le")) // 2 <= MESSAGE_LIMIT


@pytest.fixture
def media_battle(sqlite_engine):
    """One story carried by five outlets on the three sides, a smaller one, and an older item."""
    with session_scope(sqlite_engine) as session:
        data = Coverage(session)
        data.incident("media-battle", "Media battle", ru="Медийная война", az="Media savaşı")
        data.incident("entry-bans", "Entry bans", ru="Запреты на въезд")
        tass = data.outlet("tass", "russia", "TASS")
        ria = data.outlet("ria", "russia", "RIA Novosti")
        apa = data.outlet("apa", "azerbaijan", "APA", languages=["az"])
        report = data.outlet("report", "azerbaijan", "Report.az", languages=["az", "en"])
        reuters = data.outlet("reuters", "international", "Reuters", languages=["en"])
        sputnik = data.story(
            "Полиция Баку задержала сотрудников Sputnik Азербайджан", NOW - timedelta(hours=10)
        )
        data.item(
            tass,
            "Полиция Баку задержала сотрудников Sputnik Азербайджан",
            fetched_at=NOW - timedelta(hours=10),
            incidents=["media-battle"],
            story=sputnik,
        )
        data.item(
            ria,
            "В Баку задержаны сотрудники Sputnik",
            fetched_at=NOW - timedelta(hours=9),
            incidents=["media-battle"],
            story=sputnik,
        )
        data.item(
            apa,
            "Sputnik Azərbaycan əməkdaşları saxlanılıb",
            language="az",
            fetched_at=NOW - timedelta(hours=8),
            incidents=["media-battle"],
            story=sputnik,
        )
        data.item(
            report,
            "Two Sputnik Azerbaijan staff detained in Baku",
            language="en",
            fetched_at=NOW - timedelta(hours=8),
            incidents=["media-battle"],
            story=sputnik,
            url="https://report.example/a?x=1&y=2",
        )
        data.item(
            reuters,
            "Azerbaijan detains Sputnik staff",
            language="en",
            fetched_at=NOW - timedelta(hours=7),
            incidents=["media-battle"],
            story=sputnik,
        )
        tsargrad = data.story("Tsargrad blocked in Azerbaijan", NOW - timedelta(hours=3), language="en")
        data.item(
            reuters,
            "Tsargrad blocked in Azerbaijan",
            language="en",
            fetched_at=NOW - timedelta(hours=3),
            incidents=["media-battle"],
            story=tsargrad,
        )
        data.item(
            tass,
            "Азербайджан заблокировал Царьград",
            fetched_at=NOW - timedelta(hours=2),
            incidents=["media-battle"],
            story=tsargrad,
        )
        data.item(tass, "Вчерашняя новость", fetched_at=NOW - timedelta(hours=30), incidents=["media-battle"])
        data.item(
            ria, "Запрет на въезд депутату", fetched_at=NOW - timedelta(hours=1), incidents=["entry-bans"]
        )
    return sqlite_engine


def test_stories_group_outlets_under_the_three_sides(media_battle):
    digest = compose(media_battle, recipient(language="en"))
    assert not digest.quiet
    assert_valid_telegram_html(digest.messages)
    text = "\n".join(digest.messages)
    lines = text.splitlines()
    # The headline is the first English carrier's title; one line per side follows it.
    sputnik = lines.index("• <b>Two Sputnik Azerbaijan staff detained in Baku</b>")
    sides = lines[sputnik + 1 : sputnik + 4]
    assert [re.match(r" +(\S+) <i>(.+?):</i>", line).groups() for line in sides] == [
        ("🇷🇺", "Russian media"),
        ("🇦🇿", "Azerbaijani media"),
        ("🌐", "International media"),
    ]
    links = [re.findall(r'<a href="https://([a-z]+)\.example/([^"]*)">([^<]+)</a>', line) for line in sides]
    assert [[(host, name) for host, _, name in side] for side in links] == [
        [("tass", "TASS"), ("ria", "RIA Novosti")],
        [("apa", "APA"), ("report", "Report.az")],
        [("reuters", "Reuters")],
    ]
    assert links[1][1][1] == "a?x=1&amp;y=2"  # each outlet links to its own article, escaped
    # Five outlets beat two: the Sputnik story comes first under its incident.
    assert text.index("Sputnik") < text.index("Tsargrad")
    # The header counts what is new in the window and compares with the day before (one item then).
    assert "Digest · 3 July" in lines[0]
    assert lines[1] == "8 reports · 3 stories · 5 outlets (+7 vs the previous day)"
    assert "Вчерашняя" not in text  # outside the window


def test_headline_follows_the_reader_language_where_an_outlet_carried_it(media_battle):
    russian = "\n".join(compose(media_battle, recipient(language="ru")).messages)
    azerbaijani = "\n".join(compose(media_battle, recipient(language="az")).messages)
    assert "<b>Полиция Баку задержала сотрудников Sputnik Азербайджан</b>" in russian
    assert "<b>Sputnik Azərbaycan əməkdaşları saxlanılıb</b>" in azerbaijani
    # No Azerbaijani outlet carried the Tsargrad story: the lead headline stands.
    assert "<b>Tsargrad blocked in Azerbaijan</b>" in azerbaijani
    assert "Медийная война" in russian and "Media savaşı" in azerbaijani
    assert "<i>Российские СМИ:</i>" in russian and "<i>Azərbaycan mediası:</i>" in azerbaijani
    assert "Дайджест · 3 июля" in russian and "8 материалов · 3 сюжета · 5 изданий" in russian


def test_incident_filter_and_order(media_battle):
    only_bans = "\n".join(compose(media_battle, recipient(incidents=("entry-bans",))).messages)
    assert "Entry bans" in only_bans and "Media battle" not in only_bans
    everything = "\n".join(compose(media_battle, recipient()).messages)
    assert everything.index("Media battle") < everything.index("Entry bans")  # seed order


def test_quiet_day_is_one_line_or_nothing(media_battle):
    empty = Window(NOW + timedelta(days=5), NOW + timedelta(days=6))
    quiet = compose(media_battle, recipient(), empty)
    assert quiet.quiet and len(quiet.messages) == 1
    assert "\n" not in quiet.messages[0]
    assert "No new coverage since the last digest." in plain_text(quiet.messages[0])
    opted_out = compose(media_battle, recipient(quiet_digest=False, chart_enabled=True), empty)
    assert opted_out.quiet and opted_out.messages == [] and opted_out.parts() == []
    asked = compose(media_battle, recipient(quiet_digest=False), empty, on_demand=True)
    assert len(asked.messages) == 1  # /digest always answers


def test_hostile_text_is_escaped(sqlite_engine):
    with session_scope(sqlite_engine) as session:
        data = Coverage(session)
        data.incident("media-battle", "Media <battle> & co")
        outlet = data.outlet("evil", "international", 'Evil & "Co" <b>', languages=["en"])
        data.item(
            outlet,
            "<script>alert(1)</script> & <b>bold</b> &amp;",
            language="en",
            fetched_at=NOW - timedelta(hours=1),
            incidents=["media-battle"],
            url='https://evil.example/?q="><b>&x=1',
        )
    digest = compose(sqlite_engine, recipient())
    assert_valid_telegram_html(digest.messages)
    parsed = parse_telegram_html(digest.messages[0])
    assert "<script>alert(1)</script> & <b>bold</b> &amp;" in parsed.text
    assert 'Evil & "Co" <b>' in parsed.text
    (url,) = [entity["url"] for entity in parsed.entities if entity["type"] == "text_link"]
    assert url == 'https://evil.example/?q="><b>&x=1'


def test_long_digests_split_between_incidents_within_4096_utf16_units(sqlite_engine):
    with session_scope(sqlite_engine) as session:
        data = Coverage(session)
        outlets = [
            data.outlet(f"outlet-{n}", ("russia", "azerbaijan", "international")[n % 3]) for n in range(6)
        ]
        for incident in range(6):
            data.incident(f"incident-{incident}", f"Incident {incident}")
            for story in range(12):
                for outlet in outlets[: 1 + story % 6]:
                    data.item(
                        outlet,
                        f"Incident {incident} story {story} 🛬 " + "долгий заголовок " * 8,
                        fetched_at=NOW - timedelta(minutes=5 + story),
                        incidents=[f"incident-{incident}"],
                    )
    digest = compose(sqlite_engine, recipient(), config=DigestConfig(top_stories=12))
    assert len(digest.messages) > 1
    assert_valid_telegram_html(digest.messages)
    # Each message after the first starts with an incident's heading: the cut falls between incidents.
    for message in digest.messages[1:]:
        assert re.match(r"<b>Incident \d</b> — \d+ reports", message)
    headings = re.findall(r"<b>(Incident \d)</b>", "\n".join(digest.messages))
    assert headings == [f"Incident {n}" for n in range(6)]  # each once, none lost


def test_window_runs_since_the_last_digest_within_bounds():
    config = DigestConfig()
    assert digest_window(None, NOW, config) == Window(NOW - timedelta(hours=24), NOW)
    assert digest_window(NOW - timedelta(hours=20), NOW, config) == Window(NOW - timedelta(hours=20), NOW)
    assert digest_window(NOW - timedelta(days=30), NOW, config) == Window(NOW - timedelta(days=7), NOW)


# --- charts --------------------------------------------------------------------------------------------


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_chart_counts_per_local_day_and_draws_one_series_per_incident(media_battle):
    reader = recipient(chart_enabled=True, language="ru", incidents=("media-battle", "entry-bans"))
    digest = compose(media_battle, reader)
    chart = digest.parts()[-1]
    assert chart["type"] == "chart"
    assert chart["spec"]["labels"] == ["Медийная война", "Запреты на въезд"]
    png = ChartRenderer(media_battle).render_now(chart["spec"])
    width, height = png_size(png)
    assert width == 1200 and height > 700

    with session_scope(media_battle) as session:
        times = match_times(session, NOW - timedelta(days=14), NOW, ["media-battle", "entry-bans"])
    data = daily_counts(times, ["media-battle", "entry-bans"], 14, NOW, zone("Asia/Baku"))
    assert len(data.days) == 14 and data.days[-1].isoformat() == "2025-07-03"
    # Baku is UTC+4: the items of 19:00–23:00 UTC on 2 July fall on 3 July there.
    assert data.series["media-battle"][-2:] == [2, 6]
    assert data.series["entry-bans"][-1] == 1
    figure = build_figure(data, ["Медийная война", "Запреты на въезд"], "Материалы в день")
    (axes,) = figure.axes
    assert [line.get_gid() for line in axes.get_lines()] == ["media-battle", "entry-bans"]
    assert [text.get_text() for text in figure.legends[0].get_texts()] == [
        "Медийная война",
        "Запреты на въезд",
    ]


def test_quiet_digest_carries_no_chart(media_battle):
    empty = Window(NOW + timedelta(days=5), NOW + timedelta(days=6))
    assert compose(media_battle, replace(recipient(), chart_enabled=True), empty).chart is None
