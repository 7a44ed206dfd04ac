"""The query language: every operator, precedence, and syntax errors with positions."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.matching import QuerySyntaxError, compile_query, parse_query
from feeds.matching.query import And, Near, Not, Or, Phrase, Ref, Term


def test_a_word_is_a_term_and_a_trailing_star_makes_a_prefix() -> None:
    word = parse_query("Safarov")
    prefix = parse_query("сафаров*")
    assert word == Term("Safarov", "safarov", False, 1)
    assert isinstance(prefix, Term) and prefix.prefix and prefix.word == "сафаров"


def test_a_quoted_phrase_keeps_its_words_in_order() -> None:
    phrase = parse_query('"русский дом*"')
    assert isinstance(phrase, Phrase)
    assert [(w.word, w.prefix) for w in phrase.words] == [("русский", False), ("дом", True)]


def test_typographic_quotes_delimit_phrases_too() -> None:
    assert isinstance(parse_query("«Russian House»"), Phrase)


def test_a_word_the_tokeniser_splits_becomes_a_phrase_but_a_code_stays_one_term() -> None:
    assert str(parse_query("Baku-Grozny")) == '"Baku Grozny"'
    assert parse_query("J2-8243") == Term("J2-8243", "j2-8243", False, 1)


@pytest.mark.parametrize(
    ("query", "structure"),
    [
        ("a AND b", "a AND b"),
        ("a b", "a AND b"),  # implicit AND
        ("a OR b", "a OR b"),
        ("NOT a", "NOT a"),
        ("a NEAR/3 b", "a NEAR/3 b"),
        ("a OR b AND c", "a OR (b AND c)"),  # AND binds tighter than OR
        ("a OR b c", "a OR (b AND c)"),  # so does implicit AND
        ("(a OR b) AND c", "(a OR b) AND c"),
        ("NOT a AND b", "NOT a AND b"),  # NOT binds tighter than AND
        ("a NEAR/2 b OR c", "a NEAR/2 b OR c"),
        ("a NEAR/2 b AND c", "a NEAR/2 b AND c"),  # NEAR binds tighter than AND
        ("(a OR b) NEAR/5 c", "(a OR b) NEAR/5 c"),
        ("a and b", "a AND and AND b"),  # lower-case operators are words
    ],
)
def test_operators_and_precedence(query: str, structure: str) -> None:
    assert str(parse_query(query)) == structure


def test_precedence_is_visible_in_the_tree() -> None:
    tree = parse_query("a OR b NEAR/2 c d")
    assert isinstance(tree, Or)
    right = tree.children[1]
    assert isinstance(right, And)
    assert isinstance(right.children[0], Near) and right.children[0].distance == 2
    assert isinstance(parse_query("NOT (a OR b)"), Not)


def test_definitions_are_referenced_with_at() -> None:
    russia = parse_query("росси* OR russia*")
    tree = parse_query("@russia AND crash", {"russia": russia})
    assert isinstance(tree, And)
    assert tree.children[0] == Ref("russia", russia, 1)


def _error(query: str) -> QuerySyntaxError:
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query(query)
    return caught.value


@pytest.mark.parametrize(
    ("query", "position", "expected", "found"),
    [
        ("(a OR b", 8, "')' or an operator", "end of query"),
        ("a AND", 6, "a term, a phrase, '(' or NOT", "end of query"),
        ("a OR OR b", 6, "a term, a phrase, '(' or NOT", "'OR'"),
        ("a )", 3, "an operator or end of query", "')'"),
        ("", 1, "a term", "an empty query"),
        ('"русский дом', 13, "'\"' closing the phrase", "end of query"),
        ('a ""', 3, "words inside the phrase", "an empty phrase"),
        ("a NEAR b", 3, "NEAR/n with a whole number n ≥ 1", "'NEAR'"),
        ("a NEAR/0 b", 3, "NEAR/n with a whole number n ≥ 1", "'NEAR/0'"),
        (
            "(a AND b) NEAR/2 c",
            1,
            "a term, a phrase or an OR-group around NEAR/2",
            "'(' starting an AND/NOT expression",
        ),
        # NOT binds tighter than NEAR, so this is (NOT a) NEAR/2 b, which NEAR cannot take
        (
            "NOT a NEAR/2 b",
            1,
            "a term, a phrase or an OR-group around NEAR/2",
            "'NOT' starting an AND/NOT expression",
        ),
        (
            "a NEAR/2 NOT b",
            10,
            "a term, a phrase or an OR-group around NEAR/2",
            "'NOT' starting an AND/NOT expression",
        ),
        ("saf*rov", 4, "'*' only at the end of a word", "'saf*rov'"),
        ("ab*", 1, "at least 3 characters before '*'", "'ab*'"),
        ("x OR --", 6, "a term with letters or digits", "'--'"),
        ("x @russia", 3, "a term (definitions are not available here)", "'@russia'"),
    ],
)
def test_syntax_errors_name_position_and_expectation(
    query: str, position: int, expected: str, found: str
) -> None:
    error = _error(query)
    assert (error.position, error.expected, error.found) == (position, expected, found)
    assert str(error) == f"position {position}: expected {expected}, found {found}"
    assert "\n" not in str(error)


def test_unknown_definition_lists_the_known_ones() -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query("crash AND @rusia", {"russia": parse_query("russia")})
    assert caught.value.position == 11
    assert caught.value.expected == "a defined name (@russia)"


def test_a_located_error_reads_as_the_spec_shows() -> None:
    error = _error("(entry OR ban* OR bar").located(
        source="seeds/taxonomy.yaml", field="incidents.entry-bans.query", incident="entry-bans"
    )
    assert error.incident == "entry-bans"
    assert str(error) == (
        "seeds/taxonomy.yaml: incidents.entry-bans.query: position 22: "
        "expected ')' or an operator, found end of query"
    )


def test_compile_query_evaluates_the_same_syntax_against_text() -> None:
    query = compile_query('("русский дом" OR "russian house") AND NOT бишкек*')
    assert query.matches("Русский дом в Баку закрыт")
    assert query.matches("Russian House in Baku shut down", "")
    assert not query.matches("Русский дом в Бишкеке провёл выставку")
    assert not query.matches("Дом культуры открылся")


# --- robustness: the bot passes whatever users type to the parser


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('ab сф*()"«» -/@ANDORTNEAR0123\n')), max_size=40))
def test_any_text_parses_or_raises_a_syntax_error(text: str) -> None:
    try:
        tree = parse_query(text)
    except QuerySyntaxError as error:
        assert 1 <= error.position <= len(text) + 1
    else:
        assert str(parse_query(str(tree))) == str(tree)


_words = st.sampled_from(["сафаров*", "Aktau", "baku", '"rus evi"', "qəza"])
_trees = st.recursive(
    _words,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from([" AND ", " OR ", " "]), inner).map(
            lambda t: f"({t[0]}{t[1]}{t[2]})"
        ),
        inner.map(lambda q: f"NOT ({q})"),
    ),
    max_leaves=6,
)


@settings(max_examples=200, deadline=None)
@given(_trees)
def test_printed_trees_parse_back_to_the_same_tree(query: str) -> None:
    tree = parse_query(query)
    assert str(parse_query(str(tree))) == str(tree)
