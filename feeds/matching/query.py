"""The boolean query language: lexer, parser and syntax tree.

Syntax (operators are upper-case keywords; everything else is matched case-insensitively)::

    сафаров*             prefix wildcard: any word starting with the prefix (after transliteration)
    Aktau                a word, matched in any inflection, script and spelling (see morphology)
    "русский дом"        a phrase: these words at consecutive positions (words may end in *)
    a AND b   a b        both (adjacent operands are joined by an implicit AND)
    a OR b               either
    NOT a                not a
    a NEAR/3 b           a and b in the same field, at most 3 word positions apart, in either order
    ( ... )              grouping
    @russia              a named definition (only where definitions are given, e.g. seeds/taxonomy.yaml)

Precedence, tightest first: NOT > NEAR > AND (explicit or implicit) > OR. NEAR joins terms, phrases,
OR-groups of them and other NEARs, never AND/NOT expressions. A lower-case ``and``/``or``/``not`` is a
plain word. Positions in errors count characters from 1; the end of the query is its length + 1.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from feeds.matching.normalize import fold_case, normalize, raw_words, split_word, unify_punctuation

MIN_PREFIX_LENGTH = 3


class QuerySyntaxError(ValueError):
    """A query that does not parse: where (1-based character position) and what was expected."""

    def __init__(
        self,
        position: int,
        expected: str,
        found: str,
        *,
        incident: str | None = None,
        source: str | None = None,
        field: str | None = None,
    ) -> None:
        self.position = position
        self.expected = expected
        self.found = found
        self.incident = incident
        self.source = source
        self.field = field
        super().__init__(str(self))

    def located(self, *, source: str, field: str, incident: str | None) -> QuerySyntaxError:
        """The same error, told where the query lives (file and YAML path)."""
        return QuerySyntaxError(
            self.position, self.expected, self.found, incident=incident, source=source, field=field
        )

    def __str__(self) -> str:
        where = f"{self.source}: {self.field}: " if self.source else ""
        return f"{where}position {self.position}: expected {self.expected}, found {self.found}"


@dataclass(frozen=True, slots=True)
class Term:
    text: str  # as written in the query, for explanations
    word: str  # normalised, without the wildcard
    prefix: bool
    position: int

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Phrase:
    words: tuple[Term, ...]
    position: int

    def __str__(self) -> str:
        return '"' + " ".join(w.text for w in self.words) + '"'


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]

    def __str__(self) -> str:
        return " AND ".join(_grouped(c, (Or,)) for c in self.children)


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]

    def __str__(self) -> str:
        return " OR ".join(_grouped(c, (And,)) for c in self.children)


@dataclass(frozen=True, slots=True)
class Not:
    child: Node

    def __str__(self) -> str:
        return "NOT " + _grouped(self.child, (And, Or, Near))


@dataclass(frozen=True, slots=True)
class Near:
    left: Node
    right: Node
    distance: int

    def __str__(self) -> str:
        return (
            f"{_grouped(self.left, (And, Or))} NEAR/{self.distance} {_grouped(self.right, (And, Or, Near))}"
        )


@dataclass(frozen=True, slots=True)
class Ref:
    name: str
    body: Node
    position: int

    def __str__(self) -> str:
        return "@" + self.name


Node = Term | Phrase | And | Or | Not | Near | Ref


def _grouped(node: Node, needs_parentheses: tuple[type, ...]) -> str:
    return f"({node})" if isinstance(node, needs_parentheses) else str(node)


def is_positional(node: Node) -> bool:
    """Whether a node has word positions (so it may stand beside NEAR)."""
    if isinstance(node, Ref):
        return is_positional(node.body)
    if isinstance(node, Or):
        return all(is_positional(c) for c in node.children)
    return isinstance(node, (Term, Phrase, Near))


def holds_without_terms(node: Node) -> bool:
    """Whether the query is true for a text that contains none of its terms (``NOT a``,
    ``a OR NOT b``): such a query would tag nearly everything."""
    if isinstance(node, (Term, Phrase, Near)):
        return False
    if isinstance(node, And):
        return all(holds_without_terms(c) for c in node.children)
    if isinstance(node, Or):
        return any(holds_without_terms(c) for c in node.children)
    if isinstance(node, Not):
        return not holds_without_terms(node.child)
    return holds_without_terms(node.body)


def positive_terms(node: Node) -> list[Term]:
    """Terms that can make the query true by being present (not under an odd number of NOTs)."""
    found: list[Term] = []

    def visit(n: Node, negated: bool) -> None:
        if isinstance(n, Term):
            if not negated:
                found.append(n)
        elif isinstance(n, Phrase):
            if not negated:
                found.extend(n.words)
        elif isinstance(n, (And, Or)):
            for child in n.children:
                visit(child, negated)
        elif isinstance(n, Not):
            visit(n.child, not negated)
        elif isinstance(n, Near):
            visit(n.left, negated)
            visit(n.right, negated)
        else:
            visit(n.body, negated)

    visit(node, False)
    return found


# ---------------------------------------------------------------------------------------------- lexer

_TOKEN_RE = re.compile(
    r"""(?P<space>\s+)
      | (?P<lparen>\()
      | (?P<rparen>\))
      | (?P<phrase>"[^"]*"?)
      | (?P<word>[^\s()"]+)""",
    re.VERBOSE,
)
_NEAR_RE = re.compile(r"NEAR(?:/(\d*))?$")
_OPERATORS = frozenset({"AND", "OR", "NOT"})


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # lparen rparen phrase word and or not near ref end
    text: str
    position: int  # 1-based
    distance: int = 0

    def describe(self) -> str:
        return "end of query" if self.kind == "end" else f"'{self.text}'"


def _lex(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    for match in _TOKEN_RE.finditer(unify_punctuation(query)):
        kind, text, position = match.lastgroup or "", match.group(), match.start() + 1
        if kind == "space":
            continue
        if kind == "phrase" and (len(text) == 1 or not text.endswith('"')):
            raise QuerySyntaxError(len(query) + 1, "'\"' closing the phrase", "end of query")
        if kind == "word":
            near = _NEAR_RE.match(text)
            if near:
                digits = near.group(1)
                if not digits or int(digits) < 1:
                    raise QuerySyntaxError(position, "NEAR/n with a whole number n ≥ 1", f"'{text}'")
                tokens.append(_Token("near", text, position, int(digits)))
                continue
            if text in _OPERATORS:
                kind = text.lower()
            elif text.startswith("@"):
                kind = "ref"
        tokens.append(_Token(kind, text, position))
    tokens.append(_Token("end", "", len(query) + 1))
    return tokens


# --------------------------------------------------------------------------------------------- parser

_STARTS_OPERAND = frozenset({"word", "phrase", "lparen", "not", "ref"})


class _Parser:
    def __init__(self, query: str, resolve: Callable[[str, int], Node] | None) -> None:
        self.tokens = _lex(query)
        self.index = 0
        self.resolve = resolve

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse(self) -> Node:
        if self.current.kind == "end":
            raise QuerySyntaxError(self.current.position, "a term", "an empty query")
        node = self.parse_or()
        if self.current.kind != "end":
            raise QuerySyntaxError(
                self.current.position, "an operator or end of query", self.current.describe()
            )
        return node

    def parse_or(self) -> Node:
        children = [self.parse_and()]
        while self.current.kind == "or":
            self.advance()
            children.append(self.parse_and())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def parse_and(self) -> Node:
        children = [self.parse_near()]
        while self.current.kind == "and" or self.current.kind in _STARTS_OPERAND:
            if self.current.kind == "and":
                self.advance()
            children.append(self.parse_near())
        return children[0] if len(children) == 1 else And(tuple(children))

    def parse_near(self) -> Node:
        start = self.current
        left = self.parse_unary()
        while self.current.kind == "near":
            operator = self.advance()
            right_start = self.current
            right = self.parse_unary()
            for operand, token in ((left, start), (right, right_start)):
                if not is_positional(operand):
                    raise QuerySyntaxError(
                        token.position,
                        f"a term, a phrase or an OR-group around {operator.text}",
                        f"{token.describe()} starting an AND/NOT expression",
                    )
            left = Near(left, right, operator.distance)
        return left

    def parse_unary(self) -> Node:
        if self.current.kind == "not":
            self.advance()
            return Not(self.parse_unary())
        return self.parse_primary()

    def parse_primary(self) -> Node:
        token = self.current
        if token.kind == "lparen":
            self.advance()
            node = self.parse_or()
            if self.current.kind != "rparen":
                raise QuerySyntaxError(self.current.position, "')' or an operator", self.current.describe())
            self.advance()
            return node
        if token.kind == "word":
            self.advance()
            return _word_node(token.text, token.position)
        if token.kind == "phrase":
            self.advance()
            return _phrase_node(token.text[1:-1], token.position)
        if token.kind == "ref":
            self.advance()
            if self.resolve is None:
                raise QuerySyntaxError(
                    token.position, "a term (definitions are not available here)", token.describe()
                )
            return Ref(token.text[1:], self.resolve(token.text[1:], token.position), token.position)
        raise QuerySyntaxError(token.position, "a term, a phrase, '(' or NOT", token.describe())


def _word_node(text: str, position: int) -> Node:
    """A bare word; one that the tokeniser splits (``Baku-Grozny``, ``haqqin.az``) is a phrase."""
    terms = _terms(text, position)
    return terms[0] if len(terms) == 1 else Phrase(tuple(terms), position)


def _phrase_node(inner: str, position: int) -> Phrase:
    terms: list[Term] = []
    offset = 0
    for piece in inner.split():
        offset = inner.index(piece, offset)
        terms.extend(_terms(piece, position + 1 + offset))
        offset += len(piece)
    if not terms:
        raise QuerySyntaxError(position, "words inside the phrase", "an empty phrase")
    return Phrase(tuple(terms), position)


def _terms(text: str, position: int) -> list[Term]:
    prefix = text.endswith("*")
    base = text[:-1] if prefix else text
    if "*" in base:
        raise QuerySyntaxError(position + base.index("*"), "'*' only at the end of a word", f"'{text}'")
    forms = [form for raw in raw_words(base) for form in split_word(raw)]
    if not forms:
        raise QuerySyntaxError(position, "a term with letters or digits", f"'{text}'")
    if prefix:
        if len(forms) != 1:
            raise QuerySyntaxError(position, "a single word before '*'", f"'{text}'")
        if len(normalize(forms[0])) < MIN_PREFIX_LENGTH:
            raise QuerySyntaxError(
                position, f"at least {MIN_PREFIX_LENGTH} characters before '*'", f"'{text}'"
            )
        return [Term(text, fold_case(forms[0]), True, position)]
    return [Term(text if len(forms) == 1 else form, fold_case(form), False, position) for form in forms]


def parse_query(query: str, definitions: Mapping[str, Node] | None = None) -> Node:
    """Parse ``query`` into a syntax tree; ``@name`` refers to ``definitions`` when given.

    Raises :class:`QuerySyntaxError` naming the position and what was expected.
    """
    resolve = None
    if definitions is not None:

        def resolve(name: str, position: int) -> Node:
            if name not in definitions:
                known = ", ".join("@" + n for n in sorted(definitions)) or "none"
                raise QuerySyntaxError(position, f"a defined name ({known})", f"'@{name}'")
            return definitions[name]

    return _Parser(query, resolve).parse()


def parse_with_resolver(query: str, resolve: Callable[[str, int], Node]) -> Node:
    """Parse ``query`` resolving ``@name`` with ``resolve(name, position)`` (used for definitions
    that refer to each other)."""
    return _Parser(query, resolve).parse()
