"""/start (with deep links to an incident or a person), /help, and choosing the UI language."""

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message, User
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy import Engine

from bot.cards import bold
from bot.commands import COMMANDS
from bot.database import in_session
from bot.handlers.background import person_view, show_incident
from bot.handlers.search import syntax_help
from bot.keyboards import LANGUAGE_NAMES, PickLanguage, language_keyboard
from bot.knowledge import Knowledge
from bot.settings import Settings
from bot.telegram.replies import answer_blocks
from bot.text import escape
from storage.models import Subscriber
from storage.subscribers import update_preferences

router = Router(name="start")

DEEP_LINK_INCIDENT = "incident_"
DEEP_LINK_PERSON = "who_"


def welcome() -> str:
    return "\n\n".join(
        [
            "👋 <b>crisisdesk</b>",
            escape(
                _(
                    "I follow Russian, Azerbaijani and international news about the crisis in Russia–Azerbaijan "
                    "relations, tag each story with the incident it is about, and can send you a daily digest."
                )
            ),
            escape(
                _(
                    "Start with /background or /incidents, search the archive with /search, and see every command in /help."
                )
            ),
            escape(_("Choose your language:")),
        ]
    )


@router.message(CommandStart(deep_link=True, magic=F.args.startswith(DEEP_LINK_INCIDENT)))
async def start_at_incident(
    message: Message,
    command: CommandObject,
    engine: Engine,
    knowledge: Knowledge,
    lang: str,
    clock,
    subscriber: Subscriber | None = None,
) -> None:
    await show_incident(
        message,
        command.args.removeprefix(DEEP_LINK_INCIDENT),
        engine=engine,
        knowledge=knowledge,
        lang=lang,
        subscriber=subscriber,
        now=clock(),
    )


@router.message(CommandStart(deep_link=True, magic=F.args.startswith(DEEP_LINK_PERSON)))
async def start_at_person(message: Message, command: CommandObject, knowledge: Knowledge, lang: str) -> None:
    blocks, keyboard = person_view(command.args.removeprefix(DEEP_LINK_PERSON), knowledge, lang)
    await answer_blocks(message, blocks, keyboard)


@router.message(CommandStart())
async def start(message: Message, lang: str) -> None:
    await message.answer(welcome(), reply_markup=language_keyboard(lang).as_markup())


@router.callback_query(PickLanguage.filter(F.code.in_(LANGUAGE_NAMES)))
async def pick_language(
    callback: CallbackQuery, callback_data: PickLanguage, engine: Engine, i18n: I18n
) -> None:
    code = callback_data.code
    await in_session(
        engine, update_preferences, callback.message.chat.id, {"language": code, "language_chosen": True}
    )
    with i18n.use_locale(code):
        await callback.answer(_("Interface language: {language}.").format(language=LANGUAGE_NAMES[code]))
        await callback.message.edit_text(welcome(), reply_markup=language_keyboard(code).as_markup())


@router.message(Command("help"))
async def help_command(message: Message, settings: Settings, event_from_user: User | None = None) -> None:
    admin = event_from_user is not None and event_from_user.id in settings.admin_ids
    lines, admin_heading = [bold(_("Commands"))], ""
    for command in COMMANDS:
        if command.admin and not admin:
            continue
        if command.admin and not admin_heading:
            admin_heading = "\n" + bold(_("For admins"))
            lines.append(admin_heading)
        line = f"/{command.name} — {escape(_(command.description))}"
        if command.example != f"/{command.name}":
            line += f" · <code>{escape(command.example)}</code>"
        lines.append(line)
    await answer_blocks(message, ["\n".join(lines), bold(_("Search syntax")) + "\n" + syntax_help()])
