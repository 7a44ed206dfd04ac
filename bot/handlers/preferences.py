"""/settings: digest time, time zone, language, incidents, instant alerts, chart — on inline keyboards.

One message is edited from screen to screen; long choice lists are paginated. A choice is carried
in the button's callback data, so nothing is kept between presses.
"""

import re

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy import Engine

from bot.database import in_session
from bot.i18n import pick_language
from bot.keyboards import LANGUAGE_NAMES, SettingsScreen, page_row, paginate, shorten
from bot.knowledge import Knowledge
from bot.telegram.replies import show
from bot.text import escape
from storage.models import Subscriber
from storage.subscribers import update_preferences

router = Router(name="preferences")

DIGEST_TIMES = [f"{hour:02d}:{minute:02d}" for hour in range(24) for minute in (0, 30)]
# Where readers of this crisis are likely to be; UTC for everyone else.
TIME_ZONES = [
    "Asia/Baku",
    "Europe/Moscow",
    "UTC",
    "Europe/Istanbul",
    "Asia/Tbilisi",
    "Asia/Yerevan",
    "Asia/Aqtau",
    "Asia/Almaty",
    "Asia/Tashkent",
    "Europe/Kyiv",
    "Europe/Minsk",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Novosibirsk",
    "Asia/Vladivostok",
    "Asia/Tehran",
    "Asia/Dubai",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Australia/Sydney",
]
TIMES_PER_PAGE = 16
ZONES_PER_PAGE = 8
INCIDENTS_PER_PAGE = 5
_HHMM = re.compile(r"^\d{4}$")


def on_off(value: bool) -> str:
    return _("on") if value else _("off")


def chosen_incidents(subscriber: Subscriber, knowledge: Knowledge) -> list[str]:
    """The incidents a subscriber follows; an empty list in the row means all of them."""
    known = [incident.id for incident in knowledge.incidents]
    return [i for i in known if i in subscriber.incidents] if subscriber.incidents else known


