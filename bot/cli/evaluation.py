"""`crisisdesk eval`: precision and recall of the taxonomy queries on a labelled file."""

from pathlib import Path

import typer

from bot.cli.common import fail, runtime
from feeds.matching import LabelledDataError, evaluate, read_labelled_jsonl, render_report


def eval_command(
    path: Path = typer.Argument(..., help='JSON Lines of {"id", "lang", "title", "summary", "labels"}.'),
    errors: bool = typer.Option(False, "--errors", help="List every false positive and false negative."),
) -> None:
    """Per label precision, recall, F1 and support; micro-F1 per language; macro-F1 last."""
    with runtime() as rt:
        try:
            records = read_labelled_jsonl(path)
        except LabelledDataError as error:
            fail(str(error))
        except OSError as error:
            fail(f"cannot read {path}: {error.strerror}")
        typer.echo(render_report(evaluate(rt.matcher, records), errors=errors))


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)
