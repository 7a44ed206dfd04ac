"""The composition root: settings in, wired components out."""

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Engine

from bot.knowledge import Knowledge
from bot.seeding import entity_lexicon, load_seeds, validate_seeds
from bot.settings import Settings
from feeds.fetcher import Fetcher
from feeds.matching import Matcher, Taxonomy
from feeds.pipeline import CycleReport, FeedDisabledHook, Poller, PollerConfig
from feeds.ssrf import AddressGuard
from feeds.stories import StoryGrouper
from feeds.tagging import IncidentTagger
from storage import migrate
from storage.engine import create_db_engine

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    _engine: Engine | None = field(default=None, repr=False)

    @cached_property
    def engine(self) -> Engine:
        return self._engine or create_db_engine(self.settings.database_url)

    def migrate(self) -> None:
        migrate.upgrade(self.engine)
        log.info("database schema at revision %s", migrate.current_revision(self.engine))

    @cached_property
    def _seeds(self) -> tuple[Knowledge, Taxonomy]:
        return validate_seeds(self.settings.seeds_dir)

    @property
    def knowledge(self) -> Knowledge:
        return self._seeds[0]

    @property
    def taxonomy(self) -> Taxonomy:
        return self._seeds[1]

    @cached_property
    def matcher(self) -> Matcher:
        return Matcher.from_taxonomy(self.taxonomy)

    @cached_property
    def story_grouper(self) -> StoryGrouper:
        return StoryGrouper(lexicon=entity_lexicon(self.knowledge))

    def prepare(self) -> None:
        """What start-up does before anything else: migrate, then load the seeds.

        The seeds, taxonomy queries included, are validated first: a broken query stops start-up
        here rather than surfacing on the first item it would have matched.
        """
        self.migrate()
        load_seeds(self.engine, self.knowledge)

    def address_guard(self) -> AddressGuard:
        return AddressGuard(self.settings.allow_private_feeds.value)

    def poller(
        self,
        *,
        on_feed_disabled: FeedDisabledHook | None = None,
        on_cycle: Callable[[CycleReport], None] | None = None,
    ) -> Poller:
        """The feed poller as configured, tagging items with the taxonomy; `async with rt.poller()`."""
        settings = self.settings
        fetcher = Fetcher(
            self.address_guard(),
            concurrency=settings.poll_concurrency,
            host_delay_s=settings.poll_host_delay_s,
        )
        return Poller(
            self.engine,
            fetcher,
            matcher=IncidentTagger(self.matcher),
            on_feed_disabled=on_feed_disabled,
            on_cycle=on_cycle,
            config=PollerConfig(batch_size=settings.poll_batch_size, parse_processes=os.cpu_count() or 1),
        )

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
