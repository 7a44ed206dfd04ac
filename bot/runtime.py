"""The composition root: settings in, wired components out."""

import logging
import os
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Engine

from bot.settings import Settings
from feeds.fetcher import Fetcher
from feeds.pipeline import FeedDisabledHook, Matcher, Poller, PollerConfig
from feeds.ssrf import AddressGuard
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

    def prepare(self) -> None:
        """What start-up does before anything else: bring the schema up to date."""
        self.migrate()

    def address_guard(self) -> AddressGuard:
        return AddressGuard(self.settings.allow_private_feeds.value)

    def poller(
        self, *, matcher: Matcher | None = None, on_feed_disabled: FeedDisabledHook | None = None
    ) -> Poller:
        """The feed poller as configured; use it as `async with rt.poller() as poller`."""
        settings = self.settings
        fetcher = Fetcher(
            self.address_guard(),
            concurrency=settings.poll_concurrency,
            host_delay_s=settings.poll_host_delay_s,
        )
        return Poller(
            self.engine,
            fetcher,
            matcher=matcher,
            on_feed_disabled=on_feed_disabled,
            config=PollerConfig(batch_size=settings.poll_batch_size, parse_processes=os.cpu_count() or 1),
        )

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
