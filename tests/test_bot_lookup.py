"""Finding incidents and people by what users type, in any of the three languages."""

import pytest

from bot.lookup import find_incident, find_outlet, find_person
from tests.support.bot_harness import knowledge


@pytest.mark.parametrize(
    ("query", "incident_id"),
    [
        ("azal-plane-crash", "azal-plane-crash"),
        ("AZAL", "azal-plane-crash"),
        ("самолёт", "azal-plane-crash"),
        ("təyyarə", "azal-plane-crash"),
        ("Russian House", "russian-house-closure"),
        ("русский дом", "russian-house-closure"),
        ("Екатеринбург", "yekaterinburg-raids"),
        ("victory parade", "victory-parade-absence"),
    ],
)
def test_incidents_by_id_title_or_alias_in_any_language(query, incident_id):
    assert find_incident(knowledge(), query).found.id == incident_id


def test_a_misspelt_incident_gets_suggestions_and_nonsense_gets_none():
    lookup = find_incident(knowledge(), "azl")
    assert lookup.found is None and [i.id for i in lookup.suggestions] == ["azal-plane-crash"]
    assert find_incident(knowledge(), "qwertyuiop").suggestions == []
    assert find_incident(knowledge(), "  —  ").found is None


@pytest.mark.parametrize("query", ["Aliyev", "Алиев", "Əliyev", "ƏLİYEV", "Ilham", "Ильхам Алиев", "Aliev"])
def test_people_by_name_in_any_script(query):
    assert find_person(knowledge(), query).found.id == "ilham-aliyev"


def test_a_misspelt_name_is_offered_not_opened():
    lookup = find_person(knowledge(), "Валуеу")
    assert lookup.found is None and "nikolai-valuev" in [p.id for p in lookup.suggestions]


def test_outlets_by_slug_or_name():
    assert find_outlet(knowledge(), "RIA Novosti").found.slug == "ria-novosti"
    assert find_outlet(knowledge(), "report-az").found.slug == "report-az"
