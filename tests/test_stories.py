"""Stories: near-duplicate grouping per language, cross-language links, and the storage side."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from feeds.stories import EntityLexicon, Fingerprint, StoryGrouper, fingerprint, text_similarity
from storage.session import session_scope
from storage.stories import assign_story, story_outlets
from tests.support.coverage import Coverage

T0 = datetime(2025, 7, 1, 8, 0, tzinfo=UTC)

LEXICON = EntityLexicon(
    {
        "sputnik-azerbaijan": [
            ("Sputnik Azerbaijan", "en"),
            ("Sputnik Азербайджан", "ru"),
            ("Sputnik Azərbaycan", "az"),
        ],
        "baku": [("Baku", "en"), ("Баку", "ru"), ("Bakı", "az")],
        "mvd-az": [("Interior Ministry", "en"), ("МВД", "ru"), ("Daxili İşlər Nazirliyi", "az")],
        "aliyev": [("Aliyev", "en"), ("Алиев", "ru"), ("Əliyev", "az")],
        "putin": [("Putin", "en"), ("Путин", "ru"), ("Putin", "az")],
    }
)


@dataclass(frozen=True)
class Candidate:
    story_id: int
    language: str | None
    signature: list[int]
    incident_ids: frozenset[str] = frozenset()


def similarity(a: tuple[str, str, str], b: tuple[str, str, str]) -> float:
    return text_similarity(fingerprint(*a), fingerprint(*b))


SAME_STORY = [
    (
        ("Azerbaijani police detain two Sputnik Azerbaijan employees in Baku", "", "en"),
        ("Two Sputnik Azerbaijan staff detained by police in Baku", "", "en"),
    ),
    (
        ("Полиция Азербайджана задержала двух сотрудников Sputnik Азербайджан", "", "ru"),
        ("В Баку задержаны двое сотрудников Sputnik Азербайджан", "", "ru"),
    ),
    (  # a syndicated text with a different headline
        (
            "МВД Азербайджана: Sputnik продолжал работать незаконно",
            "Работа агентства Sputnik Азербайджан официально приостановлена с февраля, однако издание "
            "продолжало работать незаконно, сообщили в МВД Азербайджана.",
            "ru",
        ),
        (
            "Sputnik работал нелегально — МВД",
            "Работа агентства Sputnik Азербайджан официально приостановлена с февраля, однако издание "
            "продолжало работать незаконно, сообщили в МВД Азербайджана в понедельник.",
            "ru",
        ),
    ),
]

DIFFERENT_STORIES = [
    (
        ("Russia bans Azerbaijani deputy Azer Badamov from entry", "", "en"),
        ("Azerbaijan bans Russian deputy Valuev from entry", "", "en"),
    ),
    (
        ("Aliyev skips the Victory Parade in Moscow", "", "en"),
        ("Two Sputnik Azerbaijan staff detained by police in Baku", "", "en"),
    ),
    (
        ("Алиев потребовал от России признать вину в крушении самолёта AZAL", "", "ru"),
        ("В Екатеринбурге задержаны около 50 азербайджанцев", "", "ru"),
    ),
]


@pytest.mark.parametrize(("a", "b"), SAME_STORY)
def test_near_duplicates_in_one_language_are_similar(a, b):
    assert similarity(a, b) >= 0.5


@pytest.mark.parametrize(("a", "b"), DIFFERENT_STORIES)
def test_different_stories_are_not(a, b):
    assert similarity(a, b) < 0.5


def test_signature_round_trip_and_foreign_signatures():
    print_ = fingerprint("Two Sputnik Azerbaijan staff detained", "summary", "en", LEXICON)
    assert Fingerprint.from_signature(print_.to_signature()) == print_
    assert print_.entities  # Sputnik Azerbaijan found
    assert Fingerprint.from_signature([]) is None
    assert Fingerprint.from_signature([99, 1, 0, 0, 5]) is None
    assert Fingerprint.from_signature([1, 3, 0, 0, 5]) is None  # truncated


def test_pick_prefers_the_same_language_match_and_ignores_unrelated_stories():
    grouper = StoryGrouper(lexicon=LEXICON)
    en_story = Candidate(
        1, "en", grouper.signature("Two Sputnik Azerbaijan staff detained by police in Baku", "", "en")
    )
    other = Candidate(2, "en", grouper.signature("Aliyev skips the Victory Parade in Moscow", "", "en"))
    item = grouper.signature("Azerbaijani police detain two Sputnik Azerbaijan employees in Baku", "", "en")
    assert grouper.pick(item, "en", frozenset(), [other, en_story]) == 1
    assert grouper.pick(item, "en", frozenset(), [other]) is None


def test_cross_language_link_needs_shared_entities_and_incident():
    grouper = StoryGrouper(lexicon=LEXICON)
    ru_story = Candidate(
        7,
        "ru",
        grouper.signature(
            "В Баку задержаны двое сотрудников Sputnik Азербайджан", "Об этом сообщили в МВД.", "ru"
        ),
        frozenset({"media-battle"}),
    )
    en_item = grouper.signature(
        "Police in Baku detain Sputnik Azerbaijan staff",
        "The Interior Ministry said the agency worked illegally.",
        "en",
    )
    assert grouper.pick(en_item, "en", frozenset({"media-battle"}), [ru_story]) == 7
    assert grouper.pick(en_item, "en", frozenset({"azal-plane-crash"}), [ru_story]) is None
    unrelated = grouper.signature("Putin and Aliyev spoke by phone", "", "en")
    assert grouper.pick(unrelated, "en", frozenset({"media-battle"}), [ru_story]) is None


def test_without_a_lexicon_languages_never_mix():
    grouper = StoryGrouper()
    ru_story = Candidate(
        7,
        "ru",
        grouper.signature("Sputnik Азербайджан: задержаны двое", "", "ru"),
        frozenset({"media-battle"}),
    )
    item = grouper.signature("Sputnik Azerbaijan: two detained", "", "en")
    assert grouper.pick(item, "en", frozenset({"media-battle"}), [ru_story]) is None


# --- storage: assign_story on SQLite and PostgreSQL ------------------------------------------------


def test_assign_story_groups_across_outlets_within_48_hours(engine):
    grouper = StoryGrouper(lexicon=LEXICON)
    with session_scope(engine) as session:
        data = Coverage(session)
        data.incident("media-battle", "Media battle")
        tass = data.outlet("tass", "russia")
        ria = data.outlet("ria", "russia")
        apa = data.outlet("apa", "azerbaijan")
        first = data.item(
            tass, "Полиция Азербайджана задержала двух сотрудников Sputnik Азербайджан", fetched_at=T0
        )
        story = assign_story(session, first, grouper)
        second = data.item(
            ria,
            "В Баку задержаны двое сотрудников Sputnik Азербайджан",
            fetched_at=T0 + timedelta(hours=3),
            published_at=T0 - timedelta(hours=1),  # an earlier publication time moves first-seen back
        )
        joined = assign_story(session, second, grouper)
        third = data.item(
            apa, "В Баку задержаны двое сотрудников Sputnik Азербайджан", fetched_at=T0 + timedelta(hours=60)
        )
        late = assign_story(session, third, grouper)

    assert joined.id == story.id
    assert late.id != story.id  # 60 hours later: a new story
    with session_scope(engine) as session:
        refreshed = session.get(type(story), story.id)
        assert refreshed.item_count == 2
        assert refreshed.outlet_count == 2
        assert refreshed.first_seen_at == T0 - timedelta(hours=1)
        assert refreshed.last_seen_at == T0
        outlets = story_outlets(session, story.id)
        assert [(outlet.name, outlet.side) for outlet in outlets] == [("Tass", "russia"), ("Ria", "russia")]


def test_assign_story_links_languages_through_entities_and_incident(engine):
    grouper = StoryGrouper(lexicon=LEXICON)
    with session_scope(engine) as session:
        data = Coverage(session)
        data.incident("media-battle", "Media battle")
        ria = data.outlet("ria", "russia")
        reuters = data.outlet("reuters", "international", languages=["en"])
        ru_item = data.item(
            ria,
            "В Баку задержаны двое сотрудников Sputnik Азербайджан",
            fetched_at=T0,
            incidents=["media-battle"],
        )
        story = assign_story(session, ru_item, grouper)
        en_item = data.item(
            reuters,
            "Police in Baku detain Sputnik Azerbaijan staff",
            language="en",
            fetched_at=T0 + timedelta(hours=2),
            incidents=["media-battle"],
        )
        linked = assign_story(session, en_item, grouper)  # its matches are read from item_incidents
        again = assign_story(session, en_item, grouper)
    assert linked.id == story.id
    assert again.id == story.id  # assigning twice changes nothing
    with session_scope(engine) as session:
        assert {outlet.side for outlet in story_outlets(session, story.id)} == {"russia", "international"}
        assert session.get(type(story), story.id).item_count == 2
