"""`crisisdesk demo`: the product end to end with no network and no token."""

import asyncio
import tempfile
from pathlib import Path

import typer

from bot.cli.common import console
from bot.demo.runner import run_demo
from bot.logging_setup import configure_logging


def demo(
    keep: Path | None = typer.Option(
        None, "--keep", help="Write the database and files here and keep them (default: a temporary folder)."
    ),
) -> None:
    """Serve sample feeds on loopback, poll them into a fresh SQLite file, show what a subscriber gets."""
    configure_logging("ERROR")
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        _show(keep)
        return
    with tempfile.TemporaryDirectory(prefix="crisisdesk-demo-") as folder:
        _show(Path(folder))


def _show(workdir: Path) -> None:
    console.rule("crisisdesk demo: sample feeds of both sides, polled through the real pipeline")
    cycle, stories, steps = asyncio.run(run_demo(workdir))
    console.print(
        f"polled {len(cycle.feeds)} feeds ({cycle.failed} failed): {cycle.new_items} new items, "
        f"{cycle.matched_items} tagged with an incident, grouped into {stories} stories",
        highlight=False,
    )
    for step in steps:
        console.rule(f"{step.caption}: {step.message}")
        console.print(step.reply, markup=False, highlight=False)
    console.rule()
    console.print(
        f"files are in {workdir}" + ("" if "crisisdesk-demo-" not in workdir.name else " (removed on exit)")
    )


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
