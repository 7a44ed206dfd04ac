"""Full-text search: the boolean syntax, folding across scripts, paging, index upkeep, both databases alike."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import select

from storage.models import Item
from storage.search import (
    AllOf,
    AnyOf,
    Near,
    Phrase,
    SearchQueryError,
    Without,
    Word,
    search_items,
    search_tokens,
)
from storage.session import session_scope
from tests.support.archive_fixtures import add_feed, add_item, add_outlet

T0 = datetime(2025, 5, 1, 8, 0, tzinfo=UTC)


def insert(engine, rows: list[tuple[str, str]]) -> None:
    """Items (title, summary), each an hour newer than the one before."""
    with session_scope(engine) as session:
        feed = add_feed(session, add_outlet(session, "ria-novosti"))
        for n, (title, summary) in enumerate(rows):
            add_item(session, feed, title, T0 + timedelta(hours=n), summary=summary)


def titles(engine, query, **page) -> list[str]:
    with session_scope(engine) as session:
        return [item.title for item in search_items(session, query, **page).items]


def words(*texts: str) -> Phrase:
    return Phrase(tuple(Word(t) for t in texts))


NEWS = [
    ("Самолёт AZAL разбился под Актау", "Погибли 38 из 67 человек на борту"),
    ("Rus Evi Bakıda bağlandı", "Əliyev açıqlama verdi"),
    ("Aliyev's statement on the plane crash", "The airliner came down near Aktau"),
    ("Şuşa bəyannaməsi", "İlham Əliyev və Ərdoğan"),
    ("Russian House in Baku closed", "The cultural centre stopped working"),
    ("Valuev banned from entering Azerbaijan", "The deputy was declared persona non grata"),
]


def test_words_fold_case_diacritics_and_the_letters_people_type_without_marks(engine):
    insert(engine, NEWS)
    assert titles(engine, Word("САМОЛЕТ")) == ["Самолёт AZAL разбился под Актау"]  # ё typed as е
    assert titles(engine, Word("eliyev")) == ["Şuşa bəyannaməsi", "Rus Evi Bakıda bağlandı"]  # ə as e
    assert titles(engine, Word("susa")) == ["Şuşa bəyannaməsi"]  # ş as s
    assert titles(engine, Word("bakida")) == ["Rus Evi Bakıda bağlandı"]  # ı as i
    assert titles(engine, Word("ILHAM")) == ["Şuşa bəyannaməsi"]  # İ as i
    assert titles(engine, Word("Aliyev’s")) == ["Aliyev's statement on the plane crash"]


def test_boolean_operators_phrases_and_prefixes(engine):
    insert(engine, NEWS)
    assert titles(engine, Word("aktau")) == ["Aliyev's statement on the plane crash"]  # not Cyrillic Актау
    assert titles(engine, AnyOf((Word("aktau"), Word("актау")))) == [
        "Aliyev's statement on the plane crash",
        "Самолёт AZAL разбился под Актау",
    ]
    assert titles(engine, AllOf((Word("baku"), Word("closed")))) == ["Russian House in Baku closed"]
    assert titles(engine, AllOf((Word("the"), Without(Word("plane"))))) == [
        "Valuev banned from entering Azerbaijan",
        "Russian House in Baku closed",
    ]
    assert titles(engine, Word("азерб", prefix=True)) == []
    assert titles(engine, Word("azerb", prefix=True)) == ["Valuev banned from entering Azerbaijan"]
    assert titles(engine, Word("разби", prefix=True)) == ["Самолёт AZAL разбился под Актау"]
    assert titles(engine, words("persona", "non", "grata")) == ["Valuev banned from entering Azerbaijan"]
    assert titles(engine, words("grata", "non")) == []
    assert titles(engine, Phrase((Word("plane"), Word("cra", prefix=True)))) == [
        "Aliyev's statement on the plane crash"
    ]


def test_a_phrase_or_near_stays_inside_one_field(engine):
    insert(engine, NEWS)
    # "…plane crash" ends the title, "The airliner…" starts the summary: adjacent, but not one field.
    assert titles(engine, words("crash", "the")) == []
    assert titles(engine, Near(Word("crash"), Word("airliner"), 3)) == []
    assert titles(engine, AllOf((Word("crash"), Word("airliner")))) == [
        "Aliyev's statement on the plane crash"
    ]


def test_near_counts_word_positions_in_either_order(engine):
    insert(engine, [("one two three four five", "")])
    found = ["one two three four five"]
    assert titles(engine, Near(Word("one"), Word("three"), 2)) == found
    assert titles(engine, Near(Word("three"), Word("one"), 2)) == found
    assert titles(engine, Near(Word("one"), Word("four"), 2)) == []
    assert titles(engine, Near(words("one", "two"), Word("five"), 3)) == found
    assert titles(engine, Near(words("one", "two"), Word("five"), 2)) == []
    assert titles(engine, Near(AnyOf((Word("zero"), Word("five"))), Word("four"), 1)) == found


def test_codes_and_addresses_are_searched_as_the_words_they_contain(engine):
    insert(engine, [("Flight J2-8243 and haqqin.az", "")])
    assert titles(engine, Word("J2-8243")) == ["Flight J2-8243 and haqqin.az"]
    assert titles(engine, Word("haqqin.az")) == ["Flight J2-8243 and haqqin.az"]
    assert titles(engine, Word("haqqin")) == ["Flight J2-8243 and haqqin.az"]
    assert search_tokens("J2-8243 haqqin.az") == ["j2", "8243", "haqqin", "az"]


def test_results_come_newest_first_one_page_at_a_time(engine):
    insert(engine, [(f"Baku report {n}", "") for n in range(25)])
    with session_scope(engine) as session:
        first = search_items(session, Word("baku"), limit=10)
        last = search_items(session, Word("baku"), limit=10, offset=20)
    assert [item.title for item in first.items] == [f"Baku report {n}" for n in range(24, 14, -1)]
    assert first.has_more
    assert [item.title for item in last.items] == [f"Baku report {n}" for n in range(4, -1, -1)]
    assert not last.has_more
    assert first.items[0].outlet_slug == "ria-novosti" and first.items[0].published_at == T0 + timedelta(
        hours=24
    )


def test_the_index_follows_edits_and_deletions(engine):
    insert(engine, [("Old headline about Baku", "")])
    with session_scope(engine) as session:
        item = session.exec(select(Item)).one()
        item.title = "Новый заголовок о Баку"
    assert titles(engine, Word("headline")) == []
    assert titles(engine, Word("заголовок")) == ["Новый заголовок о Баку"]
    with session_scope(engine) as session:
        session.delete(session.exec(select(Item)).one())
    assert titles(engine, Word("заголовок")) == []


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        (Without(Word("baku")), SearchQueryError.ONLY_NEGATIVE),
        (AllOf((Without(Word("a1")), Without(Word("b1")))), SearchQueryError.ONLY_NEGATIVE),
        (AnyOf((Word("baku"), Without(Word("moscow")))), SearchQueryError.ONLY_NEGATIVE),
        (Word("ba", prefix=True), SearchQueryError.SHORT_PREFIX),
        (Word("—"), SearchQueryError.NO_WORDS),
        (Near(AllOf((Word("a1"), Word("b1"))), Word("c1"), 2), SearchQueryError.NEAR_OPERAND),
        (Near(Word("a1"), Word("b1"), 0), SearchQueryError.NEAR_DISTANCE),
    ],
)
def test_queries_the_index_cannot_answer_are_refused_with_a_reason(sqlite_engine, query, reason):
    with session_scope(sqlite_engine) as session, pytest.raises(SearchQueryError) as raised:
        search_items(session, query)
    assert raised.value.reason == reason


def test_double_negation_is_a_plain_condition(sqlite_engine):
    insert(sqlite_engine, NEWS)
    assert titles(sqlite_engine, AllOf((Without(Without(Word("baku"))),))) == ["Russian House in Baku closed"]


def test_newest_first_follows_publication_not_insertion(engine):
    """A feed added late brings old items: they must not jump ahead of newer ones."""
    with session_scope(engine) as session:
        feed = add_feed(session, add_outlet(session, "apa"))
        add_item(session, feed, "Baku today", T0 + timedelta(days=3))
        add_item(session, feed, "Baku long ago", T0 - timedelta(days=400))
        add_item(session, feed, "Baku yesterday", T0 + timedelta(days=2))
        add_item(session, feed, "Baku before 1970", datetime(1969, 7, 20, tzinfo=UTC))
    assert titles(engine, Word("baku")) == [
        "Baku today",
        "Baku yesterday",
        "Baku long ago",
        "Baku before 1970",
    ]
    with session_scope(engine) as session:
        moved = session.exec(select(Item).where(Item.title == "Baku long ago")).one()
        moved.published_at = T0 + timedelta(days=5)
    assert titles(engine, Word("baku"), limit=2) == ["Baku long ago", "Baku today"]


# ------------------------------------------------------------------------------ SQLite and PostgreSQL agree

VOCABULARY = (  # noqa: SIM905 (a sentence of words reads better than a column of them)
    "Самолёт самолет самолета AZAL Актау aktau Aktau Bakı Baki Bakıda Baku Əliyev Aliyev Алиев Şuşa Susa "
    "crash crashed crashes plane airliner Russian House дом Русский dom Rus Evi J2-8243 haqqin.az Valuev "
    "Валуев persona non grata Москва Moscow Moskva parade парад 9 may мая 2025 38 67 Ilham İlham"
).split()


def random_text(rng: random.Random, low: int, high: int) -> str:
    separators = [" ", " ", " ", ", ", " — ", ": ", " «", "» ", "'s "]
    return "".join(rng.choice(VOCABULARY) + rng.choice(separators) for _ in range(rng.randint(low, high)))


def corpus(n: int = 300) -> list[tuple[str, str]]:
    rng = random.Random(5)
    return [(f"#{k} {random_text(rng, 2, 8)}", random_text(rng, 0, 14)) for k in range(n)]


term = st.sampled_from(VOCABULARY).map(Word) | st.sampled_from(
    sorted({w[:n] for w in VOCABULARY for n in (3, 4) if len(w) > n})
).map(lambda prefix: Word(prefix, prefix=True))
positional = term | st.lists(term, min_size=2, max_size=3).map(lambda ws: Phrase(tuple(ws)))
near_operand = positional | st.lists(positional, min_size=2, max_size=2).map(lambda xs: AnyOf(tuple(xs)))
queries = st.recursive(
    positional | st.builds(Near, near_operand, near_operand, st.integers(1, 4)),
    lambda inner: (
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: AnyOf(tuple(xs)))
        | st.tuples(inner, st.lists(inner, max_size=2)).map(
            lambda pair: AllOf((pair[0], *(Without(x) for x in pair[1])))
        )
        | st.lists(inner, min_size=2, max_size=3).map(lambda xs: AllOf(tuple(xs)))
    ),
    max_leaves=6,
)


@pytest.mark.postgres
def test_sqlite_and_postgresql_find_the_same_items(sqlite_engine, postgres_engine):
    rows = corpus()
    insert(sqlite_engine, rows)
    insert(postgres_engine, rows)
    nonempty = 0

    @given(queries)
    @settings(max_examples=150, deadline=None, database=None)
    def same(query):
        nonlocal nonempty
        outcomes = []
        for engine in (sqlite_engine, postgres_engine):
            try:
                outcomes.append(titles(engine, query, limit=len(rows)))
            except SearchQueryError as error:
                outcomes.append(error.reason)
        assert outcomes[0] == outcomes[1], query
        nonempty += bool(outcomes[0]) and not isinstance(outcomes[0], str)

    same()
    assert nonempty > 30  # the comparison is about queries that find something


@pytest.mark.postgres
def test_postgresql_answers_from_the_gin_index(postgres_engine):
    insert(postgres_engine, NEWS)
    with session_scope(postgres_engine) as session:
        session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = session.execute(
            text("EXPLAIN SELECT id FROM items WHERE items_fts_document @@ CAST(:q AS tsquery)"),
            {"q": "'baku'"},
        ).scalars()
        assert "items_fts_document_index" in "\n".join(plan)
