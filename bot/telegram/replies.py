"""Sending what the cards render: split at Telegram's limit, the keyboard on the last message."""

from collections.abc import Iterable

from aiogram.types import InlineKeyboardMarkup, Message

from bot.text import pack_messages


async def answer_blocks(
    message: Message, blocks: Iterable[str], reply_markup: InlineKeyboardMarkup | None = None
) -> Message:
    pages = pack_messages(blocks)
    for page in pages[:-1]:
        await message.answer(page)
    return await message.answer(pages[-1], reply_markup=reply_markup)


async def show(
    message: Message, blocks: Iterable[str], reply_markup: InlineKeyboardMarkup | None = None
) -> None:
    """Replace a bot message (a button was pressed) with `blocks`, or add messages when they do not fit."""
    pages = pack_messages(blocks)
    if len(pages) == 1:
        await message.edit_text(pages[0], reply_markup=reply_markup)
    else:
        await answer_blocks(message, blocks, reply_markup)
