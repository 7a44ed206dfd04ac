"""/search's query language: the matcher's parser, mapped onto full-text search with inflections."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.search_query import parse_search
from feeds.matching.query import QuerySyntaxError
from storage import search
from storage.session import session_scope
from tests.support.archive_fixtures import add_feed, add_item, add_outlet


def test_plain_words_become_stem_prefixes_and_typed_prefixes_stay():
    assert parse_search("самолёта") == search.Word("самолет", prefix=True)
    assert parse_search("crashes") == search.Word("crash", prefix=True)
    assert parse_search("Путина") == search.Word("путин", prefix=True)
    assert parse_search("дом") == search.Word("дом")  # too short to stem safely
    assert parse_search("J2-8243") == search.Word("j2-8243")
    assert parse_search("Bak*") == search.Word("bak", prefix=True)


def test_operators_phrases_and_near_keep_their_structure():
    query = parse_search('"русский дом" AND (Baku OR Bakı) NOT (closure NEAR/2 house)')
    assert query == search.AllOf(
        (
            search.Phrase((search.Word("русск", prefix=True), search.Word("дом"))),
            search.AnyOf((search.Word("baku", prefix=True), search.Word("bakı", prefix=True))),
            search.Without(
                search.Near(search.Word("closur", prefix=True), search.Word("hous", prefix=True), 2)
            ),
        )
    )


@pytest.mark.parametrize("text", ["AND baku", '"unclosed', "baku (", "a*b", "ba*", "x NEAR/0 y"])
def test_syntax_errors_name_a_position(text):
    with pytest.raises(QuerySyntaxError) as raised:
        parse_search(text)
    assert 1 <= raised.value.position <= len(text) + 1


def test_an_inflected_query_finds_other_forms_in_the_archive(sqlite_engine):
    now = datetime(2025, 7, 1, tzinfo=UTC)
    with session_scope(sqlite_engine) as session:
        feed = add_feed(session, add_outlet(session, "ria-novosti"))
        add_item(session, feed, "Обломки самолёта изучают в Актау", now)
        add_item(session, feed, "Путину позвонил Алиев", now + timedelta(hours=1))
    with session_scope(sqlite_engine) as session:
        planes = search.search_items(session, parse_search("самолёт"))
        calls = search.search_items(session, parse_search("Путин AND Алиева"))
    assert [item.title for item in planes.items] == ["Обломки самолёта изучают в Актау"]
    assert [item.title for item in calls.items] == ["Путину позвонил Алиев"]
