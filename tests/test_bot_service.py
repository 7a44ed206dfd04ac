"""`crisisdesk run`: the service polls Telegram (here the fake server) and the scheduler in one process."""

import asyncio

from bot.runtime import Runtime
from bot.service import run_service
from bot.settings import Settings
from tests.support.bot_harness import TOKEN, polling_started
from tests.support.fake_telegram import FakeTelegramServer


async def test_the_service_serves_the_bot_until_stopped(fake_telegram: FakeTelegramServer, tmp_path):
    settings = Settings(
        _env_file=None,
        bot_token=TOKEN,
        telegram_api_url=fake_telegram.base_url,
        database_url=f"sqlite:///{tmp_path / 'service.db'}",
    )
    rt, stop = Runtime(settings), asyncio.Event()
    service = asyncio.create_task(run_service(rt, stop))
    try:
        await polling_started(fake_telegram)
        assert fake_telegram.commands(language_code="az")  # menus set at start-up
        fake_telegram.push_message(5, "/incident azal", language_code="ru")
        [reply] = await fake_telegram.wait_for_messages(1, chat_id=5, timeout=10)
        assert "Крушение самолёта AZAL" in reply.plain_text
    finally:
        stop.set()
        await asyncio.wait_for(service, timeout=10)
        rt.close()


async def test_a_bot_that_cannot_log_in_stops_the_service_with_the_error(
    fake_telegram: FakeTelegramServer, tmp_path
):
    settings = Settings(
        _env_file=None,
        bot_token=TOKEN,
        telegram_api_url=fake_telegram.base_url + "/nowhere",
        database_url=f"sqlite:///{tmp_path / 'service.db'}",
    )
    rt = Runtime(settings)
    try:
        await asyncio.wait_for(run_service(rt, asyncio.Event()), timeout=20)
    except Exception as error:  # aiogram's error for a 404 Bot API, raised out of the service
        assert "Not Found" in str(error) or "404" in str(error)
    else:
        raise AssertionError("the service kept running without a working bot")
    finally:
        rt.close()
