"""The compiled matcher: query words indexed once, texts scanned once, queries evaluated per candidate.

Speed comes from three caches and one index:

* every query word gets an id; a dictionary maps each match key (and each wildcard prefix) to ids;
* a text is tokenised once; each distinct raw word is analysed once per language and the ids it
  satisfies are cached, so a repeated word costs one dictionary look-up;
* every compiled node knows a set of words it cannot hold without; an OR, and the matcher when it
  picks candidate incidents, skips whatever none of those words reaches, with one set operation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from feeds.matching.morphology import Morphology, skeleton, strip_namespace
from feeds.matching.normalize import fold_case, guess_language, is_cyrillic, raw_words, split_word
from feeds.matching.query import And, Near, Node, Not, Or, Phrase, Ref, Term, parse_query, positive_terms

if TYPE_CHECKING:
    from feeds.matching.taxonomy import Taxonomy

FIELDS = ("title", "summary")
LANGUAGES = ("ru", "az", "en")
# How central an incident is to the item, by where the query is satisfied.
SCORE_TITLE, SCORE_BOTH, SCORE_SUMMARY = 1.0, 0.8, 0.6
_WORD_CACHE_LIMIT = 200_000

# (field index, word position, surface word as written)
Occurrence = tuple[int, int, str]
Hits = dict[int, list[Occurrence]]


class TermIndex:
    """Ids for query words, and the ids each word of a text satisfies."""

    def __init__(self, morphology: Morphology) -> None:
        self.morphology = morphology
        self._ids: dict[tuple[str, bool], int] = {}
        self._by_key: dict[str, list[int]] = defaultdict(list)
        self._by_prefix: dict[str, list[int]] = defaultdict(list)
        self._prefix_lengths: list[int] = []
        self._cache: dict[str, dict[str, tuple[int, tuple[tuple[int, int], ...]]]] = {}

    def add(self, term: Term) -> int:
        """The id of ``term``, registering it on first sight."""
        identity = (term.word, term.prefix)
        if identity in self._ids:
            return self._ids[identity]
        term_id = len(self._ids)
        self._ids[identity] = term_id
        if term.prefix:
            prefix = skeleton(term.word)
            self._by_prefix[prefix].append(term_id)
            self._prefix_lengths = sorted({len(p) for p in self._by_prefix})
        else:
            for key in self.morphology.query_keys(term.word):
                self._by_key[key].append(term_id)
        self._cache.clear()
        return term_id

    def scan(self, title: str, summary: str, lang: str) -> Hits:
        """Where each query word occurs in the two fields of an item."""
        cache = self._cache.get(lang)
        if cache is None or len(cache) > _WORD_CACHE_LIMIT:
            cache = self._cache[lang] = {}
        hits: Hits = {}
        for field_index, text in enumerate((title, summary)):
            if not text:
                continue
            position = 0
            for raw in raw_words(text):
                entry = cache.get(raw)
                if entry is None:
                    entry = cache[raw] = self._analyse(raw, lang)
                width, matched = entry
                for offset, term_id in matched:
                    occurrence = (field_index, position + offset, raw)
                    if term_id in hits:
                        hits[term_id].append(occurrence)
                    else:
                        hits[term_id] = [occurrence]
                position += width
        return hits

    def _analyse(self, raw: str, lang: str) -> tuple[int, tuple[tuple[int, int], ...]]:
        forms = split_word(raw)
        matched: list[tuple[int, int]] = []
        for offset, form in enumerate(forms):
            keys = self.morphology.text_keys(fold_case(form, lang), lang)
            ids: set[int] = set()
            for key in keys:
                ids.update(self._by_key.get(key, ()))
                bare = strip_namespace(key)
                for length in self._prefix_lengths:
                    if length > len(bare):
                        break
                    ids.update(self._by_prefix.get(bare[:length], ()))
            matched.extend((offset, term_id) for term_id in sorted(ids))
        return len(forms), tuple(matched)


# ------------------------------------------------------------------------------ compiled query nodes


# A stretch of words where a positional node holds: (field index, first position, last position,
# the (query term, occurrence) pairs inside it). A tuple, because spans are made in the hot path.
Evidence = tuple[tuple[Term, Occurrence], ...]
Span = tuple[int, int, int, Evidence]


class _Compiled:
    """A query node bound to term ids.

    ``required`` is a necessary condition: the node can only hold when the text contains one of
    these term ids (``None`` when no such set exists, as under NOT). It lets an OR skip all its
    operands with one set operation and lets the matcher skip incidents altogether.
    """

    required: frozenset[int] | None
    cost = 2  # relative price of holds(): words 0, phrases 1, compound nodes more
    positional = False  # has spans (words, phrases, NEAR, OR of those)

    def holds(self, hits: Hits) -> bool:
        raise NotImplementedError

    def spans(self, hits: Hits) -> list[Span]:
        raise NotImplementedError  # only positional nodes have spans

    def evidence(self, hits: Hits) -> list[tuple[Term, Occurrence]]:
        """The occurrences that make this (true) node true."""
        return [item for span in self.spans(hits) for item in span[3]]


class _AnyWord(_Compiled):
    """One word, or an OR of plain words, tested with one set operation."""

    cost = 0
    positional = True

    def __init__(self, words: list[tuple[Term, int]]) -> None:
        self.required = frozenset(term_id for _, term_id in words)
        self.terms = {term_id: term for term, term_id in reversed(words)}  # first spelling wins

    def holds(self, hits: Hits) -> bool:
        return not self.required.isdisjoint(hits)

    def spans(self, hits: Hits) -> list[Span]:
        return [
            (o[0], o[1], o[1], ((self.terms[term_id], o),))
            for term_id in self.required.intersection(hits)
            for o in hits[term_id]
        ]

    def evidence(self, hits: Hits) -> list[tuple[Term, Occurrence]]:
        terms = self.terms
        return [(terms[term_id], o) for term_id in self.required.intersection(hits) for o in hits[term_id]]


class _Phrase(_Compiled):
    cost = 1
    positional = True

    def __init__(self, words: list[tuple[Term, int]]) -> None:
        self.words = words
        self.all_ids = frozenset(term_id for _, term_id in words)
        # Every word is necessary; the longest is likely the rarest ("не" in "не пустили" is not).
        self.required = frozenset((max(words, key=lambda w: len(w[0].word))[1],))

    def holds(self, hits: Hits) -> bool:
        return bool(self.spans(hits))

    def spans(self, hits: Hits) -> list[Span]:
        if not hits.keys() >= self.all_ids:
            return []
        at = [{(o[0], o[1]): o for o in hits.get(term_id, ())} for _, term_id in self.words]
        found = []
        for (field_index, start), first in at[0].items():
            chain = [first]
            for k in range(1, len(self.words)):
                next_occurrence = at[k].get((field_index, start + k))
                if next_occurrence is None:
                    break
                chain.append(next_occurrence)
            else:
                evidence = tuple(zip((term for term, _ in self.words), chain, strict=True))
                found.append((field_index, start, start + len(self.words) - 1, evidence))
        return found


class _And(_Compiled):
    def __init__(self, children: list[_Compiled]) -> None:
        # Cheap operands first, so a failing word test spares the phrase and NEAR work.
        self.children = sorted(children, key=lambda c: c.cost)
        # Any child's condition is necessary; the smallest set is the most selective.
        conditions = [c.required for c in children if c.required is not None]
        self.required = min(conditions, key=len) if conditions else None
        self.cost = max(c.cost for c in children)
        self._word_sets = [c.required for c in self.children if isinstance(c, _AnyWord)]
        self._compound = [c for c in self.children if not isinstance(c, _AnyWord)]

    def holds(self, hits: Hits) -> bool:
        # Word-set operands are tested inline: most ANDs fail on one of them, and a method call per
        # operand would cost more than the test.
        for word_set in self._word_sets:
            if word_set.isdisjoint(hits):
                return False
        for child in self._compound:  # noqa: SIM110 - a plain loop is measurably faster than all() here
            if not child.holds(hits):
                return False
        return True

    def evidence(self, hits: Hits) -> list[tuple[Term, Occurrence]]:
        return [item for c in self.children for item in c.evidence(hits)]


class _Or(_Compiled):
    def __init__(self, children: list[_Compiled]) -> None:
        self.children = children
        conditions = [c.required for c in children]
        self.required = None if None in conditions else frozenset().union(*conditions)
        self.positional = all(c.positional for c in children)
        # Operands that hinge on one word (phrases, mostly) are looked up by that word, so an OR of
        # fifty phrases costs one set intersection when none of their key words is present.
        self._by_key_word: dict[int, list[_Compiled]] = defaultdict(list)
        self._others: list[_Compiled] = []
        for child in children:
            if child.required is not None and len(child.required) == 1:
                self._by_key_word[next(iter(child.required))].append(child)
            else:
                self._others.append(child)
        self._key_words = frozenset(self._by_key_word)

    def _possible(self, hits: Hits) -> list[_Compiled]:
        possible = [c for c in self._others if c.required is None or not c.required.isdisjoint(hits)]
        for term_id in self._key_words.intersection(hits):
            possible.extend(self._by_key_word[term_id])
        return possible

    def holds(self, hits: Hits) -> bool:
        if self.required is not None and self.required.isdisjoint(hits):
            return False
        # The selection of _possible(), inlined so that the first true operand ends the search.
        for child in self._others:
            if (child.required is None or not child.required.isdisjoint(hits)) and child.holds(hits):
                return True
        for term_id in self._key_words.intersection(hits):
            for child in self._by_key_word[term_id]:
                if child.holds(hits):
                    return True
        return False

    def spans(self, hits: Hits) -> list[Span]:
        return [span for c in self._possible(hits) for span in c.spans(hits)]

    def evidence(self, hits: Hits) -> list[tuple[Term, Occurrence]]:
        # Every word, phrase and NEAR that is present explains the match (one has evidence exactly
        # when it holds); of compound alternatives (AND/NOT branches) the first true one suffices.
        found: list[tuple[Term, Occurrence]] = []
        explained = False
        for child in self._possible(hits):
            if child.positional:
                found += child.evidence(hits)
            elif not explained and child.holds(hits):
                found += child.evidence(hits)
                explained = True
        return found


class _Not(_Compiled):
    required = None

    def __init__(self, child: _Compiled) -> None:
        self.child = child

    def holds(self, hits: Hits) -> bool:
        return not self.child.holds(hits)

    def evidence(self, hits: Hits) -> list[tuple[Term, Occurrence]]:
        return []


class _Near(_Compiled):
    cost = 3
    positional = True

    def __init__(self, left: _Compiled, right: _Compiled, distance: int) -> None:
        self.left, self.right, self.distance = left, right, distance
        self.required = left.required

    def holds(self, hits: Hits) -> bool:
        return self.left.holds(hits) and self.right.holds(hits) and bool(self.spans(hits))

    def spans(self, hits: Hits) -> list[Span]:
        found: list[Span] = []
        rights = self.right.spans(hits)
        distance = self.distance
        for field_a, start_a, end_a, evidence_a in self.left.spans(hits):
            for field_b, start_b, end_b, evidence_b in rights:
                # gap between the two stretches; overlapping stretches have a gap ≤ 0
                if field_a == field_b and max(start_a, start_b) - min(end_a, end_b) <= distance:
                    found.append((field_a, min(start_a, start_b), max(end_a, end_b), evidence_a + evidence_b))
        return found


def _compile(node: Node, index: TermIndex) -> _Compiled:
    if isinstance(node, Term):
        return _AnyWord([(node, index.add(node))])
    if isinstance(node, Phrase):
        return _Phrase([(w, index.add(w)) for w in node.words])
    if isinstance(node, And):
        return _And([_compile(c, index) for c in node.children])
    if isinstance(node, Or):
        return _compile_or(node, index)
    if isinstance(node, Not):
        return _Not(_compile(node.child, index))
    if isinstance(node, Near):
        return _Near(_compile(node.left, index), _compile(node.right, index), node.distance)
    assert isinstance(node, Ref)
    return _compile(node.body, index)


def _or_operands(node: Node) -> list[Node]:
    """The operands of nested ORs (through definitions) as one flat list."""
    if isinstance(node, Ref):
        return _or_operands(node.body)
    if isinstance(node, Or):
        return [leaf for child in node.children for leaf in _or_operands(child)]
    return [node]


def _compile_or(node: Or, index: TermIndex) -> _Compiled:
    operands = _or_operands(node)
    words = [(n, index.add(n)) for n in operands if isinstance(n, Term)]
    others = [_compile(n, index) for n in operands if not isinstance(n, Term)]
    if not others:
        return _AnyWord(words)
    return _Or([_AnyWord(words), *others] if words else others)


def _explanation(evidence: Iterable[tuple[Term, Occurrence]]) -> list[dict[str, Any]]:
    """JSON-ready explanation: which query term matched which word where, in text order.

    One entry per word of the text: where a query spells a name several ways (азербайдж*,
    azerbaijan*), the one word matches all of them, and one spelling stands for the rest instead
    of repeating the word once per spelling: the first in the word's own script, else the first.
    """
    seen: dict[tuple[int, int], dict[str, Any]] = {}
    for term, (field_index, position, surface) in evidence:
        entry = seen.get((field_index, position))
        if entry is None:
            seen[field_index, position] = {
                "term": term.text,
                "field": FIELDS[field_index],
                "word": surface,
                "position": position,
            }
        elif is_cyrillic(entry["term"]) != is_cyrillic(surface) == is_cyrillic(term.text):
            entry["term"] = term.text
    return [seen[key] for key in sorted(seen)]


def _split_by_field(hits: Hits) -> tuple[Hits, Hits]:
    """The hits of the title alone and of the summary alone (sharing the lists where they can)."""
    title: Hits = {}
    summary: Hits = {}
    for term_id, occurrences in hits.items():
        if occurrences[-1][0] == 0:
            title[term_id] = occurrences
        elif occurrences[0][0] == 1:
            summary[term_id] = occurrences
        else:  # `scan` reads the title first, so its occurrences lead the list
            in_title = sum(1 for occurrence in occurrences if occurrence[0] == 0)
            title[term_id], summary[term_id] = occurrences[:in_title], occurrences[in_title:]
    return title, summary


def _score(node: _Compiled, title_hits: Hits, summary_hits: Hits) -> float:
    if node.holds(title_hits):
        return SCORE_TITLE
    if node.holds(summary_hits):
        return SCORE_SUMMARY
    return SCORE_BOTH


def _resolve_language(lang: str | None, title: str, summary: str) -> str:
    return lang if lang in LANGUAGES else guess_language(f"{title} {summary}")


# ------------------------------------------------------------------------------------------ public API


@dataclass(frozen=True, slots=True)
class IncidentMatch:
    incident_id: str
    score: float
    explanation: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {"incident_id": self.incident_id, "score": self.score, "explanation": self.explanation}


class CompiledQuery:
    """One query ready to test texts: for the bot's archive search and for one-off checks."""

    def __init__(self, node: Node, *, stemming: bool = True) -> None:
        self.node = node
        self._index = TermIndex(Morphology(stemming))
        self._compiled = _compile(node, self._index)

    def explain(self, title: str, summary: str = "", lang: str | None = None) -> list[dict[str, Any]] | None:
        """The explanation if the query matches, else ``None``."""
        hits = self._index.scan(title, summary, _resolve_language(lang, title, summary))
        if not self._compiled.holds(hits):
            return None
        return _explanation(self._compiled.evidence(hits))

    def matches(self, title: str, summary: str = "", lang: str | None = None) -> bool:
        return self.explain(title, summary, lang) is not None


