"""Per-update context: the chat's subscriber row and the UI language, set before any handler runs."""

import logging
from typing import Any

from aiogram.types import Chat, ErrorEvent, TelegramObject, User
from aiogram.utils.i18n import I18nMiddleware
from sqlmodel import Session

from bot.database import in_session
from bot.i18n import pick_language
from bot.settings import Settings
from storage.models import Subscriber
from storage.subscribers import SubscriberDefaults, ensure_subscriber, get_subscriber, update_preferences

log = logging.getLogger(__name__)


def greet(
    session: Session, chat_id: int, user_id: int | None, telegram_language: str | None, settings: Settings
) -> Subscriber:
    """The chat's subscriber (created on first contact, reactivated after a block), its language current.

    Until the user picks a language the row follows their Telegram client's, so that what is sent
    unprompted (digests, alerts) arrives in the language the chat is held in.
    """
    language = pick_language(None, telegram_language)
    defaults = SubscriberDefaults(language, settings.default_timezone, settings.default_digest_time)
    subscriber = ensure_subscriber(session, chat_id, user_id, defaults)
    if not subscriber.language_chosen and subscriber.language != language:
        update_preferences(session, chat_id, {"language": language})
    return subscriber


class SubscriberI18nMiddleware(I18nMiddleware):
    """Puts `subscriber` and `lang` into the handler data and activates that locale for gettext."""

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        telegram_language = user.language_code if user else None
        subscriber = None
        if chat is not None:
            engine, settings = data["engine"], data["settings"]
            if isinstance(event, ErrorEvent):
                subscriber = await self._subscriber_if_readable(engine, chat.id)
            else:
                user_id = user.id if user else None
                subscriber = await in_session(engine, greet, chat.id, user_id, telegram_language, settings)
        chosen = subscriber.language if subscriber is not None and subscriber.language_chosen else None
        lang = pick_language(chosen, telegram_language)
        data["subscriber"] = subscriber
        data["lang"] = lang
        return lang

    @staticmethod
    async def _subscriber_if_readable(engine, chat_id: int) -> Subscriber | None:
        """While reporting an error the database may be the thing that failed: do without it then."""
        try:
            return await in_session(engine, get_subscriber, chat_id)
        except Exception:
            log.warning("no subscriber row for the error reply", exc_info=True, extra={"chat": chat_id})
            return None
