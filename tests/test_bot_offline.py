"""The bot in process: fuzzed command arguments and buttons, and `crisisdesk ask` / `console`.

The in-memory session checks every message with the fake server's Telegram HTML parser, so a reply
Telegram would refuse fails here as it would in production.
"""

import asyncio
import logging
from datetime import UTC, datetime

import pytest
from aiogram.types import Chat, Message, Sticker, Update, User
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from bot.cli import app
from bot.commands import COMMANDS
from bot.telegram.offline import OfflineBot, as_plain_text
from feeds.ssrf import AddressGuard
from tests.support.bot_harness import ADMIN_ID, deps, knowledge, seeded_engine
from tests.support.fake_telegram import parse_telegram_html

runner = CliRunner()


@pytest.fixture(scope="module")
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def offline(sqlite_template, tmp_path_factory):
    engine = seeded_engine(sqlite_template, tmp_path_factory.mktemp("offline") / "crisisdesk.db")
    yield OfflineBot(deps(engine), check_text=parse_telegram_html)
    engine.dispose()


TRICKY = st.sampled_from(
    [
        "<b>",
        "</a>",
        "&",
        "&amp;",
        '"',
        '"unclosed',
        "*",
        "a*",
        "AND",
        "OR",
        "NOT",
        "NEAR/0",
        "NEAR/3",
        "(",
        ")",
        "-1",
        "0",
        "99999999999999999999",
        "azal",
        "Алиев",
        "Əliyev",
        "incident_",
        "who_",
        "https://ria.ru/20250702/azal.html",
        "@russia",
        "\u200b",
        "🇦🇿",
        "\n",
    ]
)
ARGUMENTS = st.lists(
    TRICKY | st.text(st.characters(exclude_categories=("Cs",)), max_size=40), max_size=6
).map(" ".join)
COMMAND_NAMES = st.sampled_from([command.name for command in COMMANDS] + ["start", "unknown"])


def errors_logged(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


async def check_without_dns(guard: AddressGuard, url: str) -> None:
    """What /addfeed checks, minus the lookup: fuzzed host names must not leave the machine."""
    guard.check_url(url)
    raise OSError("no name resolution in tests")


def test_fuzzed_command_arguments_never_reach_the_errors_handler(offline, loop, caplog, monkeypatch):
    monkeypatch.setattr(AddressGuard, "check_url_resolved", check_without_dns)

    @given(
        command=COMMAND_NAMES,
        arguments=ARGUMENTS,
        admin=st.booleans(),
        lang=st.sampled_from(["en", "ru", "az"]),
    )
    @settings(max_examples=250, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    def answers(command, arguments, admin, lang):
        caplog.clear()
        text = f"/{command} {arguments}"
        user = ADMIN_ID if admin else 4242
        replies = loop.run_until_complete(offline.send(text, user_id=user, language_code=lang))
        assert replies, text
        assert errors_logged(caplog) == [], text

    with caplog.at_level(logging.ERROR):
        answers()


FORGED_BUTTONS = st.sampled_from(
    [
        "lang:xx",
        "set:tz:0:999",
        "set:time:0:2561",
        "set:inc:0:no-such-incident",
        "set:alerts:0:maybe",
        "set:nowhere:3:",
        "inc:no-such-incident:card",
        "inc:azal-plane-crash:nonsense",
        "who:nobody",
        "tl:-5",
        "tl:99999",
        "sp:3",
        "noop",
        "garbage",
        "x" * 64,
    ]
)


def test_forged_or_stale_buttons_get_an_answer_not_an_error(offline, loop, caplog):
    [menu] = loop.run_until_complete(offline.send("/settings", user_id=77))

    @given(data=FORGED_BUTTONS)
    @settings(max_examples=40, deadline=None, database=None)
    def pressed(data):
        caplog.clear()
        loop.run_until_complete(offline.press(menu.message_id, data, user_id=77))
        assert errors_logged(caplog) == [], data

    with caplog.at_level(logging.ERROR):
        pressed()
    replies = loop.run_until_complete(offline.press(menu.message_id, "set:tz:0:999", user_id=77))
    assert [reply.text for reply in replies] == [
        "This button no longer works. Please send the command again."
    ]


def test_a_sticker_gets_told_that_only_text_is_read(offline, loop):
    sticker = Sticker(
        file_id="s",
        file_unique_id="s",
        type="regular",
        width=512,
        height=512,
        is_animated=False,
        is_video=False,
    )
    message = Message(
        message_id=1,
        date=datetime.now(UTC),
        chat=Chat(id=88, type="private"),
        from_user=User(id=88, is_bot=False, first_name="Sticker fan"),
        sticker=sticker,
    )
    before = len(offline.session.replies)
    loop.run_until_complete(
        offline.dispatcher.feed_update(offline.bot, Update(update_id=10**6, message=message))
    )
    assert [reply.text for reply in offline.session.replies[before:]] == [
        "I only read text messages. /help lists the commands."
    ]


def test_a_search_page_button_keeps_working_from_the_query_in_the_message(offline, loop):
    [first] = loop.run_until_complete(offline.send("/search baku", user_id=99))
    [second] = loop.run_until_complete(offline.press(first.message_id, "sp:1", user_id=99))
    assert second.kind == "edit" and "9–16" in as_plain_text(second.text)
    assert as_plain_text(second.text).startswith("🔎 baku")


def test_as_plain_text_keeps_link_targets():
    assert (
        as_plain_text('<b>x</b> <a href="https://a.az/?q=1&amp;b=2">A &amp; B</a>')
        == "x A & B (https://a.az/?q=1&b=2)"
    )


# ------------------------------------------------------------------------------------- the CLI commands


@pytest.fixture
def cli_database(sqlite_template, tmp_path, monkeypatch):
    engine = seeded_engine(sqlite_template, tmp_path / "cli.db")
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("ADMIN_IDS", str(ADMIN_ID))
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    return tmp_path


def test_ask_prints_the_reply_as_plain_text_with_numbered_buttons(cli_database):
    result = runner.invoke(app, ["ask", "--lang", "ru", "/incident azal"])
    assert result.exit_code == 0, result.output
    azal = knowledge().incident("azal-plane-crash")
    assert azal.title.ru in result.output and "Главное" in result.output
    assert "[1] 🕒 Хронология" in result.output
    assert "<b>" not in result.output


def test_ask_saves_files_and_prints_their_path(cli_database):
    out = cli_database / "files"
    result = runner.invoke(app, ["ask", "--out", str(out), "/export azal 30"])
    assert result.exit_code == 0, result.output
    [saved] = out.iterdir()
    assert str(saved) in result.output and saved.read_bytes().decode("utf-8-sig").startswith("outlet,side,")


def test_ask_as_an_admin_and_with_a_wrong_language(cli_database):
    result = runner.invoke(app, ["ask", "--user-id", str(ADMIN_ID), "/stats"])
    assert result.exit_code == 0 and "Statistics" in result.output
    result = runner.invoke(app, ["ask", "--lang", "de", "/help"])
    assert result.exit_code == 2 and "--lang" in result.output


def test_console_converses_and_presses_buttons_by_number(cli_database):
    result = runner.invoke(app, ["console"], input="/settings\n2\n/who Putin\n")
    assert result.exit_code == 0, result.output
    assert "Your time zone" in result.output and "Europe/Moscow" in result.output
    assert "Vladimir Putin" in result.output
