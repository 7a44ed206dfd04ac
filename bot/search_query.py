"""From the taxonomy's query language to a full-text search: parse with the matcher's parser, then map
its syntax tree onto `storage.search` expressions.

Like the matcher, a plain word finds its inflections: a word of four letters or more is searched as a
prefix of its Snowball stem (Russian for Cyrillic, Turkish for Azerbaijani letters, English otherwise),
so "самолёт" finds "самолёта" and "crashes" finds "crash". Words the user ends with * stay as typed.
"""

from functools import cache

import snowballstemmer

from feeds.matching.normalize import has_azerbaijani_letters, is_cyrillic
from feeds.matching.query import And, Near, Node, Not, Or, Phrase, Ref, Term, parse_query
from storage import search

MIN_STEMMED_LENGTH = 4


@cache
def _stemmer(language: str):
    return snowballstemmer.stemmer(language)


def _language(word: str) -> str:
    if is_cyrillic(word):
        return "russian"
    if has_azerbaijani_letters(word):
        return "turkish"
    return "english"


def inflected(term: Term) -> search.Word:
    word = term.word
    if term.prefix or len(word) < MIN_STEMMED_LENGTH or any(char.isdigit() for char in word):
        return search.Word(word, prefix=term.prefix)
    stem = _stemmer(_language(word)).stemWord(word)
    base = stem if len(stem) >= MIN_STEMMED_LENGTH and word.startswith(stem) else word
    return search.Word(base, prefix=True)


def to_search(node: Node) -> search.Expr:
    if isinstance(node, Term):
        return inflected(node)
    if isinstance(node, Phrase):
        return search.Phrase(tuple(inflected(term) for term in node.words))
    if isinstance(node, And):
        return search.AllOf(tuple(to_search(child) for child in node.children))
    if isinstance(node, Or):
        return search.AnyOf(tuple(to_search(child) for child in node.children))
    if isinstance(node, Not):
        return search.Without(to_search(node.child))
    if isinstance(node, Near):
        return search.Near(to_search(node.left), to_search(node.right), node.distance)
    assert isinstance(node, Ref)
    return to_search(node.body)


def parse_search(text: str) -> search.Expr:
    """Raises feeds.matching.QuerySyntaxError for text that does not parse."""
    return to_search(parse_query(text))
