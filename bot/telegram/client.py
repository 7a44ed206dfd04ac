"""The aiogram Bot: HTML parse mode and no link previews, set once for every message."""

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode

from bot.settings import TELEGRAM_DEFAULT_API_URL

BOT_DEFAULTS = DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True)


def create_bot(
    token: str, api_url: str = TELEGRAM_DEFAULT_API_URL, session: BaseSession | None = None
) -> Bot:
    """A bot talking to `api_url` (Telegram, a local Bot API server, a test fake) or through `session`."""
    session = session or AiohttpSession(api=TelegramAPIServer.from_base(api_url))
    return Bot(token, session=session, default=BOT_DEFAULTS)
