"""Loading the knowledge base into the database: the rows that items and matches refer to."""

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from bot.knowledge import Knowledge, KnowledgeError, load_knowledge
from feeds.matching import Taxonomy, TaxonomyError, load_taxonomy
from feeds.stories import EntityLexicon
from storage.incidents import IncidentSpec, sync_incidents
from storage.outlets import FeedSpec, OutletSpec, SyncCounts, sync_outlets
from storage.session import session_scope

log = logging.getLogger(__name__)


TAXONOMY_FILE = "taxonomy.yaml"


class SeedsInvalid(Exception):
    """The seeds cannot be used; `problems` has one line per problem, naming file and field."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def validate_seeds(seeds_dir: Path) -> tuple[Knowledge, Taxonomy]:
    """Every seed file validated and every query parsed, or SeedsInvalid listing all problems."""
    problems: list[str] = []
    knowledge = taxonomy = None
    try:
        knowledge = load_knowledge(seeds_dir)
    except KnowledgeError as error:
        problems += [str(line) for line in error.errors]
    try:
        taxonomy = load_taxonomy(seeds_dir / TAXONOMY_FILE)
    except TaxonomyError as error:
        problems += error.problems
    if knowledge and taxonomy:
        known = {incident.id for incident in knowledge.incidents}
        queried = {incident.id for incident in taxonomy.incidents}
        problems += [
            f"{seeds_dir / TAXONOMY_FILE}: incidents.{missing}: no query for this incident of incidents.yaml"
            for missing in sorted(known - queried)
        ] + [
            f"{seeds_dir / TAXONOMY_FILE}: incidents.{extra}: not an incident of incidents.yaml"
            for extra in sorted(queried - known)
        ]
    if problems:
        raise SeedsInvalid(problems)
    return knowledge, taxonomy


def entity_lexicon(knowledge: Knowledge) -> EntityLexicon:
    """People of the knowledge base by every spelling, so stories link across languages."""
    forms = {}
    for person in knowledge.people:
        spellings = [(person.name.get(lang), lang) for lang in ("en", "ru", "az")]
        forms[person.id] = spellings + [(alias, None) for alias in person.aliases]
    return EntityLexicon(forms)


@dataclass(frozen=True)
class SeedReport:
    incidents: SyncCounts
    outlets: SyncCounts
    feeds: SyncCounts

    def summary(self) -> str:
        def part(name: str, counts: SyncCounts) -> str:
            return f"{name}: {counts.created} new, {counts.updated} updated, {counts.unchanged} unchanged"

        return "; ".join(
            (part("incidents", self.incidents), part("outlets", self.outlets), part("feeds", self.feeds))
        )


def incident_specs(knowledge: Knowledge) -> list[IncidentSpec]:
    return [
        IncidentSpec(
            id=incident.id,
            title=incident.title.model_dump(),
            summary=incident.summary.model_dump(),
            date_start=incident.date_start,
            date_end=incident.date_end,
            aliases=list(incident.aliases),
        )
        for incident in knowledge.incidents
    ]


def outlet_specs(knowledge: Knowledge) -> list[OutletSpec]:
    return [
        OutletSpec(
            slug=outlet.slug,
            name=outlet.name,
            side=outlet.side,
            country=outlet.country,
            languages=list(outlet.languages),
            homepage=outlet.homepage,
            cited_in_seed=outlet.cited_in_seed,
            status=[status.model_dump(mode="json") for status in outlet.status],
            feeds=[FeedSpec(feed.url, feed.language, feed.verified) for feed in outlet.feeds],
        )
        for outlet in knowledge.outlets
    ]


def load_seeds(engine: Engine, knowledge: Knowledge) -> SeedReport:
    """Idempotent: a second load changes nothing; an edited YAML value updates its row."""
    with session_scope(engine) as session:
        incidents = sync_incidents(session, incident_specs(knowledge))
        outlets, feeds = sync_outlets(session, outlet_specs(knowledge))
    report = SeedReport(incidents, outlets, feeds)
    log.info("seeds loaded: %s", report.summary())
    return report
