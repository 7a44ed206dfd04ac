"""The pipeline's tagging step: the taxonomy matcher's results as storable match records."""

from dataclasses import dataclass
from datetime import datetime

from feeds.matching import Matcher
from storage.matches import MatchRecord


@dataclass(frozen=True)
class IncidentTagger:
    """An `ItemMatcher` over the taxonomy; a plain object, so parse processes get a copy of it."""

    matcher: Matcher

    def __call__(
        self, title: str, summary: str, language: str | None, published: datetime
    ) -> list[MatchRecord]:
        return [
            MatchRecord(match.incident_id, match.score, match.explanation)
            for match in self.matcher.match(title, summary, language, published)
        ]
