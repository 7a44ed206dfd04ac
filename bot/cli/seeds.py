"""`crisisdesk seeds …` and `crisisdesk outlets …`: the knowledge base."""

import typer
from rich.table import Table

from bot.cli.common import JsonOption, console, print_json, runtime
from bot.knowledge import KnowledgeError
from bot.seeding import load_seeds
from storage.outlets import list_outlets
from storage.session import session_scope

seeds_app = typer.Typer(help="The seed knowledge base (seeds/*.yaml).", no_args_is_help=True)
outlets_app = typer.Typer(help="Outlets of both sides and international.", no_args_is_help=True)


def _report_errors(errors: list[str]) -> None:
    for line in errors:
        typer.echo(line, err=True)
    typer.echo(f"{len(errors)} problem(s) in the seeds", err=True)
    raise typer.Exit(1)


@seeds_app.command("check")
def check() -> None:
    """Validate every seed file; each problem is one line naming the file and the field."""
    with runtime() as rt:
        try:
            knowledge = rt.knowledge
        except KnowledgeError as error:
            _report_errors([str(line) for line in error.errors])
        console.print(
            f"seeds OK: {len(knowledge.incidents)} incidents, {len(knowledge.outlets)} outlets, "
            f"{len(knowledge.timeline)} timeline events, {len(knowledge.people)} people, "
            f"{len(knowledge.views)} views"
        )


@seeds_app.command("load")
def load() -> None:
    """Load the seeds into the database (idempotent; also done at start-up)."""
    with runtime() as rt:
        try:
            knowledge = rt.knowledge
        except KnowledgeError as error:
            _report_errors([str(line) for line in error.errors])
        rt.migrate()
        console.print(load_seeds(rt.engine, knowledge).summary())


@outlets_app.command("list")
def list_command(as_json: bool = JsonOption) -> None:
    """Each outlet's slug, name, side, languages and feeds."""
    with runtime() as rt:
        rt.prepare()
        with session_scope(rt.engine) as session:
            rows = [
                {
                    "slug": outlet.slug,
                    "name": outlet.name,
                    "side": outlet.side,
                    "country": outlet.country,
                    "languages": outlet.languages,
                    "feeds": [{"id": feed.id, "url": feed.url, "status": feed.status} for feed in feeds],
                }
                for outlet, feeds in list_outlets(session)
            ]
    if as_json:
        print_json(rows)
        return
    table = Table("slug", "name", "side", "languages", "feeds")
    for row in rows:
        table.add_row(
            row["slug"], row["name"], row["side"], ", ".join(row["languages"]), str(len(row["feeds"]))
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(seeds_app, name="seeds")
    app.add_typer(outlets_app, name="outlets")
