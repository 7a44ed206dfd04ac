"""Archive reads: matched items, coverage per incident, one item with its matches, statistics."""

from datetime import UTC, date, datetime, timedelta

from storage.archive import archive_stats, coverage_counts, find_item, load_items, matched_items
from storage.session import session_scope
from tests.support.archive_fixtures import add_feed, add_item, add_outlet

NOW = datetime(2025, 7, 3, 12, 0, tzinfo=UTC)
EXPLANATION = [{"term": "AZAL", "field": "title", "word": "AZAL", "position": 0}]


def fill(engine) -> dict[str, int]:
    with session_scope(engine) as session:
        ria = add_feed(session, add_outlet(session, "ria-novosti", "RIA Novosti", "russia"), language="ru")
        apa = add_feed(session, add_outlet(session, "apa", "APA", "azerbaijan", ("az", "en")), language="az")
        ids = {
            "old": add_item(
                session, ria, "Old crash story", NOW - timedelta(days=30), incidents=["azal-plane-crash"]
            ),
            "crash": add_item(
                session,
                apa,
                "AZAL crash report",
                NOW - timedelta(days=2),
                url="https://apa.az/news/1",
                incidents=["azal-plane-crash", "relations-general"],
                explanation=EXPLANATION,
            ),
            "house": add_item(
                session,
                ria,
                "Russian House closed",
                NOW - timedelta(days=1),
                incidents=["russian-house-closure"],
            ),
            "untagged": add_item(session, ria, "Weather in Moscow", NOW - timedelta(hours=1)),
        }
        add_feed(session, add_outlet(session, "tass"), status="disabled")
        add_feed(session, add_outlet(session, "report"), consecutive_errors=3)
        return {name: item.id for name, item in ids.items()}


def test_matched_items_newest_first_by_incident_and_period(engine):
    fill(engine)
    with session_scope(engine) as session:
        everything = matched_items(session)
        crash = matched_items(session, incident_id="azal-plane-crash")
        recent = matched_items(session, incident_id="azal-plane-crash", since=NOW - timedelta(days=7))
        newest = matched_items(session, limit=1)
    assert [i.title for i in everything] == ["Russian House closed", "AZAL crash report", "Old crash story"]
    assert [i.title for i in crash] == ["AZAL crash report", "Old crash story"]
    assert [i.title for i in recent] == ["AZAL crash report"]
    assert [i.title for i in newest] == ["Russian House closed"]
    report = crash[0]
    assert (report.outlet_name, report.side, report.language, report.url) == (
        "APA",
        "azerbaijan",
        "az",
        "https://apa.az/news/1",
    )
    assert report.incidents == ("azal-plane-crash", "relations-general")


def test_coverage_counts_only_items_published_in_the_period(engine):
    fill(engine)
    with session_scope(engine) as session:
        assert coverage_counts(session, NOW - timedelta(days=7)) == {
            "azal-plane-crash": 1,
            "relations-general": 1,
            "russian-house-closure": 1,
        }
        assert coverage_counts(session, NOW - timedelta(days=60))["azal-plane-crash"] == 2


def test_an_item_is_found_by_id_or_by_any_spelling_of_its_url(engine):
    ids = fill(engine)
    with session_scope(engine) as session:
        by_id = find_item(session, str(ids["crash"]))
        for spelling in ("https://apa.az/news/1", "http://apa.az/news/1/", "https://www.apa.az/news/1 "):
            assert find_item(session, spelling).item.id == ids["crash"], spelling
        assert find_item(session, "https://apa.az/news/2") is None
        assert find_item(session, "99999999999999999999") is None
        assert find_item(session, str(ids["untagged"])).matches == []
    assert [(m.incident_id, m.explanation) for m in by_id.matches] == [
        ("azal-plane-crash", EXPLANATION),
        ("relations-general", EXPLANATION),
    ]


def test_load_items_keeps_the_order_asked_for_and_skips_unknown_ids(engine):
    ids = fill(engine)
    with session_scope(engine) as session:
        items = load_items(session, [ids["house"], 424242, ids["old"]])
    assert [item.id for item in items] == [ids["house"], ids["old"]]


def test_stats_count_items_per_day_matches_per_incident_and_feed_health(engine):
    fill(engine)
    with session_scope(engine) as session:
        stats = archive_stats(session, since=NOW - timedelta(days=2), until=NOW)
    assert stats.items_total == 4
    assert stats.items_per_day == [(date(2025, 7, 1), 1), (date(2025, 7, 2), 1), (date(2025, 7, 3), 1)]
    assert stats.matches_per_incident == {
        "azal-plane-crash": 2,
        "relations-general": 1,
        "russian-house-closure": 1,
    }
    assert stats.recent_matches_per_incident == {
        "azal-plane-crash": 1,
        "relations-general": 1,
        "russian-house-closure": 1,
    }
    assert (stats.feeds_active, stats.feeds_disabled, stats.feeds_failing) == (3, 1, 1)
