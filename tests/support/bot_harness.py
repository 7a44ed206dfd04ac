"""The bot under test: a seeded archive, the real Dispatcher, and users talking to it.

`LiveBot` runs the service's `TelegramBot` (long polling through aiogram's real aiohttp session)
against `FakeTelegramServer` over a loopback socket; `OfflineBot` (bot.telegram.offline) is the
in-memory twin the CLI uses. Both use `deps()`: the seeded database, fixed settings and a fixed clock.
"""

import asyncio
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from aiogram import Dispatcher
from sqlalchemy import Engine
from sqlmodel import select

from bot.knowledge import Knowledge, load_knowledge
from bot.seeding import load_seeds
from bot.settings import REPO_ROOT, Settings
from bot.telegram.client import create_bot
from bot.telegram.dispatcher import BotDeps
from bot.telegram.polling import TelegramBot
from storage.models import Feed, Outlet
from storage.session import session_scope
from tests.support.archive_fixtures import add_feed, add_item
from tests.support.databases import migrated_sqlite_copy
from tests.support.fake_telegram import FakeTelegramServer, SentMessage

TOKEN = "123456:AAF-crisisdesk_test_token"
NOW = datetime(2025, 7, 3, 12, 0, tzinfo=UTC)
ADMIN_ID = 9001
HOSTILE_TITLE = "<script>alert('x')</script> & Co: Baku & Moscow trade barbs"
HOSTILE_URL = "https://example.az/news?id=1&lang=en"
SEARCH_FILLER = 20  # "Baku report N" items, enough for three pages of search results


@cache
def knowledge() -> Knowledge:
    return load_knowledge(REPO_ROOT / "seeds")


def settings(database_url: str = "sqlite://") -> Settings:
    return Settings(_env_file=None, database_url=database_url, admin_ids=[ADMIN_ID], bot_token=None)


def feed_of(session, slug: str, language: str) -> Feed:
    outlet = session.exec(select(Outlet).where(Outlet.slug == slug)).one()
    feed = session.exec(select(Feed).where(Feed.outlet_id == outlet.id)).first()
    return feed or add_feed(session, outlet, language=language)


def add_sample_archive(engine: Engine) -> dict[str, int]:
    """A small archive around NOW: tagged items of both sides, an untagged one, a hostile title."""
    with session_scope(engine) as session:
        ria, apa, report = (
            feed_of(session, "ria-novosti", "ru"),
            feed_of(session, "apa", "en"),
            feed_of(session, "report-az", "az"),
        )
        ids = {
            "crash_ru": add_item(
                session,
                ria,
                "Самолёт AZAL: новые данные о крушении под Актау",
                NOW - timedelta(days=1),
                summary="Следствие изучает обломки лайнера",
                url="https://ria.ru/20250702/azal.html",
                language="ru",
                incidents=["azal-plane-crash"],
                explanation=[{"term": "AZAL", "field": "title", "word": "AZAL", "position": 1}],
            ).id,
            "crash_en": add_item(
                session,
                apa,
                "Aliyev demands that Russia admit guilt for the AZAL crash",
                NOW - timedelta(days=2),
                url="https://apa.az/en/azal-crash",
                language="en",
                incidents=["azal-plane-crash", "relations-general"],
            ).id,
            "house_az": add_item(
                session,
                report,
                "Rus Evinin bağlanması: Bakı açıqlama verdi",
                NOW - timedelta(days=3),
                url="https://report.az/rus-evi",
                language="az",
                incidents=["russian-house-closure"],
            ).id,
            "hostile": add_item(
                session,
                apa,
                HOSTILE_TITLE,
                NOW - timedelta(hours=5),
                url=HOSTILE_URL,
                language="en",
                incidents=["relations-general"],
            ).id,
            "old": add_item(
                session,
                ria,
                "Миротворцы погибли в Карабахе",
                NOW - timedelta(days=600),
                url="https://ria.ru/2023/peacekeepers.html",
                language="ru",
                incidents=["peacekeepers-killed"],
            ).id,
            "untagged": add_item(session, apa, "Weather in Baku", NOW - timedelta(hours=2), language="en").id,
        }
        for n in range(SEARCH_FILLER):
            add_item(session, apa, f"Baku report {n:02d}", NOW - timedelta(days=10, hours=n), language="en")
    return ids


def seeded_engine(template: Path, target: Path) -> Engine:
    engine = migrated_sqlite_copy(template, target)
    load_seeds(engine, knowledge())
    add_sample_archive(engine)
    return engine


def deps(engine: Engine) -> BotDeps:
    return BotDeps(engine, settings(str(engine.url)), knowledge(), clock=lambda: NOW)


async def polling_started(server: FakeTelegramServer) -> None:
    """The first long poll is open (waiting for it to be answered would wait out its timeout)."""
    await server.wait_until(lambda: bool(server.calls("getUpdates")), timeout=10, what="a getUpdates call")


class LiveBot:
    """The service's bot polling the fake Telegram server; a test plays users in private chats."""

    def __init__(self, server: FakeTelegramServer, bot_deps: BotDeps) -> None:
        self.server = server
        self.telegram = TelegramBot(bot_deps, create_bot(TOKEN, server.base_url), polling_timeout=1)
        self.dispatcher: Dispatcher = self.telegram.dispatcher
        self._processed: set[int] = set()
        self._changed = asyncio.Event()
        feed_update = self.dispatcher.feed_update

        async def feed_and_record(bot, update, **kwargs):
            try:
                return await feed_update(bot, update, **kwargs)
            finally:
                self._processed.add(update.update_id)
                self._changed.set()

        # Polling calls dispatcher.feed_update; knowing when an update is done beats sleeping.
        self.dispatcher.feed_update = feed_and_record

    async def start(self) -> None:
        self.telegram.start()
        await polling_started(self.server)

    async def stop(self) -> None:
        await self.telegram.stop()

    async def _until_processed(self, update_id: int, timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while update_id not in self._processed:
                self._changed.clear()
                await self._changed.wait()

    async def send(
        self, chat_id: int, text: str, *, language_code: str = "en", user_id: int | None = None
    ) -> list[SentMessage]:
        """The user writes `text`; returns the messages the bot sent to the chat in answer."""
        before = len(self.server.sent_messages(chat_id))
        update = self.server.push_message(chat_id, text, user_id=user_id, language_code=language_code)
        await self._until_processed(update["update_id"])
        return self.server.sent_messages(chat_id)[before:]

    async def press(
        self, chat_id: int, message_id: int, data: str, *, language_code: str = "en"
    ) -> list[SentMessage]:
        """The user presses a button; returns new messages (edits show in `server.message`)."""
        before = len(self.server.sent_messages(chat_id))
        update = self.server.push_callback(chat_id, data, message_id, language_code=language_code)
        await self._until_processed(update["update_id"])
        return self.server.sent_messages(chat_id)[before:]


def buttons(markup: dict | None) -> list[tuple[str, str]]:
    """(label, callback data) of an inline keyboard as the fake server recorded it."""
    rows = (markup or {}).get("inline_keyboard", [])
    return [(button["text"], button.get("callback_data", "")) for row in rows for button in row]


def button_data(markup: dict | None, label_part: str) -> str:
    matches = [data for label, data in buttons(markup) if label_part in label]
    assert matches, f"no button with {label_part!r} in {buttons(markup)}"
    return matches[0]
