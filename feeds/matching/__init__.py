"""Taxonomy matching: tag news items with the incidents of the Russia–Azerbaijan crisis.

Typical use::

    taxonomy = load_taxonomy(Path("seeds/taxonomy.yaml"))   # raises TaxonomyError listing all problems
    matcher = Matcher.from_taxonomy(taxonomy)
    for m in matcher.match(title, summary, lang="ru", published=day):
        store(m.incident_id, m.score, m.explanation)        # explanation is JSON-ready

    report = evaluate(matcher, read_labelled_jsonl(path))
    print(render_report(report, errors=True))
"""

from feeds.matching.evaluation import (
    ErrorCase,
    EvalReport,
    LabelledDataError,
    LabelledItem,
    Scores,
    evaluate,
    read_labelled_jsonl,
    render_report,
)
from feeds.matching.matcher import CompiledQuery, IncidentMatch, Matcher, compile_query
from feeds.matching.morphology import Morphology, skeleton
from feeds.matching.normalize import Token, guess_language, normalize, tokenize
from feeds.matching.query import Node, QuerySyntaxError, parse_query
from feeds.matching.taxonomy import Incident, Taxonomy, TaxonomyError, check_examples, load_taxonomy

__all__ = [
    "CompiledQuery",
    "ErrorCase",
    "EvalReport",
    "Incident",
    "IncidentMatch",
    "LabelledDataError",
    "LabelledItem",
    "Matcher",
    "Morphology",
    "Node",
    "QuerySyntaxError",
    "Scores",
    "Taxonomy",
    "TaxonomyError",
    "Token",
    "check_examples",
    "compile_query",
    "evaluate",
    "guess_language",
    "load_taxonomy",
    "normalize",
    "parse_query",
    "read_labelled_jsonl",
    "render_report",
    "skeleton",
    "tokenize",
]
