"""Pydantic models of the seed knowledge base (seeds/*.yaml) and the checks that span records and files."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Annotated, Any, Literal, NamedTuple, get_args
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictBool,
    StringConstraints,
    model_validator,
)

IncidentId = Literal[
    "azal-plane-crash",
    "russian-house-closure",
    "entry-bans",
    "victory-parade-absence",
    "peacekeepers-killed",
    "ukraine-positions",
    "media-battle",
    "yekaterinburg-raids",
    "relations-general",
]
INCIDENT_IDS: tuple[str, ...] = get_args(IncidentId)
LANGUAGES = ("en", "ru", "az")
Lang = Literal["en", "ru", "az"]
Side = Literal["russia", "azerbaijan"]
OutletSide = Literal["russia", "azerbaijan", "international"]
PersonSide = Literal["russia", "azerbaijan", "other"]
Precision = Literal["day", "month", "year"]
StatusKind = Literal["blocked", "suspended", "restricted", "closed"]

_CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def _pattern(regex: str, expected: str):
    """A validator accepting strings that fully match `regex`; the message says what was `expected`."""

    def check(value: str) -> str:
        if not re.fullmatch(regex, value):
            raise ValueError(f"expected {expected} (got {value!r})")
        return value

    return AfterValidator(check)


def _cyrillic(value: str) -> str:
    if not _CYRILLIC.search(value):
        raise ValueError(f"expected Russian text in Cyrillic (got {value!r})")
    return value


def _latin(value: str) -> str:
    if _CYRILLIC.search(value):
        raise ValueError(f"expected Latin-script text without Cyrillic letters (got {value!r})")
    return value


def _lower_case(value: str) -> str:
    if value != value.lower():
        raise ValueError(f"expected lower-case text (got {value!r})")
    return value


def _url(*schemes: str):
    def check(value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in schemes or not parts.netloc or " " in value:
            raise ValueError(f"expected an {' or '.join(schemes)} URL (got {value!r})")
        return value

    return AfterValidator(check)


def _iso_date(value: Any) -> date:
    """Accept a YAML date or a 'YYYY-MM-DD' string; reject the ints and datetimes pydantic would coerce."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"expected an ISO date YYYY-MM-DD (got {value!r})")


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Slug = Annotated[
    str, _pattern(r"[a-z0-9]+(?:-[a-z0-9]+)*", "a lower-case slug of letters, digits and dashes")
]
Country = Annotated[str, _pattern(r"[A-Z]{2}", "an ISO 3166 alpha-2 country code such as RU or AZ")]
LangCode = Annotated[str, _pattern(r"[a-z]{2}", "a two-letter ISO 639-1 language code such as ru")]
Alias = Annotated[Text, AfterValidator(_lower_case)]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
HttpsUrl = Annotated[str, _url("https")]
FeedUrl = Annotated[str, _url("http", "https")]


def _check_precision(value: date | None, precision: Precision) -> None:
    """A month- or year-precise date is stored as the first day of that month or year."""
    if value is None or precision == "day":
        return
    if value.day != 1 or (precision == "year" and value.month != 1):
        first = "month" if precision == "month" else "year"
        raise ValueError(f"a {precision}-precision date must be the first day of its {first} (got {value})")


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalizedText(Model):
    """One text in English, Russian (Cyrillic) and Azerbaijani (Latin)."""

    en: Annotated[Text, AfterValidator(_latin)]
    ru: Annotated[Text, AfterValidator(_cyrillic)]
    az: Annotated[Text, AfterValidator(_latin)]

    def get(self, lang: str) -> str:
        """The text in `lang`, or the English text for a language the knowledge base lacks."""
        return getattr(self, lang) if lang in LANGUAGES else self.en


class Figure(Model):
    """A number the source article gives, e.g. 38 killed; `approximate` marks 'about'/'nearly'."""

    model_config = ConfigDict(coerce_numbers_to_str=True)

    value: Text
    approximate: StrictBool = False
    label: LocalizedText


class Framing(Model):
    russia: LocalizedText
    azerbaijan: LocalizedText