def main_screen(subscriber: Subscriber, knowledge: Knowledge, lang: str) -> tuple[str, InlineKeyboardMarkup]:
    following = chosen_incidents(subscriber, knowledge)
    if len(following) == len(knowledge.incidents):
        incidents = _("all")
    else:
        incidents = _("{count} of {total}").format(count=len(following), total=len(knowledge.incidents))
    lines = [
        "⚙️ <b>" + escape(_("Settings")) + "</b>",
        "📬 " + escape(_("Daily digest: {state}").format(state=on_off(subscriber.subscribed))),
        "🕘 "
        + escape(
            _("Digest time: {time} ({timezone})").format(
                time=subscriber.digest_time, timezone=subscriber.timezone
            )
        ),
        "🗣 " + escape(_("Language: {language}").format(language=LANGUAGE_NAMES[lang])),
        "📌 " + escape(_("Incidents: {incidents}").format(incidents=incidents)),
        "🔔 " + escape(_("Instant alerts: {state}").format(state=on_off(subscriber.alerts_enabled))),
        "📊 " + escape(_("Chart in the digest: {state}").format(state=on_off(subscriber.chart_enabled))),
    ]
    if not subscriber.subscribed:
        lines.append(escape(_("/subscribe to receive the digest.")))
    builder = InlineKeyboardBuilder()
    current_time = DIGEST_TIMES.index(subscriber.digest_time) if subscriber.digest_time in DIGEST_TIMES else 0
    builder.button(
        text="🕘 " + _("Digest time"),
        callback_data=SettingsScreen(screen="time", page=current_time // TIMES_PER_PAGE),
    )
    builder.button(text="🌍 " + _("Time zone"), callback_data=SettingsScreen(screen="tz"))
    builder.button(text="🗣 " + _("Language"), callback_data=SettingsScreen(screen="lang"))
    builder.button(text="📌 " + _("Incidents"), callback_data=SettingsScreen(screen="inc"))
    alerts, chart = not subscriber.alerts_enabled, not subscriber.chart_enabled
    builder.button(
        text="🔔 " + _("Alerts: {state}").format(state=on_off(subscriber.alerts_enabled)),
        callback_data=SettingsScreen(screen="alerts", value="on" if alerts else "off"),
    )
    builder.button(
        text="📊 " + _("Chart: {state}").format(state=on_off(subscriber.chart_enabled)),
        callback_data=SettingsScreen(screen="chart", value="on" if chart else "off"),
    )
    builder.adjust(2)
    return "\n".join(lines), builder.as_markup()


def choice_screen(
    title: str,
    options: list[tuple[str, str]],
    screen: str,
    page_number: int,
    per_page: int,
    columns: int,
    extra: list[InlineKeyboardButton] | None = None,
) -> tuple[str, InlineKeyboardMarkup]:
    """A paginated list of (label, value) buttons, with page arrows and a way back."""
    page = paginate(options, page_number, per_page)
    builder = InlineKeyboardBuilder()
    for label, value in page.items:
        builder.button(text=label, callback_data=SettingsScreen(screen=screen, page=page.number, value=value))
    builder.adjust(columns)
    if extra:
        builder.row(*extra)
    row = page_row(page, lambda n: SettingsScreen(screen=screen, page=n))
    if row:
        builder.row(*row)
    builder.row(
        InlineKeyboardButton(text="‹ " + _("Back"), callback_data=SettingsScreen(screen="main").pack())
    )
    return "⚙️ <b>" + escape(title) + "</b>", builder.as_markup()


def render(
    screen: str, page: int, subscriber: Subscriber, knowledge: Knowledge, lang: str
) -> tuple[str, InlineKeyboardMarkup]:
    if screen == "time":
        options = [
            (("✓ " if t == subscriber.digest_time else "") + t, t.replace(":", "")) for t in DIGEST_TIMES
        ]
        return choice_screen(_("When should the digest arrive?"), options, "time", page, TIMES_PER_PAGE, 4)
    if screen == "tz":
        options = [(("✓ " if z == subscriber.timezone else "") + z, str(n)) for n, z in enumerate(TIME_ZONES)]
        return choice_screen(_("Your time zone"), options, "tz", page, ZONES_PER_PAGE, 2)
    if screen == "lang":
        options = [(("✓ " if code == lang else "") + name, code) for code, name in LANGUAGE_NAMES.items()]
        return choice_screen(_("Language"), options, "lang", 0, len(options), 3)
    if screen == "inc":
        following = chosen_incidents(subscriber, knowledge)
        options = [
            (("✅ " if i.id in following else "▫️ ") + shorten(i.title.get(lang), 40), i.id)
            for i in knowledge.incidents
        ]
        everything = InlineKeyboardButton(
            text=_("All incidents"), callback_data=SettingsScreen(screen="inc", page=page, value="all").pack()
        )
        title = _("Which incidents should the digest and alerts cover?")
        return choice_screen(title, options, "inc", page, INCIDENTS_PER_PAGE, 1, [everything])
    return main_screen(subscriber, knowledge, lang)


def toggled_incidents(subscriber: Subscriber, knowledge: Knowledge, value: str) -> list[str] | None:
    if value == "all":
        return []
    known = [incident.id for incident in knowledge.incidents]
    if value not in known:
        return None
    following = set(chosen_incidents(subscriber, knowledge)) ^ {value}
    if not following or len(following) == len(known):
        return []  # nothing chosen or everything chosen: follow all (a digest about nothing helps nobody)
    return [incident_id for incident_id in known if incident_id in following]


def changes_for(screen: str, value: str, subscriber: Subscriber, knowledge: Knowledge) -> dict | None:
    """What pressing `value` on `screen` changes; None for a button that cannot be valid (stale or forged)."""
    if screen == "time":
        time = f"{value[:2]}:{value[2:]}"
        return {"digest_time": time} if _HHMM.match(value) and time in DIGEST_TIMES else None
    if screen == "tz":
        return (
            {"timezone": TIME_ZONES[int(value)]} if value.isdigit() and int(value) < len(TIME_ZONES) else None
        )
    if screen == "lang":
        return {"language": value, "language_chosen": True} if value in LANGUAGE_NAMES else None
    if screen == "inc":
        chosen = toggled_incidents(subscriber, knowledge, value)
        return None if chosen is None else {"incidents": chosen}
    if screen in ("alerts", "chart") and value in ("on", "off"):
        return {f"{screen}_enabled": value == "on"}
    return None


@router.message(Command("settings"))
async def settings_command(message: Message, subscriber: Subscriber, knowledge: Knowledge, lang: str) -> None:
    text, keyboard = main_screen(subscriber, knowledge, lang)
    await message.answer(text, reply_markup=keyboard)


@router.callback_query(SettingsScreen.filter())
async def settings_screen(
    callback: CallbackQuery,
    callback_data: SettingsScreen,
    engine: Engine,
    knowledge: Knowledge,
    i18n: I18n,
    lang: str,
    subscriber: Subscriber,
) -> None:
    chat_id = callback.message.chat.id
    screen = callback_data.screen
    if callback_data.value:
        changes = changes_for(screen, callback_data.value, subscriber, knowledge)
        if changes is None:
            await callback.answer(
                _("This button no longer works. Please send the command again."), show_alert=True
            )
            return
        subscriber = await in_session(engine, update_preferences, chat_id, changes)
        screen = "inc" if screen == "inc" else "main"
        lang = pick_language(subscriber.language if subscriber.language_chosen else None, lang)
    with i18n.use_locale(lang):
        await callback.answer(_("Saved.") if callback_data.value else None)
        text, keyboard = render(screen, callback_data.page, subscriber, knowledge, lang)
        await show(callback.message, [text], keyboard)
