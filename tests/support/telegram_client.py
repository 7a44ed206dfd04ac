"""The real aiogram client pointed at the fake server, with a recorder of what went over the wire."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter

from tests.support.fake_telegram import FakeTelegramServer

TOKEN = "123456:AAF-crisisdesk_delivery_token"


def make_bot(server: FakeTelegramServer | str) -> Bot:
    """As the bot part's `create_bot` makes it: HTML parse mode and no link previews by default."""
    base_url = server if isinstance(server, str) else server.base_url
    session = AiohttpSession(api=TelegramAPIServer.from_base(base_url))
    return Bot(
        TOKEN,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


async def close_bot(bot: Bot) -> None:
    """Close the HTTP client without aiogram's 250 ms grace sleep."""
    client = await bot.session.create_session()
    await client.close()


@dataclass(frozen=True)
class WireEvent:
    method: str
    chat_id: int | None
    started: datetime  # on the test's clock
    finished: datetime
    error: str | None = None
    retry_after: int | None = None


class WireRecorder(BaseRequestMiddleware):
    """Records each request's start and end on the injected clock: `bot.session.middleware(recorder)`."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self.events: list[WireEvent] = []

    async def __call__(self, make_request, bot, method):
        started = self.clock()
        chat_id = getattr(method, "chat_id", None)
        name = type(method).__name__
        try:
            response = await make_request(bot, method)
        except TelegramRetryAfter as error:
            self.events.append(
                WireEvent(name, chat_id, started, self.clock(), error.message, error.retry_after)
            )
            raise
        except TelegramAPIError as error:
            self.events.append(WireEvent(name, chat_id, started, self.clock(), error.message))
            raise
        self.events.append(WireEvent(name, chat_id, started, self.clock()))
        return response