class Incident(Model):
    id: IncidentId
    title: LocalizedText
    summary: LocalizedText
    date_start: IsoDate | None
    date_precision: Precision = "day"
    date_end: IsoDate | None = None
    location: LocalizedText | None = None
    key_facts: list[LocalizedText] = Field(min_length=1)
    numbers: list[Figure] = []
    actors: list[Slug] = []
    framing: Framing
    aliases: list[Alias] = Field(min_length=1)

    @model_validator(mode="after")
    def _dates_consistent(self) -> Incident:
        _check_precision(self.date_start, self.date_precision)
        if self.date_end is not None and (self.date_start is None or self.date_end < self.date_start):
            raise ValueError(f"date_end {self.date_end} must come on or after date_start {self.date_start}")
        return self


class Feed(Model):
    url: FeedUrl
    verified: StrictBool
    language: LangCode


class OutletStatus(Model):
    """A restriction on an outlet in one country, e.g. RIA Novosti blocked in AZ since June 2022."""

    kind: StatusKind
    where: Country
    since: IsoDate
    since_precision: Precision = "day"
    note: LocalizedText

    @model_validator(mode="after")
    def _since_precise(self) -> OutletStatus:
        _check_precision(self.since, self.since_precision)
        return self


class Outlet(Model):
    slug: Slug
    name: Text
    country: Country | None
    languages: list[LangCode] = Field(min_length=1)
    side: OutletSide
    homepage: HttpsUrl | None
    feeds: list[Feed] = []
    cited_in_seed: StrictBool
    status: list[OutletStatus] = []
    notes: LocalizedText | None = None

    @model_validator(mode="after")
    def _feeds_in_outlet_languages(self) -> Outlet:
        for feed in self.feeds:
            if feed.language not in self.languages:
                raise ValueError(
                    f"feed {feed.url} is in {feed.language!r}, not one of languages {self.languages}"
                )
        return self


class Source(Model):
    title: Text
    date: IsoDate
    kind: Text


class TimelineEvent(Model):
    date: IsoDate
    date_precision: Precision
    incidents: list[IncidentId] = Field(min_length=1)
    event: LocalizedText

    @model_validator(mode="after")
    def _date_precise(self) -> TimelineEvent:
        _check_precision(self.date, self.date_precision)
        return self


class Person(Model):
    id: Slug
    name: LocalizedText
    aliases: list[Text] = []
    role: LocalizedText
    affiliation: LocalizedText | None = None
    side: PersonSide
    incidents: list[IncidentId] = []
    did: LocalizedText


class View(Model):
    """A commentator's position as reported in the source article, attributed to person and outlet."""

    person: Slug
    side: Side
    outlet: Slug
    summary: LocalizedText
    points: list[LocalizedText] = Field(min_length=1)


class IncidentsFile(Model):
    incidents: list[Incident]


class OutletsFile(Model):
    outlets: list[Outlet]


class Background(Model):
    """Contents of background.yaml."""

    source: Source
    timeline: list[TimelineEvent] = Field(min_length=1)
    people: list[Person] = Field(min_length=1)
    views: list[View] = []


Loc = tuple[str | int, ...]
INCIDENTS_YAML, OUTLETS_YAML, BACKGROUND_YAML = "incidents.yaml", "outlets.yaml", "background.yaml"


class Issue(NamedTuple):
    """A problem no single record can see: `file` is the seed file name, `loc` the path inside it."""

    file: str
    loc: Loc
    message: str


