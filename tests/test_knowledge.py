"""The seed knowledge base: it loads, it holds the seed article's facts, and broken edits are reported."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pydantic
import pydantic_core
import pytest
import yaml

from bot.knowledge import INCIDENT_IDS, LANGUAGES, Knowledge, KnowledgeError, load_knowledge

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
AZERBAIJANI_LETTERS = set("əğıöüşçİ")


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return load_knowledge(SEEDS)


def test_shipped_seeds_hold_the_nine_incidents_in_order(kb: Knowledge) -> None:
    assert [incident.id for incident in kb.incidents] == list(INCIDENT_IDS)


@pytest.mark.parametrize("incident_id", INCIDENT_IDS)
def test_incident_reads_in_all_three_languages(kb: Knowledge, incident_id: str) -> None:
    incident = kb.incident(incident_id)
    framing = incident.framing
    texts = [incident.title, incident.summary, *incident.key_facts, framing.russia, framing.azerbaijan]
    assert all(text.get(lang).strip() for text in texts for lang in LANGUAGES)
    assert AZERBAIJANI_LETTERS & set(incident.summary.az), "Azerbaijani text should use ə, ğ, ı, ö, ü, ş, ç"
    scripts = {"cyrillic" if re.search("[а-яё]", alias) else "latin" for alias in incident.aliases}
    assert scripts == {"cyrillic", "latin"}, "people type aliases in both scripts"


def test_localized_text_falls_back_to_english(kb: Knowledge) -> None:
    title = kb.incident("azal-plane-crash").title
    assert title.get("az") == "AZAL təyyarəsinin Aktau yaxınlığında qəzaya uğraması"
    assert title.get("de") == title.en


def test_lookups_by_id(kb: Knowledge) -> None:
    assert kb.outlet("haqqin-az").name == "Haqqin.az"
    assert kb.person("ilham-aliyev").name.ru == "Ильхам Алиев"
    assert [event.date for event in kb.timeline_for("azal-plane-crash")] == [date(2024, 12, 25)]
    with pytest.raises(KeyError, match="no incident 'nope'"):
        kb.incident("nope")


def section_text(kb: Knowledge, ref: str) -> str:
    """JSON of one part of the knowledge base, e.g. 'incident:media-battle' or 'view:vadim-siprov'."""
    kind, _, key = ref.partition(":")
    parts = {
        "incident": lambda: kb.incident(key),
        "person": lambda: kb.person(key),
        "outlet": lambda: kb.outlet(key),
        "view": lambda: [view for view in kb.views if view.person == key],
        "timeline": lambda: kb.timeline_for(key),
    }
    return pydantic_core.to_json(parts[kind]()).decode()


# Facts of the seed article, each expected in the part of the knowledge base where a reader looks for it.
ARTICLE_TEXT_FACTS = [
    ("incident:azal-plane-crash", "Embraer 190"),
    ("incident:azal-plane-crash", "Aktau"),
    ("incident:azal-plane-crash", "Kazakhstan"),
    ("incident:azal-plane-crash", "from Baku to Grozny"),
    ("incident:azal-plane-crash", "2024-12-25"),
    ("incident:azal-plane-crash", "ground"),
    ("incident:azal-plane-crash", "compensate"),
    ("incident:russian-house-closure", "nearly 30 years"),
    ("incident:russian-house-closure", "registration"),
    ("incident:entry-bans", "persona non grata"),
    ("incident:entry-bans", "May 2025"),
    ("incident:victory-parade-absence", "2025-05-09"),
    ("incident:peacekeepers-killed", "KamAZ"),
    ("incident:peacekeepers-killed", "observation post"),
    ("incident:peacekeepers-killed", "Prosecutor General"),
    ("incident:peacekeepers-killed", "corps"),
    ("incident:peacekeepers-killed", "Late September 2023"),
    ("incident:ukraine-positions", "Crimea"),
    ("incident:ukraine-positions", "Palladium"),
    ("incident:ukraine-positions", "humanitarian aid"),
    ("incident:ukraine-positions", "third month"),
    ("incident:media-battle", "Roskomnadzor"),
    ("incident:media-battle", "Nagorno-Karabakh Republic"),
    ("incident:media-battle", "FSB"),
    ("incident:media-battle", "illegal financing"),
    ("incident:media-battle", "30 June 2025"),
    ("incident:yekaterinburg-raids", "heart attack"),
    ("incident:yekaterinburg-raids", "espionage"),
    ("incident:yekaterinburg-raids", "barbaric"),
    ("incident:relations-general", "half a million"),
    ("view:vadim-siprov", "Finland to Kazakhstan"),
    ("view:vadim-siprov", "Belarus"),
    ("view:vadim-siprov", "London"),
    ("view:vitaly-ryumshin", "half a million"),
    ("view:vitaly-ryumshin", "50 percent"),
    ("view:vitaly-ryumshin", "top three"),
    ("view:vitaly-ryumshin", "China and the EU"),
    ("view:vitaly-ryumshin", "big brother"),
    ("view:marat-bashirov", "Turkey or Iran"),
    ("view:aktai-kasimov", "diaspora"),
    ("view:rizvon-huseynov", "past three years"),
    ("view:rizvon-huseynov", "Kremlin"),
    ("view:zaur-mammadov", "Iran and India"),
    ("view:zaur-mammadov", "sanctions"),
    ("view:zaur-mammadov", "CIS"),
    ("person:zaur-mammadov", "Baku Political Scientists Club"),
    ("person:alexei-sochnev", "December 2023"),
    ("person:nikolai-valuev", "State Duma"),
    ("outlet:sputnik-azerbaijan", "30 June 2025"),
]


@pytest.mark.parametrize(("ref", "needle"), ARTICLE_TEXT_FACTS)
def test_article_fact_is_in_the_knowledge_base(kb: Knowledge, ref: str, needle: str) -> None:
    assert needle in section_text(kb, ref)


ARTICLE_NUMBERS = [
    ("azal-plane-crash", "38"),
    ("azal-plane-crash", "67"),
    ("azal-plane-crash", "190"),
    ("russian-house-closure", "30"),
    ("peacekeepers-killed", "6"),
    ("ukraine-positions", "2014"),
    ("media-battle", "2"),
    ("yekaterinburg-raids", "50"),
    ("yekaterinburg-raids", "2"),
    ("relations-general", "500000"),
    ("relations-general", "50%"),
    ("relations-general", "3"),
]


@pytest.mark.parametrize(("incident_id", "value"), ARTICLE_NUMBERS)
def test_article_number_is_recorded(kb: Knowledge, incident_id: str, value: str) -> None:
    assert value in {figure.value for figure in kb.incident(incident_id).numbers}


ARTICLE_DATES = [
    ("2014-01-01", "year", "ukraine-positions"),
    ("2022-02-01", "month", "ukraine-positions"),
    ("2022-03-01", "month", "media-battle"),
    ("2022-04-01", "month", "ukraine-positions"),
    ("2022-06-01", "month", "media-battle"),
    ("2023-09-01", "month", "peacekeepers-killed"),
    ("2023-12-01", "month", "ukraine-positions"),
    ("2024-04-01", "month", "ukraine-positions"),
    ("2024-12-25", "day", "azal-plane-crash"),
    ("2025-02-01", "month", "russian-house-closure"),
    ("2025-02-01", "month", "entry-bans"),
    ("2025-02-01", "month", "media-battle"),
    ("2025-05-01", "month", "entry-bans"),
    ("2025-05-01", "month", "media-battle"),
    ("2025-05-09", "day", "victory-parade-absence"),
    ("2025-06-01", "month", "yekaterinburg-raids"),
    ("2025-06-30", "day", "media-battle"),
    ("2025-07-03", "day", "relations-general"),
]


@pytest.mark.parametrize(("day", "precision", "incident_id"), ARTICLE_DATES)
def test_article_date_is_on_the_timeline(kb: Knowledge, day: str, precision: str, incident_id: str) -> None:
    entries = {(str(event.date), event.date_precision) for event in kb.timeline_for(incident_id)}
    assert (day, precision) in entries


def test_timeline_is_chronological(kb: Knowledge) -> None:
    dates = [event.date for event in kb.timeline]
    assert dates == sorted(dates)


def test_source_is_attributed(kb: Knowledge) -> None:
    assert kb.source.date == date(2025, 7, 3)
    assert kb.source.title.startswith("Seditious Britain and “big brother Turkey”")


OUTLET_STATUSES = [
    ("haqqin-az", "restricted", "RU", "2022-03-01"),
    ("minval-az", "restricted", "RU", "2022-03-01"),
    ("ria-novosti", "blocked", "AZ", "2022-06-01"),
    ("tsargrad", "blocked", "AZ", "2025-05-01"),
    ("sputnik-azerbaijan", "suspended", "AZ", "2025-02-01"),
]


@pytest.mark.parametrize(("slug", "kind", "where", "since"), OUTLET_STATUSES)
def test_outlet_status_from_the_article(kb: Knowledge, slug: str, kind: str, where: str, since: str) -> None:
    assert (kind, where, since, "month") in {
        (s.kind, s.where, str(s.since), s.since_precision) for s in kb.outlet(slug).status
    }


def test_outlets_cited_in_the_article_are_marked(kb: Knowledge) -> None:
    cited = {outlet.slug for outlet in kb.outlets if outlet.cited_in_seed}
    assert cited == {
        "ria-novosti", "tsargrad", "sputnik-azerbaijan", "forpost", "gazeta-ru", "moskovsky-komsomolets",
        "haqqin-az", "minval-az", "report-az", "konkret-az", "turkustan-az",
    }  # fmt: skip


def test_main_outlets_of_both_sides_and_international_are_listed(kb: Knowledge) -> None:
    expected = {
        "russia": {"tass", "interfax", "kommersant", "rbc", "izvestia", "rt", "lenta-ru", "meduza"},
        "azerbaijan": {"apa", "trend", "azertac", "oxu-az", "day-az", "vesti-az", "caliber-az"},
        "international": {"jamnews", "oc-media", "eurasianet", "bbc-russian", "reuters"},
    }
    for side, slugs in expected.items():
        assert slugs <= {outlet.slug for outlet in kb.outlets if outlet.side == side}, side
    assert all(not feed.verified for outlet in kb.outlets for feed in outlet.feeds)


PEOPLE = [
    ("ilham-aliyev", "Ильхам Алиев", "İlham Əliyev"),
    ("vladimir-putin", "Владимир Путин", "Vladimir Putin"),
    ("nikolai-valuev", "Николай Валуев", "Nikolay Valuyev"),
    ("azer-badamov", "Азер Бадамов", "Azər Badamov"),
    ("safarov-brothers", "Братья Сафаровы", "Səfərov qardaşları"),
    ("alexei-sochnev", "Алексей Сочнев", "Aleksey Soçnev"),
    ("vadim-siprov", "Вадим Сипров", "Vadim Siprov"),
    ("vitaly-ryumshin", "Виталий Рюмшин", "Vitali Ryumşin"),
    ("marat-bashirov", "Марат Баширов", "Marat Başirov"),
    ("aktai-kasimov", "Актай Касимов", "Aktay Qasımov"),
    ("rizvon-huseynov", "Ризван Гусейнов", "Rizvan Hüseynov"),
    ("zaur-mammadov", "Заур Мамедов", "Zaur Məmmədov"),
]


@pytest.mark.parametrize(("person_id", "name_ru", "name_az"), PEOPLE)
def test_person_from_the_article(kb: Knowledge, person_id: str, name_ru: str, name_az: str) -> None:
    person = kb.person(person_id)
    assert (person.name.ru, person.name.az) == (name_ru, name_az)
    assert person.incidents


def test_commentators_views_are_attributed_to_person_and_outlet(kb: Knowledge) -> None:
    assert {(view.person, view.outlet, view.side) for view in kb.views} == {
        ("vadim-siprov", "forpost", "russia"),
        ("vitaly-ryumshin", "gazeta-ru", "russia"),
        ("marat-bashirov", "moskovsky-komsomolets", "russia"),
        ("aktai-kasimov", "turkustan-az", "azerbaijan"),
        ("rizvon-huseynov", "konkret-az", "azerbaijan"),
        ("zaur-mammadov", "report-az", "azerbaijan"),
    }


# --- broken seeds -------------------------------------------------------------------------------------


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    copy = tmp_path / "seeds"
    shutil.copytree(SEEDS, copy)
    return copy


def edit(seeds: Path, name: str, change: Callable[[dict], object]) -> None:
    path = seeds / name
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    change(data)
    text = yaml.dump(data, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")


def error_lines(seeds: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(seeds)
    lines = [str(error) for error in caught.value.errors]
    assert str(caught.value) == "\n".join(lines)
    assert all("\n" not in line for line in lines)
    return lines


def swap_first_two(items: list) -> None:
    items[0], items[1] = items[1], items[0]


BROKEN_EDITS = [
    pytest.param(
        "outlets.yaml",
        lambda d: d["outlets"][3].update(side="russland"),
        "outlets[3].side: expected one of russia, azerbaijan, international (got 'russland')",
        id="bad-side",
    ),
    pytest.param(
        "incidents.yaml",
        lambda d: d["incidents"][0]["title"].update(az=""),
        "incidents[0].title.az: expected non-empty text",
        id="empty-translation",
    ),
    pytest.param(
        "incidents.yaml",
        lambda d: d["incidents"][2].pop("framing"),
        "incidents[2].framing: required field is missing",
        id="missing-field",
    ),
    pytest.param(
        "incidents.yaml",
        lambda d: d["incidents"][4].update(id="peacekeepers"),
        "incidents[4].id: expected one of azal-plane-crash, russian-house-closure,",
        id="unknown-incident-id",
    ),
    pytest.param(
        "incidents.yaml",
        lambda d: d["incidents"][1]["aliases"].__setitem__(0, "Russian House"),
        "incidents[1].aliases[0]: expected lower-case text (got 'Russian House')",
        id="alias-case",
    ),
    pytest.param(
        "background.yaml",
        lambda d: d["timeline"][5].update(date="2023-09-31"),
        "timeline[5].date: expected an ISO date YYYY-MM-DD (got '2023-09-31')",
        id="impossible-date",
    ),
    pytest.param(
        "background.yaml",
        lambda d: d["timeline"][5].update(date=date(2023, 9, 20)),
        "timeline[5]: a month-precision date must be the first day of its month (got 2023-09-20)",
        id="precision-mismatch",
    ),
    pytest.param(
        "background.yaml",
        lambda d: d["people"][0]["name"].update(az="Ильхам Алиев"),
        "people[0].name.az: expected Latin-script text without Cyrillic letters",
        id="wrong-script",
    ),
    pytest.param(
        "outlets.yaml",
        lambda d: d["outlets"][0]["status"][0].update(where="Azerbaijan"),
        "outlets[0].status[0].where: expected an ISO 3166 alpha-2 country code",
        id="bad-country",
    ),
    pytest.param(
        "outlets.yaml",
        lambda d: d["outlets"][0]["feeds"][0].update(verified="yes"),
        "outlets[0].feeds[0].verified: input should be a valid boolean (got 'yes')",
        id="string-bool",
    ),
    pytest.param(
        "outlets.yaml",
        lambda d: d["outlets"][0].update(sied="russia"),
        "outlets[0].sied: unknown field",
        id="unknown-field",
    ),
    pytest.param(
        "incidents.yaml",
        lambda d: d["incidents"][0]["actors"].__setitem__(0, "ilham-aliev"),
        "incidents[0].actors[0]: expected an id from background.yaml people (got 'ilham-aliev'; "
        "did you mean 'ilham-aliyev'?)",
        id="unknown-actor",
    ),
    pytest.param(
        "background.yaml",
        lambda d: d["views"][0].update(outlet="forpst"),
        "views[0].outlet: expected an id from outlets.yaml (got 'forpst'; did you mean 'forpost'?)",
        id="unknown-outlet",
    ),
    pytest.param(
        "background.yaml",
        lambda d: d["views"][0].update(side="azerbaijan"),
        "views[0].side: expected 'russia', the side of vadim-siprov (got 'azerbaijan')",
        id="view-side-mismatch",
    ),
    pytest.param(
        "outlets.yaml",
        lambda d: d["outlets"][1].update(slug="ria-novosti"),
        "outlets[1].slug: duplicate slug 'ria-novosti' (first at outlets[0])",
        id="duplicate-slug",
    ),
    pytest.param(
        "incidents.yaml",
        lambda d: d["incidents"].pop(),
        "incidents: missing incident ids: relations-general",
        id="missing-incident",
    ),
    pytest.param(
        "incidents.yaml",
        lambda d: swap_first_two(d["incidents"]),
        "incidents: expected the order azal-plane-crash, russian-house-closure,",
        id="incident-order",
    ),
    pytest.param(
        "incidents.yaml",
        lambda d: d["incidents"][1]["aliases"].insert(0, "azal"),
        "incidents[1].aliases[0]: alias 'azal' already belongs to incident 'azal-plane-crash'",
        id="shared-alias",
    ),
    pytest.param(
        "background.yaml",
        lambda d: swap_first_two(d["timeline"]),
        "timeline[1].date: expected a date on or after 2022-02-01: the timeline is chronological",
        id="timeline-order",
    ),
]


@pytest.mark.parametrize(("name", "change", "expected"), BROKEN_EDITS)
def test_broken_value_is_reported_with_file_and_path(
    seeds: Path, name: str, change: Callable[[dict], object], expected: str
) -> None:
    edit(seeds, name, change)
    lines = error_lines(seeds)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{seeds / name}: {expected}")


def test_errors_in_several_files_are_all_reported(seeds: Path) -> None:
    edit(seeds, "outlets.yaml", lambda d: d["outlets"][3].update(side="russland"))
    edit(seeds, "outlets.yaml", lambda d: d["outlets"][5].pop("cited_in_seed"))
    edit(seeds, "background.yaml", lambda d: d["people"][1].update(side="rusia"))
    assert error_lines(seeds) == [
        f"{seeds}/outlets.yaml: outlets[3].side: "
        "expected one of russia, azerbaijan, international (got 'russland')",
        f"{seeds}/outlets.yaml: outlets[5].cited_in_seed: required field is missing",
        f"{seeds}/background.yaml: people[1].side: expected one of russia, azerbaijan, other (got 'rusia')",
    ]


def test_yaml_syntax_error_gives_line_and_column(seeds: Path) -> None:
    path = seeds / "outlets.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    at = lines.index("outlets:") + 1
    lines.insert(at, "  oops: a: b")
    path.write_text("\n".join(lines), encoding="utf-8")
    [line] = error_lines(seeds)
    assert line.startswith(f"{path}:{at + 1}:10: mapping values are not allowed")


def test_repeated_yaml_key_is_an_error(seeds: Path) -> None:
    path = seeds / "background.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    at = lines.index("  kind: news review") + 1
    lines.insert(at, "  kind: opinion")
    path.write_text("\n".join(lines), encoding="utf-8")
    assert error_lines(seeds) == [f"{path}:{at + 1}:3: duplicate key 'kind'"]


def test_missing_seed_file_is_reported(seeds: Path) -> None:
    (seeds / "background.yaml").unlink()
    assert error_lines(seeds) == [f"{seeds}/background.yaml: cannot read the file: No such file or directory"]


def test_taxonomy_file_is_not_read(seeds: Path) -> None:
    (seeds / "taxonomy.yaml").write_text("this: [is not: valid", encoding="utf-8")
    assert len(load_knowledge(seeds).incidents) == len(INCIDENT_IDS)


def test_knowledge_built_directly_still_checks_references(kb: Knowledge) -> None:
    outlets = [outlet for outlet in kb.outlets if outlet.slug != "forpost"]
    with pytest.raises(pydantic.ValidationError, match=r"views\[0\]\.outlet"):
        Knowledge(incidents=kb.incidents, outlets=outlets, background=kb.background)
