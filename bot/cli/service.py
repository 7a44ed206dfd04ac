"""`crisisdesk run`: the service."""

import asyncio

import typer

from bot.cli.common import runtime
from bot.service import install_stop_signals, run_service


def run() -> None:
    """Run the service: migrate, load the seeds, poll feeds, and serve the bot if BOT_TOKEN is set."""

    async def main() -> None:
        stop = asyncio.Event()
        install_stop_signals(stop)
        with runtime() as rt:
            await run_service(rt, stop)

    asyncio.run(main())


def register(app: typer.Typer) -> None:
    app.command("run")(run)