def format_loc(loc: Iterable[str | int]) -> str:
    """('outlets', 3, 'side') -> 'outlets[3].side'."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


def _unknown(value: str, known: Iterable[str], source: str) -> str:
    close = difflib.get_close_matches(value, list(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"expected an id from {source} (got {value!r}{hint})"


def _duplicates(file: str, section: str, key: str, values: Sequence[str]) -> list[Issue]:
    first: dict[str, int] = {}
    issues = []
    for index, value in enumerate(values):
        if value in first:
            where = format_loc((section, first[value]))
            issues.append(Issue(file, (section, index, key), f"duplicate {key} {value!r} (first at {where})"))
        first.setdefault(value, index)
    return issues


def _incident_issues(incidents: Sequence[Incident]) -> list[Issue]:
    ids = [incident.id for incident in incidents]
    issues = _duplicates(INCIDENTS_YAML, "incidents", "id", ids)
    if missing := [i for i in INCIDENT_IDS if i not in ids]:
        issues.append(Issue(INCIDENTS_YAML, ("incidents",), f"missing incident ids: {', '.join(missing)}"))
    elif not issues and ids != list(INCIDENT_IDS):
        issues.append(Issue(INCIDENTS_YAML, ("incidents",), f"expected the order {', '.join(INCIDENT_IDS)}"))
    # The matcher maps an alias to one incident, so an alias shared by two incidents would be ambiguous.
    owner: dict[str, str] = {}
    for n, incident in enumerate(incidents):
        for k, alias in enumerate(incident.aliases):
            if owner.setdefault(alias, incident.id) != incident.id:
                message = f"alias {alias!r} already belongs to incident {owner[alias]!r}"
                issues.append(Issue(INCIDENTS_YAML, ("incidents", n, "aliases", k), message))
    return issues


def find_issues(
    incidents: Sequence[Incident], outlets: Sequence[Outlet], background: Background
) -> list[Issue]:
    """Uniqueness, completeness, ordering and cross-references across the three seed files."""
    people = {person.id: person for person in background.people}
    slugs = {outlet.slug for outlet in outlets}
    issues = _incident_issues(incidents)
    issues += _duplicates(OUTLETS_YAML, "outlets", "slug", [outlet.slug for outlet in outlets])
    issues += _duplicates(BACKGROUND_YAML, "people", "id", [person.id for person in background.people])
    for n, incident in enumerate(incidents):
        for k, actor in enumerate(incident.actors):
            if actor not in people:
                message = _unknown(actor, people, "background.yaml people")
                issues.append(Issue(INCIDENTS_YAML, ("incidents", n, "actors", k), message))
    for n, view in enumerate(background.views):
        if view.outlet not in slugs:
            message = _unknown(view.outlet, slugs, OUTLETS_YAML)
            issues.append(Issue(BACKGROUND_YAML, ("views", n, "outlet"), message))
        if (person := people.get(view.person)) is None:
            message = _unknown(view.person, people, "background.yaml people")
            issues.append(Issue(BACKGROUND_YAML, ("views", n, "person"), message))
        elif person.side != view.side:
            message = f"expected {person.side!r}, the side of {person.id} (got {view.side!r})"
            issues.append(Issue(BACKGROUND_YAML, ("views", n, "side"), message))
    timeline = background.timeline
    for n in range(1, len(timeline)):
        if timeline[n].date < timeline[n - 1].date:
            message = f"expected a date on or after {timeline[n - 1].date}: the timeline is chronological"
            issues.append(Issue(BACKGROUND_YAML, ("timeline", n, "date"), message))
    return issues


class Knowledge(Model):
    """The whole validated knowledge base with lookups by id; build it with `load_knowledge`."""

    incidents: list[Incident]
    outlets: list[Outlet]
    background: Background
    _by_id: dict[str, dict[str, Any]] = PrivateAttr()

    @model_validator(mode="after")
    def _references_resolve(self) -> Knowledge:
        if issues := find_issues(self.incidents, self.outlets, self.background):
            raise ValueError("; ".join(f"{i.file}: {format_loc(i.loc)}: {i.message}" for i in issues))
        return self

    def model_post_init(self, context: Any, /) -> None:
        self._by_id = {
            "incident": {incident.id: incident for incident in self.incidents},
            "outlet": {outlet.slug: outlet for outlet in self.outlets},
            "person": {person.id: person for person in self.background.people},
        }

    def _lookup(self, kind: str, key: str) -> Any:
        try:
            return self._by_id[kind][key]
        except KeyError:
            raise KeyError(f"no {kind} {key!r} in the knowledge base") from None

    def incident(self, incident_id: str) -> Incident:
        return self._lookup("incident", incident_id)

    def outlet(self, slug: str) -> Outlet:
        return self._lookup("outlet", slug)

    def person(self, person_id: str) -> Person:
        return self._lookup("person", person_id)

    @property
    def people(self) -> list[Person]:
        return self.background.people

    @property
    def timeline(self) -> list[TimelineEvent]:
        return self.background.timeline

    @property
    def views(self) -> list[View]:
        return self.background.views

    @property
    def source(self) -> Source:
        return self.background.source

    def timeline_for(self, incident_id: str) -> list[TimelineEvent]:
        """Timeline events tagged with `incident_id`, oldest first."""
        return [event for event in self.timeline if incident_id in event.incidents]
