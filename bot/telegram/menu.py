"""The command menu Telegram shows next to the message box, in each UI language."""

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from aiogram.utils.i18n import I18n

from bot.commands import COMMANDS
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES


def menu(i18n: I18n, lang: str, admin: bool) -> list[BotCommand]:
    return [
        BotCommand(command=command.name, description=i18n.gettext(command.description, locale=lang))
        for command in COMMANDS
        if admin or not command.admin
    ]


async def set_bot_commands(bot: Bot, i18n: I18n, admin_ids: list[int]) -> None:
    """Everyone sees the public commands in their language; admins also see theirs, in their chats."""
    for lang in LANGUAGES:
        code = "" if lang == DEFAULT_LANGUAGE else lang  # the default list serves every other language
        await bot.set_my_commands(menu(i18n, lang, False), scope=BotCommandScopeDefault(), language_code=code)
        for admin_id in admin_ids:
            await bot.set_my_commands(
                menu(i18n, lang, True), scope=BotCommandScopeChat(chat_id=admin_id), language_code=code
            )
