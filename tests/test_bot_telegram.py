"""The bot end to end: aiogram's real session long-polls the fake Telegram Bot API over a loopback socket.

One dispatcher, one fake server and one seeded archive serve the whole module; each test talks in
chats of its own so that tests do not see each other's state.
"""

import csv
import io
import logging
from itertools import count

import pytest
import pytest_asyncio
from sqlmodel import select

from bot.commands import ADMIN_COMMANDS, COMMANDS
from bot.database import in_session
from bot.i18n import create_i18n
from bot.keyboards import shorten
from storage.models import Feed, Item
from storage.session import session_scope
from storage.subscribers import get_subscriber
from tests.support.bot_harness import (
    ADMIN_ID,
    HOSTILE_TITLE,
    HOSTILE_URL,
    LiveBot,
    button_data,
    buttons,
    deps,
    knowledge,
    seeded_engine,
)
from tests.support.fake_telegram import FakeTelegramServer, Fault

pytestmark = pytest.mark.asyncio(loop_scope="module")
I18N = create_i18n()
LANGUAGES = ("en", "ru", "az")
_chats = count(10_000)


def new_chat() -> int:
    return next(_chats)


def tr(msgid: str, lang: str, **values: object) -> str:
    """The UI text a user of `lang` sees: formatted with `values`, else the part before a placeholder."""
    text = I18N.gettext(msgid, locale=lang)
    return text.format(**values) if values else text.split("{")[0]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def live(sqlite_template, tmp_path_factory):
    engine = seeded_engine(sqlite_template, tmp_path_factory.mktemp("bot") / "crisisdesk.db")
    async with FakeTelegramServer() as server:
        bot = LiveBot(server, deps(engine))
        await bot.start()
        yield bot
        await bot.stop()
    engine.dispose()


@pytest.fixture(scope="module")
def ids(live):
    with session_scope(live.telegram.deps.engine) as session:
        return {item.title: item.id for item in session.exec(select(Item))}


def plain(messages) -> str:
    return "\n".join(message.plain_text or "" for message in messages)


def seen(messages) -> str:
    """Text and button labels, as the user sees them."""
    return plain(messages) + "\n" + "\n".join(label for m in messages for label, _ in buttons(m.reply_markup))


# ------------------------------------------------------------------------------------------ start-up


async def test_start_up_sets_the_command_menu_in_every_language(live):
    public = [command.name for command in COMMANDS if not command.admin]
    for lang, code in (("en", ""), ("ru", "ru"), ("az", "az")):
        menu = live.server.commands(language_code=code)
        assert [entry["command"] for entry in menu] == public
        assert menu[0]["description"] == I18N.gettext(COMMANDS[0].description, locale=lang)
        admin_menu = live.server.commands({"type": "chat", "chat_id": ADMIN_ID}, language_code=code)
        assert set(ADMIN_COMMANDS) <= {entry["command"] for entry in admin_menu}
    assert live.server.commands(language_code="ru")[0]["description"] != COMMANDS[0].description


# ------------------------------------------------------------------------------- every command, every language


def expectations(lang: str, ids: dict[str, int]) -> dict[str, list[str]]:
    kb = knowledge()
    azal = kb.incident("azal-plane-crash")
    crash_ru = ids["Самолёт AZAL: новые данные о крушении под Актау"]
    return {
        "/start": [tr("Choose your language:", lang)],
        "/help": [tr("Search syntax", lang), "/incident azal"],
        "/subscribe": [tr("Subscribed.", lang)],
        "/unsubscribe": [tr("You are not subscribed. /subscribe starts the daily digest.", lang)],
        "/settings": [
            tr("Settings", lang),
            tr("Digest time: {time} ({timezone})", lang, time="09:00", timezone="Asia/Baku"),
        ],
        "/background": [tr("The crisis in brief", lang), shorten(azal.title.get(lang))],
        "/incidents": [tr("Incidents", lang), kb.incident("entry-bans").title.get(lang)],
        "/incident azal": [tr("Key facts", lang), azal.title.get(lang), azal.framing.russia.get(lang)],
        "/timeline": [tr("Timeline", lang), kb.timeline[0].event.get(lang)],
        "/views russia": [tr("Commentators: {side}", lang, side=I18N.gettext("Russia", locale=lang))],
        "/who Aliyev": [tr("What they said or did", lang), kb.person("ilham-aliyev").name.get(lang)],
        "/outlets": [tr("Outlets", lang), "RIA Novosti", "Report.az"],
        "/latest azal 3": [tr("The newest items about: {incident}", lang, incident=azal.title.get(lang))],
        "/search AZAL": [tr("Results {first}–{last}", lang, first=1, last=2)],
        f"/why {crash_ru}": [tr("score {score}", lang, score="1.00"), azal.title.get(lang)],
        "/export azal 30": [
            I18N.gettext(
                "{count} item about “{incident}”, last {days} days.",
                "{count} items about “{incident}”, last {days} days.",
                2,
                locale=lang,
            ).format(count=2, incident=azal.title.get(lang), days=30)
        ],
    }