def compile_query(query: str, *, stemming: bool = True) -> CompiledQuery:
    """Parse and compile a query (raises :class:`QuerySyntaxError`)."""
    return CompiledQuery(parse_query(query), stemming=stemming)


@dataclass(slots=True)
class _Incident:
    incident_id: str
    query: _Compiled
    exclusions: list[_Compiled]
    fallback: bool
    since: date | None
    until: date | None

    def in_period(self, published: date | None) -> bool:
        if published is None:
            return True
        return (self.since is None or published >= self.since) and (
            self.until is None or published <= self.until
        )


def _as_date(published: date | datetime | str | None) -> date | None:
    if published is None or published == "":
        return None
    if isinstance(published, datetime):
        return published.date()
    if isinstance(published, date):
        return published
    return date.fromisoformat(published[:10])


def _drop_context_mentions(found: list[IncidentMatch]) -> list[IncidentMatch]:
    """An incident named only in the summary, beside one the title is about, is background.

    News summaries recall earlier incidents for context ("… months after the AZAL crash"); the
    labelling rules tag an item with what it is about, so those mentions are not tags. A title
    naming two incidents or more marks an overview, whose summary mentions all count.
    """
    if sum(1 for match in found if match.score == SCORE_TITLE) != 1:
        return found
    return [match for match in found if match.score != SCORE_SUMMARY]


