"""/broadcast <text>: an administrator's message to every subscriber, sent by the broadcaster."""

import asyncio
import re
from collections.abc import Callable
from datetime import datetime

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from sqlalchemy import Engine

from bot.delivery.broadcaster import Broadcaster
from bot.settings import Settings
from bot.text import MESSAGE_LIMIT, escape, visible_len
from storage.deliveries import create_broadcast
from storage.session import session_scope

router = Router(name="broadcast")

_COMMAND = re.compile(r"^/broadcast(?:@\w+)?\s*", re.IGNORECASE)


def broadcast_html(message: Message) -> str:
    """The text after the command, with the admin's formatting kept as Telegram HTML."""
    return _COMMAND.sub("", message.html_text or "", count=1).strip()


def _queue(engine: Engine, html: str, admin_id: int, now: datetime) -> tuple[int, int]:
    payload = {"parts": [{"type": "text", "html": html}], "sent_parts": 0}
    with session_scope(engine) as session:
        return create_broadcast(session, html, admin_id, payload, now)


@router.message(Command("broadcast"))
async def broadcast_command(
    message: Message,
    engine: Engine,
    settings: Settings,
    broadcaster: Broadcaster | None,
    clock: Callable[[], datetime],
) -> None:
    user = message.from_user
    if user is None or user.id not in settings.admin_ids:
        await message.answer(escape(_("Sorry, only the bot's administrators can send broadcasts.")))
        return
    html = broadcast_html(message)
    if not html:
        await message.answer(escape(_("Write the message after the command: /broadcast Maintenance tonight")))
        return
    if visible_len(html) > MESSAGE_LIMIT:
        await message.answer(
            escape(
                _("That is too long for one message ({limit} characters at most).").format(
                    limit=MESSAGE_LIMIT
                )
            )
        )
        return
    broadcast_id, chats = await asyncio.to_thread(_queue, engine, html, user.id, clock())
    if broadcaster is not None:
        broadcaster.kick()
    # Without a sender in this process (`crisisdesk ask`), the service's next delivery run, at most
    # a minute away, sends the queued rows.
    queued = ngettext(
        "Broadcast #{id} is on its way to {count} chat.",
        "Broadcast #{id} is on its way to {count} chats.",
        chats,
    )
    await message.answer(escape(queued.format(id=broadcast_id, count=chats)))
