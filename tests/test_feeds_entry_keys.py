from datetime import UTC, datetime

from feeds.entry_keys import GUID, GUID_AND_URL, TEXT, URL, keyed_items
from feeds.normalise import NormalisedEntry, canonical_url, content_hash

WHEN = datetime(2025, 6, 30, tzinfo=UTC)


def entry(guid=None, url=None, title="Title", summary="Summary") -> NormalisedEntry:
    return NormalisedEntry(
        guid=guid,
        url=url,
        canonical_url=canonical_url(url),
        title=title,
        summary=summary,
        language="ru",
        published_at=WHEN,
        dated=True,
        content_hash=content_hash(title, summary),
    )


def test_guid_is_the_key_and_survives_a_title_edit():
    before = keyed_items([entry("guid-1", "https://x.ru/1", title="Draft")])
    after = keyed_items([entry("guid-1", "https://x.ru/1?utm_source=tg", title="Final headline")])
    assert before[0].entry_key == after[0].entry_key
    assert before[0].entry_key.startswith(GUID)
    assert before[0].content_hash != after[0].content_hash


def test_repeated_guids_fall_back_to_guid_and_url():
    records = keyed_items([entry("https://portal.ru/", f"https://portal.ru/news/{n}") for n in (1, 2, 3)])
    assert len({record.entry_key for record in records}) == 3
    assert all(record.entry_key.startswith(GUID_AND_URL) for record in records)


def test_a_feed_known_to_repeat_guids_keeps_guid_and_url_keys_for_a_single_item():
    alone = keyed_items(
        [entry("https://portal.ru/", "https://portal.ru/news/1")], guids_known_unreliable=True
    )
    together = keyed_items([entry("https://portal.ru/", f"https://portal.ru/news/{n}") for n in (1, 2)])
    assert alone[0].entry_key == together[0].entry_key


def test_without_guid_the_canonical_url_is_the_key_so_tracking_variants_are_one_item():
    records = keyed_items(
        [entry(url="https://world.com/a?id=7&utm_source=x"), entry(url="https://WORLD.com/a?id=7#comments")]
    )
    assert len(records) == 1
    assert records[0].entry_key.startswith(URL)


def test_without_guid_or_url_the_text_is_the_key():
    records = keyed_items([entry(title="Markets wrap"), entry(title="Markets wrap"), entry(title="Other")])
    assert [record.entry_key[: len(TEXT)] for record in records] == [TEXT, TEXT]
    assert records[0].title == "Markets wrap"


def test_keys_fit_the_column():
    records = keyed_items([entry("g" * 5000, "https://x.ru/" + "p" * 3000)])
    assert len(records[0].entry_key) <= 128
