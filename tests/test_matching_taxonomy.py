"""seeds/taxonomy.yaml: it loads, its example headlines are tagged as they say, and broken files are
reported completely (file, incident, position)."""

from pathlib import Path

import pytest

from bot.knowledge import INCIDENT_IDS
from feeds.matching import Matcher, QuerySyntaxError, TaxonomyError, check_examples, load_taxonomy
from feeds.matching.taxonomy import Example

TAXONOMY_PATH = Path(__file__).resolve().parents[1] / "seeds" / "taxonomy.yaml"
TAXONOMY = load_taxonomy(TAXONOMY_PATH)
MATCHER = Matcher.from_taxonomy(TAXONOMY)


def _examples() -> list:
    cases = []
    for incident in TAXONOMY.incidents:
        for kind, examples in (
            ("positive", incident.positive_examples),
            ("negative", incident.negative_examples),
        ):
            for n, example in enumerate(examples):
                cases.append(
                    pytest.param(incident.id, kind == "positive", example, id=f"{incident.id}-{kind}-{n}")
                )
    return cases


def test_the_taxonomy_has_the_nine_incidents() -> None:
    assert {i.id for i in TAXONOMY.incidents} == set(INCIDENT_IDS)
    assert [i.id for i in TAXONOMY.incidents if i.fallback] == ["relations-general"]


@pytest.mark.parametrize("incident", sorted(INCIDENT_IDS))
def test_each_incident_has_examples_in_all_three_languages(incident: str) -> None:
    entry = TAXONOMY.incident(incident)
    assert {e.lang for e in entry.positive_examples} == {"ru", "az", "en"}
    assert len(entry.negative_examples) >= 3


@pytest.mark.parametrize(("incident", "positive", "example"), _examples())
def test_example_headline(incident: str, positive: bool, example: Example) -> None:
    tagged = [
        m.incident_id for m in MATCHER.match(example.title, example.summary, example.lang, example.published)
    ]
    assert (incident in tagged) is positive, tagged


def test_check_examples_reports_nothing_for_the_shipped_taxonomy() -> None:
    assert check_examples(TAXONOMY, MATCHER) == []


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "taxonomy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_query_problem_is_reported_with_file_incident_and_position(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
version: 1
definitions:
  russia: russia* OR (moscow
incidents:
  entry-bans:
    title: Bans
    query: (entry OR ban* OR bar
  media-battle:
    title: Media
    query: sputnik AND @rusia
    exclude: ["ok", "x NEAR/0 y"]
  parade:
    title: Parade
    query: NOT parade
  victory:
    title: Victory
    query: victory OR NOT parade
""",
    )
    with pytest.raises(TaxonomyError) as caught:
        load_taxonomy(path)
    where = f"{path}: "
    assert caught.value.problems == [
        where + "definitions.russia: position 19: expected ')' or an operator, found end of query",
        where + "incidents.entry-bans.query: position 22: expected ')' or an operator, found end of query",
        where
        + "incidents.media-battle.query: position 13: expected a defined name (@russia), found '@rusia'",
        where + "incidents.media-battle.exclude[1]: position 3: expected NEAR/n with a whole number n ≥ 1, "
        "found 'NEAR/0'",
        where + "incidents.parade.query: the query matches texts that contain none of its terms",
        where + "incidents.victory.query: the query matches texts that contain none of its terms",
    ]
    assert str(caught.value) == "\n".join(caught.value.problems)


def test_syntax_errors_are_available_as_exceptions_with_incident_and_position(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "version: 1\nincidents:\n  entry-bans:\n    title: Bans\n    query: (entry OR ban\n"
    )
    with pytest.raises(TaxonomyError) as caught:
        load_taxonomy(path)
    [error] = caught.value.syntax_errors
    assert isinstance(error, QuerySyntaxError)
    assert (error.incident, error.position, error.expected) == ("entry-bans", 14, "')' or an operator")


def test_definitions_may_use_each_other_but_not_in_a_circle(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
version: 1
definitions:
  a: x OR @b
  b: y OR @a
incidents:
  one:
    title: One
    query: "@a"
""",
    )
    with pytest.raises(TaxonomyError) as caught:
        load_taxonomy(path)
    assert caught.value.problems[0] == (
        f"{path}: definitions.b: position 6: expected a definition that does not use itself, found '@a'"
    )


def test_schema_problems_are_listed_with_their_yaml_path(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
version: 1
incidents:
  entry-bans:
    query: ban
    examples:
      positive:
        - {lang: de, title: Einreiseverbot}
    colour: red
""",
    )
    with pytest.raises(TaxonomyError) as caught:
        load_taxonomy(path)
    assert caught.value.problems == [
        f"{path}: incidents.entry-bans.title: Field required",
        f"{path}: incidents.entry-bans.examples.positive[0].lang: Input should be 'ru', 'az' or 'en'",
        f"{path}: incidents.entry-bans.colour: Extra inputs are not permitted",
    ]


def test_unreadable_and_malformed_files_are_reported(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="cannot read"):
        load_taxonomy(tmp_path / "missing.yaml")
    with pytest.raises(TaxonomyError, match="not valid YAML"):
        load_taxonomy(_write(tmp_path, "version: 1\nincidents: [unclosed\n"))
