"""`crisisdesk seeds …` and `crisisdesk outlets …`: the knowledge base."""

import typer
from rich.table import Table

from bot.cli.common import JsonOption, console, print_json, runtime
from bot.seeding import SeedsInvalid, load_seeds
from feeds.matching import check_examples
from storage.outlets import list_outlets
from storage.session import session_scope

seeds_app = typer.Typer(help="The seed knowledge base (seeds/*.yaml).", no_args_is_help=True)
outlets_app = typer.Typer(help="Outlets of both sides and international.", no_args_is_help=True)


@seeds_app.command("check")
def check() -> None:
    """Validate every seed file and query, and run the queries' example headlines.

    Each problem is one line naming the file and the field (and, for a query, the position).
    """
    with runtime() as rt:
        knowledge = rt.knowledge
        if failures := check_examples(rt.taxonomy, rt.matcher):
            raise SeedsInvalid(failures)
        console.print(
            f"seeds OK: {len(knowledge.incidents)} incidents, {len(knowledge.outlets)} outlets, "
            f"{len(knowledge.timeline)} timeline events, {len(knowledge.people)} people, "
            f"{len(knowledge.views)} views, {len(rt.taxonomy.incidents)} queries with their examples"
        )


@seeds_app.command("load")
def load() -> None:
    """Load the seeds into the database (idempotent; also done at start-up)."""
    with runtime() as rt:
        knowledge = rt.knowledge
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