COMMAND_CASES = [
    "/start",
    "/help",
    "/subscribe",
    "/unsubscribe",
    "/settings",
    "/background",
    "/incidents",
    "/incident azal",
    "/timeline",
    "/views russia",
    "/who Aliyev",
    "/outlets",
    "/latest azal 3",
    "/search AZAL",
    "/why",
    "/export azal 30",
]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("command", COMMAND_CASES)
async def test_every_command_answers_in_the_users_language(live, ids, command, lang):
    expected = expectations(lang, ids)
    if command == "/why":
        command = next(key for key in expected if key.startswith("/why "))
    replies = await live.send(new_chat(), command, language_code=lang)
    assert replies, f"{command} got no reply"
    for fragment in expected[command]:
        assert fragment in seen(replies), f"{command} [{lang}]: {fragment!r} missing"


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_admin_commands_answer_admins_in_their_language(live, lang):
    stats = await live.send(new_chat(), "/stats", language_code=lang, user_id=ADMIN_ID)
    assert tr("Statistics", lang) in plain(stats)
    assert tr("Matches per incident: last {days} days / all time", lang, days=7) in plain(stats)
    feeds = await live.send(new_chat(), "/feeds", language_code=lang, user_id=ADMIN_ID)
    assert tr("Feeds: {count}", lang) in plain(feeds) and "ria.ru/export" in plain(feeds)


@pytest.mark.parametrize(
    "command", ["/stats", "/feeds", "/addfeed https://x.az/rss apa", "/disablefeed 1", "/broadcast hi"]
)
async def test_admin_commands_politely_refuse_everyone_else(live, command):
    replies = await live.send(new_chat(), command, language_code="ru")
    assert plain(replies) == tr("Sorry, that command is for the bot's administrators only.", "ru")


# ---------------------------------------------------------------------------------------------- pages


async def test_timeline_pages_forward_and_back(live):
    chat = new_chat()
    [first] = await live.send(chat, "/timeline")
    assert "(1/4)" in first.plain_text
    await live.press(chat, first.message_id, button_data(first.reply_markup, "›"))
    page_two = live.server.message(chat, first.message_id)
    assert "(2/4)" in page_two["text"] and page_two["text"] != first.plain_text
    await live.press(chat, first.message_id, button_data(page_two["reply_markup"], "‹"))
    assert live.server.message(chat, first.message_id)["text"] == first.plain_text


async def test_search_results_page_newest_first_until_the_last_page(live):
    chat = new_chat()
    [results] = await live.send(chat, "/search baku")
    assert "1–8" in results.plain_text
    message_id, pages = results.message_id, [results.plain_text]
    markup = results.reply_markup
    while any(label == "›" for label, _ in buttons(markup)):
        await live.press(chat, message_id, button_data(markup, "›"))
        shown = live.server.message(chat, message_id)
        pages.append(shown["text"])
        markup = shown.get("reply_markup")
    assert len(pages) == 3 and "17–22" in pages[-1]
    titles = [line for page in pages for line in page.splitlines() if "Baku report" in line]
    numbers = [int(line.split("Baku report ")[1][:2]) for line in titles]
    assert numbers == sorted(numbers)  # report 00 is the newest of them, 19 the oldest
    assert len(numbers) == 20


async def test_settings_time_zone_list_pages_and_a_choice_is_saved(live):
    chat = new_chat()
    [menu] = await live.send(chat, "/settings", language_code="en")
    await live.press(chat, menu.message_id, button_data(menu.reply_markup, "Time zone"))
    zones = live.server.message(chat, menu.message_id)["reply_markup"]
    assert "Europe/Moscow" in str(buttons(zones)) and "America/New_York" not in str(buttons(zones))
    await live.press(chat, menu.message_id, button_data(zones, "›"))
    await live.press(
        chat, menu.message_id, button_data(live.server.message(chat, menu.message_id)["reply_markup"], "›")
    )
    last_page = live.server.message(chat, menu.message_id)["reply_markup"]
    await live.press(chat, menu.message_id, button_data(last_page, "America/New_York"))
    assert "America/New_York" in live.server.message(chat, menu.message_id)["text"]
    subscriber = await in_session(live.telegram.deps.engine, get_subscriber, chat)
    assert subscriber.timezone == "America/New_York"


