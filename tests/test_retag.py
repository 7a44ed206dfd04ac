"""Re-tagging the archive replaces every item's matches with what the current taxonomy says."""

from datetime import timedelta

from bot.knowledge import load_knowledge
from bot.seeding import incident_specs
from feeds.matching import Matcher, load_taxonomy
from feeds.retag import retag
from feeds.tagging import IncidentTagger
from storage.incidents import sync_incidents
from storage.items import ItemRecord, upsert_items
from storage.matches import MatchRecord, item_matches, save_matches
from storage.session import session_scope
from tests.support.feed_rows import START, add_feeds
from tests.support.seeds import SEEDS

HEADLINES = [
    ("Funeral of Safarov brothers held in Azerbaijan", "They died after a police raid in Yekaterinburg.", 30),
    ("Aliyev skips Moscow's Victory Day parade", "The president stayed in Baku.", 5),
    ("Weather: sunny in Baku", "Temperatures up to 30 degrees.", 1),
]


def store_archive(engine) -> dict[str, int]:
    with session_scope(engine) as session:
        sync_incidents(session, incident_specs(load_knowledge(SEEDS)))
    (feed_id,) = add_feeds(engine, ["http://127.0.0.1:1/rss"], languages=("en",))
    records = [
        ItemRecord(
            f"key-{n}", None, None, None, title, summary, "en", f"hash-{n}", START - timedelta(days=age)
        )
        for n, (title, summary, age) in enumerate(HEADLINES)
    ]
    with session_scope(engine) as session:
        result = upsert_items(session, feed_id, 1, records, START)
        ids = {records[int(key.split("-")[1])].title: item_id for key, item_id in result.inserted.items()}
        # A stale tag from an older taxonomy, which re-tagging must remove.
        save_matches(session, {ids["Weather: sunny in Baku"]: [MatchRecord("relations-general", 1.0)]}, START)
    return ids


def tags(engine, item_id: int) -> list[str]:
    with session_scope(engine) as session:
        return [match.incident_id for match in item_matches(session, item_id)]


def test_retag_replaces_matches_and_respects_since(engine):
    ids = store_archive(engine)
    tagger = IncidentTagger(Matcher.from_taxonomy(load_taxonomy(SEEDS / "taxonomy.yaml")))

    recent = retag(engine, tagger, since=START - timedelta(days=10), batch_size=1)
    assert (recent.items, recent.tagged) == (2, 1)
    assert tags(engine, ids["Aliyev skips Moscow's Victory Day parade"]) == ["victory-parade-absence"]
    assert tags(engine, ids["Weather: sunny in Baku"]) == []
    assert tags(engine, ids["Funeral of Safarov brothers held in Azerbaijan"]) == []  # older than --since

    everything = retag(engine, tagger)
    assert (everything.items, everything.tagged) == (3, 2)
    assert tags(engine, ids["Funeral of Safarov brothers held in Azerbaijan"]) == ["yekaterinburg-raids"]
