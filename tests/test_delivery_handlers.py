"""/digest, /trend and /broadcast through a real Dispatcher polling the fake Bot API server."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiogram import BaseMiddleware, Dispatcher
from aiogram.types import TelegramObject
from aiogram.utils.i18n import I18n

from bot.delivery.broadcaster import Broadcaster, SenderConfig
from bot.handlers import broadcast, digest
from bot.i18n import create_i18n, pick_language
from bot.settings import Settings
from storage.session import session_scope
from tests.support.clock import ManualClock
from tests.support.coverage import Coverage
from tests.support.telegram_client import close_bot, make_bot

NOW = datetime(2025, 7, 3, 5, 0, tzinfo=UTC)
ADMIN = 4001
I18N = create_i18n()


class LanguageMiddleware(BaseMiddleware):
    """Stands in for the bot part's middleware: the reader's language as `lang`, gettext set to it."""

    async def __call__(self, handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user = data.get("event_from_user")
        data["lang"] = pick_language(None, user.language_code if user else None)
        token = I18n.set_current(I18N)  # aiogram's gettext() asks the base class for the current one
        try:
            with I18N.use_locale(data["lang"]):
                return await handler(event, data)
        finally:
            I18n.reset_current(token)


def dispatcher() -> Dispatcher:
    """A Dispatcher with the delivery routers, as the bot part's `build_dispatcher` includes them."""
    dp = Dispatcher()
    dp.message.outer_middleware(LanguageMiddleware())
    for router in (digest.router, broadcast.router):
        if router.parent_router is not None:  # aiogram lets a router have one parent: take it over
            router.parent_router.sub_routers.remove(router)
            router._parent_router = None
        dp.include_router(router)
    return dp


@pytest.fixture
def coverage_engine(sqlite_engine):
    with session_scope(sqlite_engine) as session:
        data = Coverage(session)
        data.incident("media-battle", "Media battle", ru="Медийная война")
        data.incident("entry-bans", "Entry bans", ru="Запреты на въезд")
        tass = data.outlet("tass", "russia", "TASS")
        story = data.story("Полиция Баку задержала сотрудников Sputnik", NOW - timedelta(hours=3))
        data.item(
            tass,
            "Полиция Баку задержала сотрудников Sputnik",
            fetched_at=NOW - timedelta(hours=3),
            incidents=["media-battle"],
            story=story,
        )
        for day in range(5):
            data.item(
                tass, f"Въезд {day}", fetched_at=NOW - timedelta(days=day, hours=1), incidents=["entry-bans"]
            )
        data.subscriber(10, language="ru", chart_enabled=True)
        data.subscriber(11, language="en")
        data.subscriber(12, subscribed=False)
    return sqlite_engine


@pytest.fixture
async def running(coverage_engine, fake_telegram):
    """The dispatcher polling the fake server; yields (bot, broadcaster)."""
    for chat in (10, 11, 12):
        fake_telegram.add_chat(chat)
    clock = ManualClock(NOW)
    bot = make_bot(fake_telegram)
    sender = Broadcaster(
        bot, coverage_engine, config=SenderConfig(rate_per_s=1000.0), clock=clock, sleep=clock.sleep
    )
    dp = dispatcher()
    dp.workflow_data.update(
        engine=coverage_engine,
        settings=Settings(admin_ids=[ADMIN]),
        i18n=I18N,
        clock=clock,
        broadcaster=sender,
    )
    polling = asyncio.create_task(dp.start_polling(bot, polling_timeout=1, handle_signals=False))
    yield bot, sender
    await dp.stop_polling()
    await asyncio.wait_for(polling, timeout=5)
    await sender.close()
    await close_bot(bot)


async def test_digest_now_in_the_reader_language_with_chart(running, fake_telegram):
    fake_telegram.push_message(10, "/digest", language_code="ru")
    text, photo = await fake_telegram.wait_for_messages(2, chat_id=10)
    assert "<b>Медийная война</b>" in text.text and "Полиция Баку задержала" in text.text
    assert "<b>Запреты на въезд</b>" in text.text  # one item in the last 24 hours
    assert text.link_preview_disabled
    assert photo.method == "sendPhoto" and photo.file[1].startswith(b"\x89PNG")


async def test_digest_for_a_chat_without_settings_uses_the_defaults(running, fake_telegram):
    fake_telegram.push_message(99, "/digest", language_code="en")
    (text,) = await fake_telegram.wait_for_messages(1, chat_id=99)
    assert "Media battle" in text.text and "Entry bans" in text.text


async def test_trend_picks_incidents_and_days_and_explains_mistakes(running, fake_telegram):
    fake_telegram.push_message(11, "/trend entry 7")
    (photo,) = await fake_telegram.wait_for_messages(1, chat_id=11)
    assert photo.method == "sendPhoto" and photo.plain_text == "Reports per day, last 7 days"
    fake_telegram.push_message(11, "/trend parade")
    fake_telegram.push_message(11, "/trend 365")
    _, unknown, too_long = await fake_telegram.wait_for_messages(3, chat_id=11)
    assert "parade" in unknown.plain_text and "media-battle, entry-bans" in unknown.plain_text
    assert too_long.plain_text == "Choose between 1 and 90 days."


async def test_broadcast_is_for_admins_and_reaches_every_subscriber(running, fake_telegram):
    _, sender = running
    fake_telegram.push_message(10, "/broadcast Hello <everyone>", user_id=10)
    (refusal,) = await fake_telegram.wait_for_messages(1, chat_id=10)
    assert "only the bot's administrators" in refusal.plain_text
    fake_telegram.push_message(ADMIN, "/broadcast Maintenance tonight & tomorrow", user_id=ADMIN)
    (confirmation,) = await fake_telegram.wait_for_messages(1, chat_id=ADMIN)
    assert confirmation.plain_text.endswith("is on its way to 2 chats.")
    await sender.drain()
    for chat in (10, 11):
        last = fake_telegram.sent_messages(chat)[-1]
        assert last.text == "Maintenance tonight &amp; tomorrow"
    assert fake_telegram.sent_messages(12) == []  # not subscribed