class Matcher:
    """Tags items with the incidents of a taxonomy."""

    def __init__(self, taxonomy: Taxonomy, *, stemming: bool = True) -> None:
        self._index = TermIndex(Morphology(stemming))
        self._incidents: list[_Incident] = []
        self._by_trigger: dict[int, list[int]] = defaultdict(list)
        for incident in taxonomy.incidents:
            query = _compile(incident.query, self._index)
            compiled = _Incident(
                incident.id,
                query,
                [_compile(node, self._index) for node in incident.exclusions],
                incident.fallback,
                incident.since,
                incident.until,
            )
            # The query cannot hold without one of these words, so they alone make it a candidate.
            triggers = query.required
            if triggers is None:
                triggers = frozenset(self._index.add(t) for t in positive_terms(incident.query))
            for term_id in triggers:
                self._by_trigger[term_id].append(len(self._incidents))
            self._incidents.append(compiled)

    @classmethod
    def from_taxonomy(cls, taxonomy: Taxonomy, *, stemming: bool = True) -> Matcher:
        return cls(taxonomy, stemming=stemming)

    def match(
        self,
        title: str,
        summary: str = "",
        lang: str | None = None,
        published: date | datetime | str | None = None,
    ) -> list[IncidentMatch]:
        """Incidents the item covers, best score first (empty when none).

        ``lang`` (ru/az/en) picks the stemmer for Latin words; it is guessed when missing. With
        ``published``, incidents whose period excludes that date are not considered. A fallback
        incident (relations-general) is considered only when no other incident applies.
        """
        hits = self._index.scan(title, summary, _resolve_language(lang, title, summary))
        if not hits:
            return []
        candidates = sorted({i for term_id in hits for i in self._by_trigger.get(term_id, ())})
        day = _as_date(published)
        regular = [self._incidents[i] for i in candidates if not self._incidents[i].fallback]
        applying = [i for i in regular if self._applies(i, hits, day)]
        if not applying:
            fallbacks = [self._incidents[i] for i in candidates if self._incidents[i].fallback]
            applying = [i for i in fallbacks if self._applies(i, hits, day)]
        if not applying:
            return []
        title_hits, summary_hits = _split_by_field(hits)
        found = [
            IncidentMatch(
                incident.incident_id,
                _score(incident.query, title_hits, summary_hits),
                _explanation(incident.query.evidence(hits)),
            )
            for incident in applying
        ]
        found = _drop_context_mentions(found)
        return sorted(found, key=lambda m: (-m.score, m.incident_id))

    @staticmethod
    def _applies(incident: _Incident, hits: Hits, day: date | None) -> bool:
        return (
            incident.in_period(day)
            and incident.query.holds(hits)
            and not any(exclusion.holds(hits) for exclusion in incident.exclusions)
        )
