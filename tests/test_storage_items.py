from datetime import timedelta

from storage.incidents import IncidentSpec, sync_incidents
from storage.items import ItemRecord, count_items, has_entry_key_prefix, list_items, upsert_items
from storage.matches import MatchRecord, item_matches, save_matches
from storage.session import session_scope
from tests.support.feed_rows import START, add_feeds, load_feed


def record(key: str, title: str = "Title", digest: str | None = None) -> ItemRecord:
    return ItemRecord(
        entry_key=key,
        guid=key,
        url=f"https://x.ru/{key}",
        canonical_url=f"https://x.ru/{key}",
        title=title,
        summary="Summary",
        language="ru",
        content_hash=digest or f"hash-{title}",
        published_at=START - timedelta(hours=1),
    )


def upsert(engine, feed_id, records, now=START):
    outlet_id = load_feed(engine, feed_id).outlet_id
    with session_scope(engine) as session:
        return upsert_items(session, feed_id, outlet_id, records, now)


def test_upsert_is_idempotent_and_updates_edited_items(engine):
    (feed_id,) = add_feeds(engine, ["http://h/a"])
    first = upsert(engine, feed_id, [record("g:1"), record("g:2")])
    assert sorted(first.inserted) == ["g:1", "g:2"] and not first.updated

    again = upsert(engine, feed_id, [record("g:1"), record("g:2")])
    assert (again.inserted, again.updated, again.unchanged) == ({}, {}, 2)

    later = START + timedelta(minutes=30)
    edited = upsert(engine, feed_id, [record("g:1", title="Corrected headline"), record("g:3")], now=later)
    assert list(edited.updated) == ["g:1"] and list(edited.inserted) == ["g:3"]
    assert edited.updated["g:1"] == first.inserted["g:1"]

    with session_scope(engine) as session:
        items = {item.entry_key: item for item in list_items(session, feed_id)}
        assert count_items(session) == 3
    assert items["g:1"].title == "Corrected headline"
    assert items["g:1"].updated_at == later and items["g:1"].fetched_at == START
    assert items["g:1"].published_at == START - timedelta(hours=1)


def test_one_article_in_two_feeds_of_an_outlet_is_one_item(engine):
    main, politics = add_feeds(engine, ["http://h/main", "http://h/politics"], one_outlet=True)
    upsert(engine, main, [record("g:1")])
    second = upsert(engine, politics, [record("g:1"), record("g:2")])
    assert (list(second.inserted), second.elsewhere) == (["g:2"], 1)
    with session_scope(engine) as session:
        assert count_items(session) == 2


def test_the_same_key_at_two_outlets_is_two_items(engine):
    (first,) = add_feeds(engine, ["http://h/a"], outlet="tass")
    (second,) = add_feeds(engine, ["http://h/b"], outlet="ria")
    upsert(engine, first, [record("g:1")])
    assert list(upsert(engine, second, [record("g:1")]).inserted) == ["g:1"]


def test_a_bulk_upsert_larger_than_one_lookup_chunk(engine):
    (feed_id,) = add_feeds(engine, ["http://h/a"])
    records = [record(f"u:{n}") for n in range(1200)]
    assert len(upsert(engine, feed_id, records).inserted) == 1200
    assert upsert(engine, feed_id, records).unchanged == 1200


def test_entry_key_prefix_lookup(engine):
    (feed_id,) = add_feeds(engine, ["http://h/a"])
    upsert(engine, feed_id, [record("g:1"), record("h:2")])
    with session_scope(engine) as session:
        assert has_entry_key_prefix(session, feed_id, "g:")
        assert not has_entry_key_prefix(session, feed_id, "gu:")
    upsert(engine, feed_id, [record("gu:3")])
    with session_scope(engine) as session:
        assert has_entry_key_prefix(session, feed_id, "gu:")


def test_matches_are_replaced_when_an_item_is_matched_again(engine):
    (feed_id,) = add_feeds(engine, ["http://h/a"])
    with session_scope(engine) as session:
        sync_incidents(
            session,
            [
                IncidentSpec("yekaterinburg-raids", {"en": "Raids"}, {}),
                IncidentSpec("azal-crash", {"en": "AZAL"}, {}),
            ],
        )
    item_id = upsert(engine, feed_id, [record("g:1")]).inserted["g:1"]
    explanation = [{"term": "Екатеринбург", "field": "title"}]
    with session_scope(engine) as session:
        written = save_matches(
            session,
            {item_id: [MatchRecord("yekaterinburg-raids", 0.9, explanation), MatchRecord("azal-crash", 0.4)]},
            START,
        )
    assert written == 2
    with session_scope(engine) as session:
        save_matches(session, {item_id: [MatchRecord("azal-crash", 0.7)]}, START)
        rows = item_matches(session, item_id)
    assert [(row.incident_id, row.score) for row in rows] == [("azal-crash", 0.7)]
    with session_scope(engine) as session:
        save_matches(session, {item_id: []}, START)
        assert item_matches(session, item_id) == []
