"""Input no command should see: messages too long to be a command, and text that is not text."""

import re

from aiogram import F, Router
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

MAX_INPUT_LENGTH = 1000
# Control characters other than tab and line breaks, surrogates, U+FFFE/U+FFFF: what binary data looks like.
_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")

router = Router(name="guard")


@router.message(F.text.func(lambda text: len(text) > MAX_INPUT_LENGTH))
async def overlong(message: Message) -> None:
    await message.answer(
        _("That message is too long for me: please keep commands under {limit} characters.").format(
            limit=MAX_INPUT_LENGTH
        )
    )


@router.message(F.text.func(lambda text: _BINARY.search(text) is not None))
async def binary(message: Message) -> None:
    await message.answer(_("That looks like binary data rather than text. Send a command such as /help."))
