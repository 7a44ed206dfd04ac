"""Loading and validating ``seeds/taxonomy.yaml``: incidents, their queries and example headlines.

File layout::

    version: 1
    definitions:            # named sub-queries, used as @name in queries (may use each other)
      russia: росси* OR russia* OR ...
    incidents:
      azal-plane-crash:
        title: ...          # one line for people
        description: ...    # what the incident covers
        since: 2024-12-25   # optional period; items published outside it are not tagged
        until: null
        fallback: false     # true: tagged only when no other incident matched
        query: ...          # the query language of feeds.matching.query
        exclude: [...]      # queries; an item matching any of them is not tagged
        examples:
          positive: [{lang: en, title: ..., summary: ...}, ...]
          negative: [...]

:func:`load_taxonomy` reports every problem at once, one per line, each naming the file, the YAML
path (and so the incident) and, for queries, the position.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from feeds.matching.query import Node, QuerySyntaxError, holds_without_terms, parse_with_resolver

if TYPE_CHECKING:
    from feeds.matching.matcher import Matcher

_INCIDENT_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DEFINITION_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class TaxonomyError(ValueError):
    """Everything wrong with a taxonomy file: ``problems`` holds one line per problem, and
    ``syntax_errors`` the query syntax errors among them (with ``.incident``, ``.position``, ...)."""

    def __init__(self, problems: list[str], syntax_errors: list[QuerySyntaxError] | None = None) -> None:
        self.problems = problems
        self.syntax_errors = syntax_errors or []
        super().__init__("\n".join(problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Example(_Strict):
    lang: Literal["ru", "az", "en"]
    title: str = Field(min_length=1)
    summary: str = ""
    published: date | None = None


class _Examples(_Strict):
    positive: list[Example] = []
    negative: list[Example] = []


class _IncidentSpec(_Strict):
    title: str = Field(min_length=1)
    description: str = ""
    query: str = Field(min_length=1)
    exclude: list[str] = []
    since: date | None = None
    until: date | None = None
    fallback: bool = False
    examples: _Examples = _Examples()


class _TaxonomySpec(_Strict):
    version: Literal[1]
    definitions: dict[str, str] = {}
    incidents: dict[str, _IncidentSpec] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Incident:
    id: str
    title: str
    description: str
    query_text: str
    query: Node
    exclusions: tuple[Node, ...]
    since: date | None
    until: date | None
    fallback: bool
    positive_examples: tuple[Example, ...]
    negative_examples: tuple[Example, ...]


@dataclass(frozen=True, slots=True)
class Taxonomy:
    source: str
    incidents: tuple[Incident, ...]
    definitions: dict[str, Node]

    def incident(self, incident_id: str) -> Incident:
        for incident in self.incidents:
            if incident.id == incident_id:
                return incident
        raise KeyError(incident_id)


def load_taxonomy(path: Path | str) -> Taxonomy:
    """Read, validate and parse a taxonomy file; raises :class:`TaxonomyError` listing all problems."""
    path = Path(path)
    source = str(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise TaxonomyError([f"{source}: cannot read: {error.strerror or error}"]) from error
    except yaml.YAMLError as error:
        raise TaxonomyError([f"{source}: not valid YAML: {_one_line(str(error))}"]) from error
    return parse_taxonomy(raw, source)


def parse_taxonomy(raw: object, source: str) -> Taxonomy:
    """Validate already-loaded YAML data (``source`` names it in messages)."""
    try:
        spec = _TaxonomySpec.model_validate(raw)
    except ValidationError as error:
        raise TaxonomyError(
            [f"{source}: {_yaml_path(e['loc'])}: {e['msg']}" for e in error.errors(include_url=False)]
        ) from error

    problems: dict[str, QuerySyntaxError | None] = {}  # ordered, without repeats

    def complain(message: str, error: QuerySyntaxError | None = None) -> None:
        problems.setdefault(message, error)

    for name in spec.definitions:
        if not _DEFINITION_NAME.match(name):
            complain(f"{source}: definitions.{name}: a name must be lower-case letters, digits and '_'")
    for incident_id in spec.incidents:
        if not _INCIDENT_ID.match(incident_id):
            complain(f"{source}: incidents.{incident_id}: an id must be lower-case words joined by '-'")

    resolve = _definition_resolver(spec.definitions, source)
    definitions: dict[str, Node] = {}
    for name in spec.definitions:
        try:
            definitions[name] = resolve(name, 0)
        except QuerySyntaxError as error:
            complain(str(error), error)

    def parse(text: str, field: str, incident_id: str) -> Node | None:
        try:
            node = parse_with_resolver(text, resolve)
        except QuerySyntaxError as error:
            if not error.source:
                error = error.located(source=source, field=field, incident=incident_id)
            complain(str(error), error)
            return None
        if holds_without_terms(node):
            complain(f"{source}: {field}: the query matches texts that contain none of its terms")
        return node

    incidents = []
    for incident_id, item in spec.incidents.items():
        where = f"incidents.{incident_id}"
        query = parse(item.query, f"{where}.query", incident_id)
        exclusions = [
            parse(text, f"{where}.exclude[{n}]", incident_id) for n, text in enumerate(item.exclude)
        ]
        if item.since and item.until and item.until < item.since:
            complain(f"{source}: {where}: until ({item.until}) is before since ({item.since})")
        if query is None or None in exclusions:
            continue
        incidents.append(
            Incident(
                incident_id,
                item.title,
                item.description.strip(),
                item.query,
                query,
                tuple(e for e in exclusions if e is not None),
                item.since,
                item.until,
                item.fallback,
                tuple(item.examples.positive),
                tuple(item.examples.negative),
            )
        )
    if problems:
        raise TaxonomyError(list(problems), [e for e in problems.values() if e is not None])
    return Taxonomy(source, tuple(incidents), definitions)


def _definition_resolver(texts: dict[str, str], source: str) -> Callable[[str, int], Node]:
    """Resolve ``@name`` lazily so definitions may use each other in any order, never circularly."""
    parsed: dict[str, Node] = {}
    in_progress: set[str] = set()

    def resolve(name: str, position: int) -> Node:
        if name in parsed:
            return parsed[name]
        if name not in texts:
            known = ", ".join("@" + n for n in sorted(texts)) or "none"
            raise QuerySyntaxError(position, f"a defined name ({known})", f"'@{name}'")
        if name in in_progress:
            raise QuerySyntaxError(position, "a definition that does not use itself", f"'@{name}'")
        in_progress.add(name)
        try:
            parsed[name] = parse_with_resolver(texts[name], resolve)
        except QuerySyntaxError as error:
            if error.source:
                raise
            raise error.located(source=source, field=f"definitions.{name}", incident=None) from None
        finally:
            in_progress.discard(name)
        return parsed[name]

    return resolve


def check_examples(taxonomy: Taxonomy, matcher: Matcher) -> list[str]:
    """One line per example headline whose tagging contradicts the taxonomy (empty when all pass)."""
    failures = []
    for incident in taxonomy.incidents:
        for kind, examples, wanted in (
            ("positive", incident.positive_examples, True),
            ("negative", incident.negative_examples, False),
        ):
            for n, example in enumerate(examples):
                tagged = [
                    m.incident_id
                    for m in matcher.match(example.title, example.summary, example.lang, example.published)
                ]
                if (incident.id in tagged) != wanted:
                    verb = "should" if wanted else "should not"
                    failures.append(
                        f"{taxonomy.source}: incidents.{incident.id}.examples.{kind}[{n}]: "
                        f"{verb} match, tagged {tagged}: {example.title!r}"
                    )
    return failures


def _yaml_path(location: tuple[int | str, ...]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


def _one_line(text: str) -> str:
    return " ".join(text.split())
