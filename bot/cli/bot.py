"""`crisisdesk ask` and `crisisdesk console`: the bot's handlers in this process, replies as plain text."""

import asyncio
import logging
from pathlib import Path

import typer

from bot.cli.common import console, fail, runtime
from bot.i18n import LANGUAGES
from bot.telegram.dispatcher import BotDeps
from bot.telegram.offline import OfflineBot, render

LangOption = typer.Option(None, "--lang", help="Your Telegram language: en, ru or az.")
UserOption = typer.Option(1, "--user-id", help="Telegram user id to act as (ADMIN_IDS ones are admins).")
OutOption = typer.Option(Path("."), "--out", help="Where files the bot sends are saved.")


def _prepare(lang: str | None) -> str | None:
    if lang is not None and lang not in LANGUAGES:
        fail(f"--lang must be one of {', '.join(LANGUAGES)}", code=2)
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)  # one line per update is service chatter
    return lang


def ask(
    message: str = typer.Argument(..., help='What to send, e.g. "/incident azal".'),
    lang: str | None = LangOption,
    user_id: int = UserOption,
    out: Path = OutOption,
) -> None:
    """Send one message to the bot and print its reply (no Telegram needed)."""
    lang = _prepare(lang)
    with runtime() as rt:
        rt.prepare()

        async def main() -> str:
            offline = OfflineBot(BotDeps(rt.engine, rt.settings, rt.knowledge))
            return render(await offline.send(message, user_id=user_id, language_code=lang), out)

        typer.echo(asyncio.run(main()))


def console_command(lang: str | None = LangOption, user_id: int = UserOption, out: Path = OutOption) -> None:
    """Talk to the bot at a prompt; a number presses that button of the last reply; Ctrl+D quits."""
    lang = _prepare(lang)
    with runtime() as rt:
        rt.prepare()
        try:
            asyncio.run(_converse(BotDeps(rt.engine, rt.settings, rt.knowledge), lang, user_id, out))
        except KeyboardInterrupt:
            typer.echo()


async def _converse(deps: BotDeps, lang: str | None, user_id: int, out: Path) -> None:
    offline = OfflineBot(deps)
    buttons: list[tuple[int, str]] = []  # (message id, callback data) of the last reply's buttons
    console.print(
        "crisisdesk console: type a command such as /help; a number presses a button; Ctrl+D quits."
    )
    while True:
        try:
            line = (await asyncio.to_thread(input, "> ")).strip()
        except EOFError:
            return
        if not line:
            continue
        if line.isdigit() and 1 <= int(line) <= len(buttons):
            message_id, data = buttons[int(line) - 1]
            replies = await offline.press(message_id, data, user_id=user_id, language_code=lang)
        else:
            replies = await offline.send(line, user_id=user_id, language_code=lang)
        typer.echo(render(replies, out))
        pressable = [r for r in replies if r.message_id is not None and r.buttons()]
        if pressable:
            last = pressable[-1]
            buttons = [(last.message_id, data) for _, data in last.buttons()]


def register(app: typer.Typer) -> None:
    app.command("ask")(ask)
    app.command("console")(console_command)
