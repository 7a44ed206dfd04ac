"""The last line of defence: whatever a handler raises is logged and the user gets a short apology."""

import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.types import ErrorEvent
from aiogram.utils.i18n import gettext as _
from sqlalchemy import Engine

from bot.database import in_session
from bot.text import escape
from storage.subscribers import deactivate

log = logging.getLogger(__name__)
router = Router(name="errors")


def _chat_id(event: ErrorEvent) -> int | None:
    update = event.update
    if update.message is not None:
        return update.message.chat.id
    if update.callback_query is not None and update.callback_query.message is not None:
        return update.callback_query.message.chat.id
    return None


@router.errors()
async def on_error(event: ErrorEvent, bot: Bot, engine: Engine) -> bool:
    error, chat_id = event.exception, _chat_id(event)
    if isinstance(error, TelegramForbiddenError) and chat_id is not None:
        # The user blocked the bot (or left the chat): stop writing to them until they come back.
        await in_session(engine, deactivate, chat_id)
        log.info("chat blocked the bot; marked inactive", extra={"chat": chat_id})
        return True
    if isinstance(error, TelegramBadRequest) and "message is not modified" in error.message:
        return True  # the same button pressed twice: the message already shows what was asked for
    log.error("update %s failed", event.update.update_id, exc_info=error, extra={"chat": chat_id})
    apology = _("Sorry, something went wrong. The team has been notified; please try again.")
    try:
        if event.update.callback_query is not None:
            await bot.answer_callback_query(event.update.callback_query.id, apology, show_alert=True)
        elif chat_id is not None:
            await bot.send_message(chat_id, escape(apology))
    except TelegramAPIError:
        log.warning("could not send the apology", exc_info=True, extra={"chat": chat_id})
    return True
