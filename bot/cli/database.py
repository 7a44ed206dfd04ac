"""`crisisdesk db …`: schema migrations."""

import typer

from bot.cli.common import console, runtime
from storage import migrate

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Migrate the database to the newest schema (also done at start-up)."""
    with runtime() as rt:
        migrate.upgrade(rt.engine, revision)
        console.print(f"database at revision {migrate.current_revision(rt.engine)}")


@db_app.command("current")
def current() -> None:
    """Show the database's schema revision and the newest one available."""
    with runtime() as rt:
        console.print(f"current: {migrate.current_revision(rt.engine)}  head: {migrate.head_revision()}")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
