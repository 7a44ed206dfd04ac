"""/search: the archive with the taxonomy's query syntax, newest first, one page per message edit.

The query is the first line of the results message, so the page buttons carry only a page number and
keep working after a restart.
"""

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy import Engine

from bot.cards import bold, item_line
from bot.database import in_session
from bot.keyboards import SearchResultsPage, navigation_row
from bot.knowledge import Knowledge
from bot.search_query import parse_search
from bot.telegram.replies import show
from bot.text import escape
from feeds.matching.query import QuerySyntaxError
from storage.models import Subscriber
from storage.search import SearchPage, SearchQueryError, search_items

router = Router(name="search")

PER_PAGE = 8
MAX_QUERY_LENGTH = 300
QUERY_MARK = "🔎 "


def syntax_help() -> str:
    lines = [
        _("Words are found in any case and inflection; Əliyev = Aliyev, ё = е."),
        _('"a phrase" finds those words in that order; baku* finds every word starting with baku.'),
        _("Combine with AND, OR, NOT and parentheses; NEAR/3 finds words at most 3 words apart."),
    ]
    example = '/search "Russian House" OR (Baku AND closure*)'
    return "\n".join(escape(line) for line in lines) + f"\n<code>{escape(example)}</code>"


def refusal(error: SearchQueryError) -> str:
    reasons = {
        SearchQueryError.NO_WORDS: _("There is nothing to search for in it: use letters or digits."),
        SearchQueryError.ONLY_NEGATIVE: _(
            "NOT can only narrow a search down: say what to find, e.g. plane NOT drone."
        ),
        SearchQueryError.SHORT_PREFIX: _("Put at least 3 letters before *."),
        SearchQueryError.NEAR_OPERAND: _("NEAR joins words, phrases or OR-groups of them, not AND or NOT."),
        SearchQueryError.NEAR_DISTANCE: _("NEAR/n works for n from 1 to 20."),
    }
    return reasons.get(error.reason, _("I cannot search for that."))


def results_message(
    query: str, found: SearchPage, page_number: int, knowledge: Knowledge, lang: str, timezone: str | None
) -> tuple[str, InlineKeyboardMarkup | None]:
    head = QUERY_MARK + escape(query)
    if not found.items:
        return head + "\n" + escape(_("Nothing found.")), None
    first = page_number * PER_PAGE + 1
    shown = _("Results {first}–{last}").format(first=first, last=first + len(found.items) - 1)
    lines = [head, bold(shown)]
    lines += [item_line(item, lang, timezone, tags=knowledge) for item in found.items]
    if page_number == 0 and not found.has_more:
        return "\n".join(lines), None
    row = navigation_row(
        page_number, str(page_number + 1), found.has_more, lambda n: SearchResultsPage(page=n)
    )
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=[row])


async def results(
    query: str,
    page_number: int,
    engine: Engine,
    knowledge: Knowledge,
    lang: str,
    subscriber: Subscriber | None,
) -> tuple[str, InlineKeyboardMarkup | None]:
    try:
        expression = parse_search(query)
        found = await in_session(
            engine, search_items, expression, limit=PER_PAGE, offset=page_number * PER_PAGE
        )
    except QuerySyntaxError as error:
        where = _("I could not read that search at character {position}:").format(position=error.position)
        marked = (
            escape(query[: error.position - 1])
            + "<u>"
            + escape(query[error.position - 1 : error.position] or " ")
            + "</u>"
        )
        marked += escape(query[error.position :])
        return f"⚠️ {escape(where)}\n<code>{marked}</code>\n\n{syntax_help()}", None
    except SearchQueryError as error:
        return f"⚠️ {escape(refusal(error))}\n\n{syntax_help()}", None
    timezone = subscriber.timezone if subscriber is not None else None
    return results_message(query, found, page_number, knowledge, lang, timezone)


@router.message(Command("search"))
async def search(
    message: Message,
    command: CommandObject,
    engine: Engine,
    knowledge: Knowledge,
    lang: str,
    subscriber: Subscriber | None = None,
) -> None:
    query = " ".join((command.args or "").split())  # one line: the page buttons read it back from there
    if not query:
        await message.answer(escape(_("What should I look for? For example:")) + "\n" + syntax_help())
        return
    if len(query) > MAX_QUERY_LENGTH:
        await message.answer(
            escape(_("Please keep a search under {limit} characters.").format(limit=MAX_QUERY_LENGTH))
        )
        return
    text, keyboard = await results(query, 0, engine, knowledge, lang, subscriber)
    await message.answer(text, reply_markup=keyboard)


@router.callback_query(SearchResultsPage.filter())
async def turn_page(
    callback: CallbackQuery,
    callback_data: SearchResultsPage,
    engine: Engine,
    knowledge: Knowledge,
    lang: str,
    subscriber: Subscriber | None = None,
) -> None:
    first_line = (callback.message.text or "").split("\n", 1)[0]
    if not first_line.startswith(QUERY_MARK):
        await callback.answer(
            _("This button no longer works. Please send the command again."), show_alert=True
        )
        return
    await callback.answer()
    query = first_line.removeprefix(QUERY_MARK)
    text, keyboard = await results(query, max(callback_data.page, 0), engine, knowledge, lang, subscriber)
    await show(callback.message, [text], keyboard)