async def test_settings_incident_toggles_and_alerts(live):
    chat = new_chat()
    [menu] = await live.send(chat, "/settings")
    await live.press(chat, menu.message_id, button_data(menu.reply_markup, "Incidents"))
    screen = live.server.message(chat, menu.message_id)["reply_markup"]
    assert sum("✅" in label for label, _ in buttons(screen)) == 5  # one page of five, all followed
    await live.press(chat, menu.message_id, button_data(screen, "AZAL"))
    subscriber = await in_session(live.telegram.deps.engine, get_subscriber, chat)
    assert "azal-plane-crash" not in subscriber.incidents and len(subscriber.incidents) == 8
    await live.press(
        chat, menu.message_id, button_data(live.server.message(chat, menu.message_id)["reply_markup"], "Back")
    )
    await live.press(
        chat,
        menu.message_id,
        button_data(live.server.message(chat, menu.message_id)["reply_markup"], "Alerts"),
    )
    text = live.server.message(chat, menu.message_id)["text"]
    assert "Instant alerts: on" in text and "Incidents: 8 of 9" in text


async def test_a_language_picked_on_start_wins_over_the_telegram_language(live):
    chat = new_chat()
    [welcome] = await live.send(chat, "/start", language_code="en")
    await live.press(chat, welcome.message_id, button_data(welcome.reply_markup, "Azərbaycanca"))
    assert tr("Choose your language:", "az") in live.server.message(chat, welcome.message_id)["text"]
    replies = await live.send(chat, "/help", language_code="en")
    assert tr("Search syntax", "az") in plain(replies)


async def test_deep_links_open_an_incident_or_a_person(live):
    replies = await live.send(new_chat(), "/start incident_azal-plane-crash", language_code="ru")
    assert knowledge().incident("azal-plane-crash").summary.ru in plain(replies)
    replies = await live.send(new_chat(), "/start who_ilham-aliyev", language_code="en")
    assert "President of Azerbaijan" in plain(replies)


async def test_unknown_names_get_did_you_mean_buttons_that_open_the_card(live):
    chat = new_chat()
    [reply] = await live.send(chat, "/incident azl")
    assert "Did you mean" in reply.plain_text
    await live.press(chat, reply.message_id, button_data(reply.reply_markup, "AZAL"))
    assert tr("Key facts", "en") in plain(live.server.sent_messages(chat)[1:])
    [reply] = await live.send(chat, "/who Валуеу", language_code="ru")
    assert knowledge().person("nikolai-valuev").name.ru in str(buttons(reply.reply_markup))


async def test_latest_and_export_with_an_unknown_name_suggest_incidents(live):
    chat = new_chat()
    [reply] = await live.send(chat, "/latest azl 3")
    assert "Did you mean" in reply.plain_text
    await live.press(chat, reply.message_id, button_data(reply.reply_markup, "AZAL"))
    azal = knowledge().incident("azal-plane-crash").title.get("en")
    assert tr("The newest items about: {incident}", "en", incident=azal) in plain(
        live.server.sent_messages(chat)[1:]
    )
    [reply] = await live.send(new_chat(), "/export azl 30")
    assert "Did you mean" in reply.plain_text and reply.method != "sendDocument"


# --------------------------------------------------------------------------------------- what users see


async def test_a_hostile_feed_title_arrives_escaped_and_lists_have_no_link_previews(live):
    chat = new_chat()
    [latest] = await live.send(chat, "/latest")
    assert "&lt;script&gt;" in latest.text and "<script>" not in latest.text
    assert HOSTILE_TITLE in latest.plain_text
    links = [
        e["url"]
        for e in live.server.message(chat, latest.message_id).get("entities", [])
        if e["type"] == "text_link"
    ]
    assert HOSTILE_URL in links
    assert latest.link_preview_disabled


