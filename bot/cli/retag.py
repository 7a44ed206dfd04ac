"""`crisisdesk retag`: re-run the taxonomy over the stored archive."""

from datetime import UTC, datetime

import typer
from rich.progress import Progress

from bot.cli.common import console, fail, runtime
from feeds.retag import count_to_retag, retag
from feeds.tagging import IncidentTagger


def retag_command(
    since: str = typer.Option(
        None, "--since", help="Only items published on or after this date (YYYY-MM-DD)."
    ),
) -> None:
    """Re-tag stored items after the taxonomy queries changed (matches are replaced, not added)."""
    start = None
    if since is not None:
        try:
            start = datetime.fromisoformat(since).replace(tzinfo=UTC)
        except ValueError:
            fail(f"--since: expected a date YYYY-MM-DD (got {since!r})")
    with runtime() as rt:
        rt.prepare()
        total = count_to_retag(rt.engine, start)
        with Progress(console=console, transient=True, disable=not console.is_terminal) as progress:
            task = progress.add_task("re-tagging", total=total)
            report = retag(rt.engine, IncidentTagger(rt.matcher), start, lambda n: progress.advance(task, n))
    console.print(f"re-tagged {report.items} items: {report.tagged} tagged, {report.matches} matches")


def register(app: typer.Typer) -> None:
    app.command("retag")(retag_command)
