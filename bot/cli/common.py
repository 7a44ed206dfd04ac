"""What every CLI command shares: settings errors as one line, JSON output, the runtime."""

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.console import Console

from bot.logging_setup import configure_logging
from bot.runtime import Runtime
from bot.seeding import SeedsInvalid
from bot.settings import ConfigurationError, load_settings

console = Console(soft_wrap=True)
errors = Console(stderr=True)

JsonOption = typer.Option(False, "--json", help="Print JSON instead of a table.")


def fail(message: str, code: int = 1) -> NoReturn:
    errors.print(f"[red]error:[/red] {message}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def runtime() -> Iterator[Runtime]:
    """Settings validated (a wrong value exits 2 with one line), logging set up, engine ready."""
    try:
        settings = load_settings()
    except ConfigurationError as error:
        print(f"crisisdesk: {error}", file=sys.stderr)
        raise typer.Exit(2) from None
    configure_logging(settings.log_level, settings.log_format, secrets=[settings.token or ""])
    rt = Runtime(settings)
    try:
        yield rt
    except SeedsInvalid as error:
        for line in error.problems:
            print(line, file=sys.stderr)
        print(f"{len(error.problems)} problem(s) in the seeds ({settings.seeds_dir})", file=sys.stderr)
        raise typer.Exit(1) from None
    finally:
        rt.close()


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
