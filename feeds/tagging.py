"""The pipeline's tagging step: the taxonomy matcher's results as storable match records."""

from datetime import datetime

from feeds.matching import Matcher
from feeds.pipeline import ItemMatcher
from storage.matches import MatchRecord


def incident_tagger(matcher: Matcher) -> ItemMatcher:
    def tag(title: str, summary: str, language: str | None, published: datetime) -> list[MatchRecord]:
        return [
            MatchRecord(match.incident_id, match.score, match.explanation)
            for match in matcher.match(title, summary, language, published)
        ]

    return tag
