"""/subscribe and /unsubscribe, and noticing when a user blocks or unblocks the bot."""

import logging

from aiogram import Router
from aiogram.filters import KICKED, MEMBER, ChatMemberUpdatedFilter, Command
from aiogram.types import ChatMemberUpdated, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy import Engine

from bot.database import in_session
from bot.settings import Settings
from bot.telegram.middlewares import greet
from bot.text import escape
from storage.models import Subscriber
from storage.subscribers import deactivate, get_subscriber, set_subscribed

log = logging.getLogger(__name__)
router = Router(name="subscription")


def schedule(subscriber: Subscriber | None) -> str:
    if subscriber is None:
        return ""
    return _("The digest arrives every day at {time} ({timezone}); /settings changes that.").format(
        time=subscriber.digest_time, timezone=subscriber.timezone
    )


@router.message(Command("subscribe"))
async def subscribe(message: Message, engine: Engine) -> None:
    changed = await in_session(engine, set_subscribed, message.chat.id, True)
    subscriber = await in_session(engine, get_subscriber, message.chat.id)
    done = _("Subscribed.") if changed else _("You are already subscribed.")
    await message.answer(escape(f"{done} {schedule(subscriber)}"))


@router.message(Command("unsubscribe"))
async def unsubscribe(message: Message, engine: Engine) -> None:
    changed = await in_session(engine, set_subscribed, message.chat.id, False)
    if changed:
        text = _("Unsubscribed: no more digests. Your settings are kept; /subscribe brings the digest back.")
    else:
        text = _("You are not subscribed. /subscribe starts the daily digest.")
    await message.answer(escape(text))


@router.my_chat_member(ChatMemberUpdatedFilter(member_status_changed=KICKED))
async def blocked(event: ChatMemberUpdated, engine: Engine) -> None:
    await in_session(engine, deactivate, event.chat.id)
    log.info("chat blocked the bot; marked inactive", extra={"chat": event.chat.id})


@router.my_chat_member(ChatMemberUpdatedFilter(member_status_changed=MEMBER))
async def unblocked(event: ChatMemberUpdated, engine: Engine, settings: Settings) -> None:
    user = event.from_user
    await in_session(engine, greet, event.chat.id, user.id, user.language_code, settings)
