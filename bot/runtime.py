"""The composition root: settings in, wired components out."""

import logging
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Engine

from bot.knowledge import Knowledge
from bot.seeding import load_seeds, validate_seeds
from bot.settings import Settings
from feeds.matching import Matcher, Taxonomy
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

    def prepare(self) -> None:
        """What start-up does before anything else: migrate, then load the seeds.

        The seeds, taxonomy queries included, are validated first: a broken query stops start-up
        here rather than surfacing on the first item it would have matched.
        """
        self.migrate()
        load_seeds(self.engine, self.knowledge)

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
