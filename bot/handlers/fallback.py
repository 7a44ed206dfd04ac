"""What no other router took: unknown commands, plain text, files and stickers, out-of-date buttons."""

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.keyboards import Nothing
from bot.text import escape

router = Router(name="fallback")


@router.message(F.text.startswith("/"))
async def unknown_command(message: Message) -> None:
    command = message.text.split(maxsplit=1)[0]
    await message.answer(
        escape(_("I don't know the command {command}. /help lists the ones I do.").format(command=command))
    )


@router.message(F.text)
async def plain_text(message: Message) -> None:
    await message.answer(
        escape(
            _(
                "I answer commands. To search the archive, send /search followed by words; /help lists everything."
            )
        )
    )


@router.message()
async def not_text(message: Message) -> None:
    await message.answer(escape(_("I only read text messages. /help lists the commands.")))


@router.callback_query(Nothing.filter())
async def page_counter(callback: CallbackQuery) -> None:
    await callback.answer()


@router.callback_query()
async def stale_button(callback: CallbackQuery) -> None:
    await callback.answer(_("This button no longer works. Please send the command again."), show_alert=True)
