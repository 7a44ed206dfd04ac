from storage.incidents import IncidentSpec, list_incidents, sync_incidents
from storage.outlets import FeedSpec, OutletSpec, list_outlets, sync_outlets
from storage.session import session_scope

TASS = OutletSpec(
    slug="tass",
    name="TASS",
    side="russia",
    country="RU",
    languages=["ru", "en"],
    homepage="https://tass.ru",
    feeds=[FeedSpec("https://tass.ru/rss/v2.xml", "ru")],
)
REPORT = OutletSpec(slug="report-az", name="Report.az", side="azerbaijan", country="AZ", languages=["az"])


def test_sync_outlets_is_idempotent_and_updates_edits(engine):
    with session_scope(engine) as session:
        outlets, feeds = sync_outlets(session, [TASS, REPORT])
    assert (outlets.created, feeds.created) == (2, 1)

    with session_scope(engine) as session:
        outlets, feeds = sync_outlets(session, [TASS, REPORT])
    assert (outlets.created, outlets.updated, outlets.unchanged) == (0, 0, 2)
    assert (feeds.created, feeds.unchanged) == (0, 1)

    renamed = OutletSpec(**{**REPORT.__dict__, "name": "Report News Agency"})
    with session_scope(engine) as session:
        outlets, _ = sync_outlets(session, [TASS, renamed])
    assert (outlets.updated, outlets.unchanged) == (1, 1)

    with session_scope(engine) as session:
        listed = {
            outlet.slug: (outlet.name, [feed.url for feed in feeds])
            for outlet, feeds in list_outlets(session)
        }
    assert listed == {
        "tass": ("TASS", ["https://tass.ru/rss/v2.xml"]),
        "report-az": ("Report News Agency", []),
    }


def test_sync_incidents_keeps_seed_order_and_localised_titles(engine):
    specs = [
        IncidentSpec(
            "azal-plane-crash", {"en": "AZAL crash", "ru": "Крушение AZAL", "az": "AZAL qəzası"}, {}
        ),
        IncidentSpec("entry-bans", {"en": "Entry bans", "ru": "Запреты", "az": "Qadağalar"}, {}),
    ]
    with session_scope(engine) as session:
        assert sync_incidents(session, specs).created == 2
    with session_scope(engine) as session:
        assert sync_incidents(session, list(reversed(specs))).updated == 2
        incidents = list_incidents(session)
    assert [incident.id for incident in incidents] == ["entry-bans", "azal-plane-crash"]
    assert incidents[1].title["az"] == "AZAL qəzası"
