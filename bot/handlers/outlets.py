"""/outlets: who publishes, on which side and in which language, where they are blocked, feed health."""

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy import Engine

from bot.cards import SIDE_FLAGS, bold, outlet_entry, side_name
from bot.database import in_session
from bot.knowledge import Knowledge
from bot.telegram.replies import answer_blocks
from bot.text import escape
from storage.outlets import list_outlets

router = Router(name="outlets")
SIDES = ("russia", "azerbaijan", "international")


@router.message(Command("outlets"))
async def outlets(message: Message, engine: Engine, knowledge: Knowledge, lang: str) -> None:
    feeds = {outlet.slug: outlet_feeds for outlet, outlet_feeds in await in_session(engine, list_outlets)}
    blocks = [bold(_("Outlets"))]
    for side in SIDES:
        entries = [outlet_entry(o, feeds.get(o.slug, []), lang) for o in knowledge.outlets if o.side == side]
        if entries:
            blocks.append(f"{SIDE_FLAGS[side]} <b>{escape(side_name(side))}</b>\n" + "\n".join(entries))
    await answer_blocks(message, blocks)
