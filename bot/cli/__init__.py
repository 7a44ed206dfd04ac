"""The `crisisdesk` command: a thin layer over the library API, one module per concern."""

import typer

from bot.cli import bot, database, demo, digest, evaluation, feeds, retag, seeds, service

app = typer.Typer(
    name="crisisdesk",
    help="Media monitoring of the Russia–Azerbaijan crisis: feed tracker and Telegram bot.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

for module in (database, seeds, feeds, evaluation, retag, digest, bot, demo, service):
    module.register(app)


def main() -> None:
    app()
