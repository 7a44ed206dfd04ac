"""Filters shared by the routers."""

from aiogram.filters import Filter
from aiogram.types import TelegramObject, User

from bot.settings import Settings


class IsAdmin(Filter):
    """The user is one of ADMIN_IDS."""

    async def __call__(
        self, event: TelegramObject, settings: Settings, event_from_user: User | None = None
    ) -> bool:
        return event_from_user is not None and event_from_user.id in settings.admin_ids
