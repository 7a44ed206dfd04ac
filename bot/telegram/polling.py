"""The bot as part of the service: command menus set at start-up, then long polling until stopped."""

import asyncio
import contextlib
import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError

from bot.telegram.dispatcher import BotDeps, build_dispatcher
from bot.telegram.menu import set_bot_commands

log = logging.getLogger(__name__)


class TelegramBot:
    def __init__(self, deps: BotDeps, bot: Bot, polling_timeout: int = 10) -> None:
        """`bot` from `create_bot`: HTML parse mode and no link previews are set there, once."""
        self.deps = deps
        self.bot = bot
        self.dispatcher = build_dispatcher(deps)
        self.polling_timeout = polling_timeout
        self.task: asyncio.Task | None = None

    def start(self) -> asyncio.Task:
        self.task = asyncio.create_task(self._run(), name="telegram-polling")
        return self.task

    async def _run(self) -> None:
        """The menus are best effort: polling, which follows, retries the network on its own."""
        try:
            try:
                await set_bot_commands(self.bot, self.deps.i18n, self.deps.settings.admin_ids)
            except (TelegramAPIError, TelegramNetworkError) as error:
                log.warning("could not set the command menus: %s", error)
            await self.dispatcher.start_polling(
                self.bot,
                handle_signals=False,
                close_bot_session=False,
                polling_timeout=self.polling_timeout,
                allowed_updates=self.dispatcher.resolve_used_update_types(),
            )
        finally:
            await self.bot.session.close()

    async def stop(self) -> None:
        with contextlib.suppress(RuntimeError):  # polling had not started yet
            await self.dispatcher.stop_polling()
        if self.task is not None and not self.task.done():
            self.task.cancel()
        if self.task is not None:
            await asyncio.gather(self.task, return_exceptions=True)  # run_service looks at how it ended
