"""Finding an incident, a person or an outlet by what a user types, in any of the three languages.

An exact id, title, name or alias (case, diacritics and ё/е aside) finds it; so do words that only
one candidate contains ("russian house", "Ilham"); otherwise close spellings ("Aliev", "azl") are
offered as suggestions.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Generic, TypeVar

from bot.knowledge import Incident, Knowledge, Outlet, Person
from storage.search import search_tokens

T = TypeVar("T")
SIMILAR_ENOUGH = 0.72
MAX_SUGGESTIONS = 4


@dataclass(frozen=True)
class Lookup(Generic[T]):
    found: T | None
    suggestions: list[T] = field(default_factory=list)


def _key(text: str) -> str:
    return " ".join(search_tokens(text))


class Finder(Generic[T]):
    def __init__(self, entries: Iterable[tuple[T, Iterable[str]]]) -> None:
        self._entries = [(entry, {_key(name) for name in names} - {""}) for entry, names in entries]

    def find(self, query: str) -> Lookup[T]:
        wanted = _key(query)
        if not wanted:
            return Lookup(None)
        for entry, keys in self._entries:
            if wanted in keys:
                return Lookup(entry)
        words = wanted.split()
        containing = [entry for entry, keys in self._entries if any(_has_words(key, words) for key in keys)]
        if len(containing) == 1:
            return Lookup(containing[0])
        if containing:
            return Lookup(None, containing[:MAX_SUGGESTIONS])
        scored = [(self._similarity(wanted, keys), n, entry) for n, (entry, keys) in enumerate(self._entries)]
        scored.sort(key=lambda row: (-row[0], row[1]))
        return Lookup(
            None, [entry for score, _, entry in scored if score >= SIMILAR_ENOUGH][:MAX_SUGGESTIONS]
        )

    @staticmethod
    def _similarity(wanted: str, keys: set[str]) -> float:
        # Whole names, and single words of them for a one-word query ("Aliev" against "ilham aliyev").
        candidates = set(keys)
        if " " not in wanted:
            candidates |= {word for key in keys for word in key.split()}
        return max(
            (SequenceMatcher(None, wanted, candidate).ratio() for candidate in candidates), default=0.0
        )


def _has_words(key: str, words: list[str]) -> bool:
    present = key.split()
    return all(word in present for word in words)


def _localized(*texts) -> list[str]:
    return [value for text in texts if text is not None for value in (text.en, text.ru, text.az)]


def incident_finder(knowledge: Knowledge) -> Finder[Incident]:
    return Finder(
        (
            incident,
            [incident.id, incident.id.replace("-", " "), *_localized(incident.title), *incident.aliases],
        )
        for incident in knowledge.incidents
    )


def person_finder(knowledge: Knowledge) -> Finder[Person]:
    return Finder(
        (person, [person.id.replace("-", " "), *_localized(person.name), *person.aliases])
        for person in knowledge.people
    )


def outlet_finder(knowledge: Knowledge) -> Finder[Outlet]:
    return Finder(
        (outlet, [outlet.slug, outlet.slug.replace("-", " "), outlet.name]) for outlet in knowledge.outlets
    )


def find_incident(knowledge: Knowledge, query: str) -> Lookup[Incident]:
    return incident_finder(knowledge).find(query)


def find_person(knowledge: Knowledge, query: str) -> Lookup[Person]:
    return person_finder(knowledge).find(query)


def find_outlet(knowledge: Knowledge, query: str) -> Lookup[Outlet]:
    return outlet_finder(knowledge).find(query)
