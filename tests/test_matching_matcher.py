"""The compiled matcher: NEAR and phrases, fields, explanations, scores, periods, fallback, exclusions."""

import json
from datetime import date

import pytest

from feeds.matching import Matcher, compile_query
from feeds.matching.taxonomy import parse_taxonomy


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("crash near Aktau", True),  # 2 positions apart
        ("Aktau plane crash", True),  # either order
        ("crash of the jet near Aktau", False),  # 5 apart
        ("Aktau", False),
    ],
)
def test_near_counts_word_positions_in_either_order(text: str, expected: bool) -> None:
    assert compile_query("crash NEAR/2 aktau").matches(text) is expected


def test_near_does_not_reach_across_title_and_summary() -> None:
    query = compile_query("crash NEAR/3 aktau")
    assert not query.matches("Plane crash", "Aktau airport closed")
    assert query.matches("Plane crash", "Aktau crash site")


def test_near_measures_from_the_edges_of_phrases() -> None:
    query = compile_query('"russian house" NEAR/2 baku')
    assert query.matches("the Russian House in Baku")
    assert query.matches("Baku: the Russian House")
    assert not query.matches("the Russian House will not reopen in Baku")


def test_a_phrase_needs_its_words_side_by_side_and_in_order() -> None:
    query = compile_query('"russian house"')
    assert query.matches("Russian Houses abroad")
    assert not query.matches("House of Russian culture")
    assert not query.matches("Russian", "House")


def test_not_excludes_and_boolean_operators_span_both_fields() -> None:
    query = compile_query("safarov* AND (brother* OR qardaş*) NOT ramil*")
    assert query.matches("Safarov brothers buried", "")
    assert query.matches("Funeral in Aghjabadi", "The Safarov brothers died in Yekaterinburg.")
    assert not query.matches("Ramil Safarov's brother speaks", "")


def test_matching_ignores_case() -> None:
    assert compile_query("AZAL").matches("azal flight")
    assert compile_query("azal").matches("AZAL FLIGHT")


def test_explanation_names_term_field_and_surface_word_and_is_json_ready() -> None:
    explanation = compile_query("сафаров* AND екатеринбург* AND NOT рамил*").explain(
        "Братьев Сафаровых похоронили", "Они погибли в Екатеринбурге.", "ru"
    )
    assert explanation == [
        {"term": "сафаров*", "field": "title", "word": "Сафаровых", "position": 1},
        {"term": "екатеринбург*", "field": "summary", "word": "Екатеринбурге", "position": 3},
    ]
    assert json.loads(json.dumps(explanation)) == explanation


def test_a_word_matched_by_several_spellings_is_explained_once_in_its_own_script() -> None:
    query = compile_query("azerbaijan* OR азербайдж*")  # transliteration makes both match either script
    assert query.explain("Посол Азербайджана", "", "ru") == [
        {"term": "азербайдж*", "field": "title", "word": "Азербайджана", "position": 1}
    ]
    assert query.explain("Azerbaijan's envoy", "", "en") == [
        {"term": "azerbaijan*", "field": "title", "word": "Azerbaijan's", "position": 0}
    ]


def test_explain_is_none_without_a_match() -> None:
    assert compile_query("aktau").explain("Baku weather") is None


def _matcher(incidents: dict, definitions: dict | None = None) -> Matcher:
    raw = {"version": 1, "definitions": definitions or {}, "incidents": incidents}
    return Matcher.from_taxonomy(parse_taxonomy(raw, "test.yaml"))


def _ids(matcher: Matcher, title: str, summary: str = "", **kwargs) -> list[str]:
    return [m.incident_id for m in matcher.match(title, summary, **kwargs)]


def test_score_says_where_the_query_is_satisfied() -> None:
    matcher = _matcher({"crash": {"title": "Crash", "query": "crash AND aktau"}})
    [in_title] = matcher.match("Crash near Aktau", "Rescuers at work.", "en")
    [in_both] = matcher.match("Crash investigation", "The jet came down near Aktau.", "en")
    [in_summary] = matcher.match("Investigators at work", "The jet crash near Aktau.", "en")
    assert (in_title.score, in_both.score, in_summary.score) == (1.0, 0.8, 0.6)
    assert in_title.to_json() == {
        "incident_id": "crash",
        "score": 1.0,
        "explanation": [
            {"term": "crash", "field": "title", "word": "Crash", "position": 0},
            {"term": "aktau", "field": "title", "word": "Aktau", "position": 2},
        ],
    }


def test_score_counts_a_word_in_both_fields_for_each_field() -> None:
    matcher = _matcher({"crash": {"title": "Crash", "query": "crash AND aktau"}})
    [summary_alone] = matcher.match("Crash investigation", "The crash happened near Aktau.", "en")
    [title_alone] = matcher.match("Crash near Aktau", "Another crash, far from Aktau.", "en")
    assert (summary_alone.score, title_alone.score) == (0.6, 1.0)


def test_period_limits_tagging_only_when_a_date_is_given() -> None:
    matcher = _matcher({"parade": {"title": "Parade", "query": "parade AND aliyev", "since": "2025-01-01"}})
    title = "Aliyev skips the parade"
    assert _ids(matcher, title, published="2020-06-24") == []
    assert _ids(matcher, title, published=date(2025, 5, 9)) == ["parade"]
    assert _ids(matcher, title, published="2025-05-09T10:00:00+00:00") == ["parade"]
    assert _ids(matcher, title) == ["parade"]


def test_exclusions_veto_a_match() -> None:
    matcher = _matcher({"raids": {"title": "Raids", "query": "safarov*", "exclude": ["ramil*", "wrestler*"]}})
    assert _ids(matcher, "Safarov brothers") == ["raids"]
    assert _ids(matcher, "Ramil Safarov") == []
    assert _ids(matcher, "Wrestler Safarov wins bronze") == []


def test_fallback_incident_only_when_no_other_matches() -> None:
    matcher = _matcher(
        {
            "crash": {"title": "Crash", "query": "crash AND @russia"},
            "general": {"title": "General", "query": "@russia AND talks", "fallback": True},
        },
        {"russia": "russia* OR moscow*"},
    )
    assert _ids(matcher, "Moscow and Baku hold talks") == ["general"]
    assert _ids(matcher, "Talks in Moscow after the crash") == ["crash"]


def test_several_incidents_best_score_first() -> None:
    matcher = _matcher(
        {
            "crash": {"title": "Crash", "query": "crash AND moscow"},
            "parade": {"title": "Parade", "query": "parade"},
        }
    )
    assert _ids(matcher, "Parade skipped in Moscow", "after the crash") == ["parade", "crash"]


def test_an_incident_only_recalled_in_the_summary_is_context_not_a_tag() -> None:
    matcher = _matcher(
        {
            "crash": {"title": "Crash", "query": "crash"},
            "parade": {"title": "Parade", "query": "parade"},
            "raids": {"title": "Raids", "query": "raids"},
        }
    )
    assert _ids(matcher, "Parade skipped", "Relations cooled after the crash.") == ["parade"]
    assert _ids(matcher, "Why Baku is angry", "First the crash, then the parade.") == ["crash", "parade"]
    # A title naming two incidents is an overview: what its summary adds counts too.
    assert _ids(matcher, "From the crash to the parade", "And then the raids.") == [
        "crash",
        "parade",
        "raids",
    ]


def test_items_without_language_are_guessed() -> None:
    matcher = _matcher({"house": {"title": "House", "query": '"rus evi"'}})
    assert _ids(matcher, "Bakıdakı Rus Evinin fəaliyyəti dayandırılıb") == ["house"]