async def test_export_sends_a_csv_of_the_incidents_items(live):
    [document] = await live.send(new_chat(), "/export azal 30")
    assert document.method == "sendDocument" and document.file[0].endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(document.file[1].decode("utf-8-sig"))))
    assert [row["title"] for row in rows] == [
        "Самолёт AZAL: новые данные о крушении под Актау",
        "Aliyev demands that Russia admit guilt for the AZAL crash",
    ]
    assert rows[1]["incidents"] == "azal-plane-crash;relations-general"
    assert rows[0]["outlet"] == "RIA Novosti" and rows[0]["side"] == "russia" and rows[0]["language"] == "ru"


async def test_long_answers_are_split_within_telegrams_limit(live):
    replies = await live.send(new_chat(), "/views")
    assert len(replies) >= 2  # the fake server refuses anything over 4096 UTF-16 units
    assert replies[-1].reply_markup is not None  # the buttons come with the last part
    for view in knowledge().views:
        assert view.summary.en in plain(replies)


async def test_overlong_and_binary_input_get_a_clear_message(live):
    [reply] = await live.send(new_chat(), "/search " + "baku " * 300)
    assert "too long" in reply.plain_text
    [reply] = await live.send(new_chat(), "/search \x00\x01\x02 baku")
    assert "binary" in reply.plain_text


async def test_a_failing_reply_is_logged_and_the_user_gets_an_apology(live, caplog):
    chat = new_chat()
    live.server.inject(Fault.server_error(), method="sendMessage", chat_id=chat)
    with caplog.at_level(logging.ERROR, logger="bot.handlers.errors"):
        replies = await live.send(chat, "/help")
    assert [r.plain_text for r in replies] == [
        tr("Sorry, something went wrong. The team has been notified; please try again.", "en")
    ]
    assert any("failed" in record.getMessage() for record in caplog.records)


async def test_a_user_who_blocks_the_bot_is_marked_inactive_and_start_brings_them_back(live):
    chat = new_chat()
    engine = live.telegram.deps.engine
    await live.send(chat, "/subscribe")
    live.server.block_chat(chat)
    await live.send(chat, "/help")
    assert (await in_session(engine, get_subscriber, chat)).active is False
    live.server.unblock_chat(chat)
    await live.send(chat, "/start")
    subscriber = await in_session(engine, get_subscriber, chat)
    assert subscriber.active and subscriber.subscribed


# ------------------------------------------------------------------------------------------ feed admin


async def test_an_admin_adds_a_feed_and_private_addresses_are_refused(live):
    chat = new_chat()
    [refused] = await live.send(chat, "/addfeed http://127.0.0.1:8080/rss apa", user_id=ADMIN_ID)
    assert "Refused" in refused.plain_text and "loopback" in refused.plain_text
    [refused] = await live.send(chat, "/addfeed file:///etc/passwd apa", user_id=ADMIN_ID)
    assert "Refused" in refused.plain_text
    [unknown] = await live.send(chat, "/addfeed http://93.184.216.34/rss APA News", user_id=ADMIN_ID)
    assert "Unknown outlet" in unknown.plain_text
    [added] = await live.send(chat, "/addfeed http://93.184.216.34/rss apa", user_id=ADMIN_ID)
    assert added.plain_text.startswith("Feed #") and "APA" in added.plain_text
    [again] = await live.send(chat, "/addfeed http://93.184.216.34/rss apa", user_id=ADMIN_ID)
    assert again.plain_text == "That feed is already on the list."
    feeds = plain(await live.send(chat, "/feeds", user_id=ADMIN_ID))
    assert "http://93.184.216.34/rss" in feeds


async def test_an_admin_disables_and_enables_a_feed(live):
    chat = new_chat()
    with session_scope(live.telegram.deps.engine) as session:
        feed = session.exec(select(Feed).where(Feed.url.contains("ria.ru"))).first()
    [disabled] = await live.send(chat, f"/disablefeed {feed.id} moved to a new address", user_id=ADMIN_ID)
    assert disabled.plain_text == f"Feed #{feed.id} disabled: {feed.url}"
    feeds = await live.send(chat, "/feeds", user_id=ADMIN_ID)
    assert "moved to a new address" in plain(feeds)
    [enabled] = await live.send(chat, f"/enablefeed {feed.id}", user_id=ADMIN_ID, language_code="ru")
    assert enabled.plain_text == f"Лента #{feed.id} включена: {feed.url}"
    [missing] = await live.send(chat, "/enablefeed 999999", user_id=ADMIN_ID)
    assert missing.plain_text == "There is no feed #999999. /feeds lists them."
    [usage] = await live.send(chat, "/disablefeed twelve", user_id=ADMIN_ID)
    assert usage.plain_text.startswith("Usage: /disablefeed")
