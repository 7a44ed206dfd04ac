"""Read seeds/{incidents,outlets,background}.yaml into a `Knowledge`, reporting every problem as one line."""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bot.knowledge.schema import (
    BACKGROUND_YAML,
    INCIDENTS_YAML,
    OUTLETS_YAML,
    Background,
    IncidentsFile,
    Knowledge,
    OutletsFile,
    find_issues,
    format_loc,
)

SEED_FILES: dict[str, type[BaseModel]] = {
    INCIDENTS_YAML: IncidentsFile,
    OUTLETS_YAML: OutletsFile,
    BACKGROUND_YAML: Background,
}


@dataclass(frozen=True)
class ErrorLine:
    """One problem in one seed file: `path` points into the YAML data, `line`/`column` into its text."""

    file: str
    path: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.file}:{self.line}:{self.column}: {self.message}"
        return f"{self.file}: {self.path}: {self.message}" if self.path else f"{self.file}: {self.message}"


class KnowledgeError(Exception):
    """The seed files do not form a valid knowledge base; `errors` lists every problem found."""

    def __init__(self, errors: list[ErrorLine]) -> None:
        self.errors = errors
        super().__init__("\n".join(map(str, errors)))


# libyaml's parser is several times faster; the pure-Python one gives the same marks where it is missing.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StrictYamlLoader(_SafeLoader):
    """Safe loader that rejects a repeated mapping key instead of silently keeping the last value."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                break  # the base class reports unhashable keys with their position
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def describe(error: ErrorDetails) -> str:
    """Say what was expected, in words a seed editor can act on."""
    kind, got = error["type"], error.get("input")
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field (not in the schema; check the spelling)"
    if kind == "literal_error":
        options = re.findall(r"'([^']*)'", error["ctx"]["expected"])
        return f"expected one of {', '.join(options)} (got {_shown(got)})"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind == "string_too_short":
        return "expected non-empty text"
    if kind in ("model_type", "dict_type"):
        return f"expected a mapping of fields (got {_shown(got)})"
    message = error["msg"]
    return f"{message[0].lower()}{message[1:]} (got {_shown(got)})"


def _read_yaml(path: Path) -> tuple[Any, ErrorLine | None]:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=StrictYamlLoader), None
    except OSError as exc:
        return None, ErrorLine(str(path), "", f"cannot read the file: {exc.strerror}")
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = f"{exc.problem} ({exc.context})" if exc.context else str(exc.problem)
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        return None, ErrorLine(str(path), "", problem, line, column)
    except yaml.YAMLError as exc:
        return None, ErrorLine(str(path), "", f"invalid YAML: {exc}")


def load_knowledge(seeds_dir: Path) -> Knowledge:
    """Validate the three seed files (never taxonomy.yaml) and return the knowledge base.

    Raises KnowledgeError listing every problem: syntax errors, schema errors per file, and, once each
    file is valid on its own, the cross-file problems (unknown references, duplicates, missing incidents).
    """
    errors: list[ErrorLine] = []
    parsed: dict[str, Any] = {}
    for name, model in SEED_FILES.items():
        path = seeds_dir / name
        data, error = _read_yaml(path)
        if error:
            errors.append(error)
            continue
        try:
            parsed[name] = model.model_validate(data)
        except ValidationError as exc:
            errors += [ErrorLine(str(path), format_loc(e["loc"]), describe(e)) for e in exc.errors()]
    if errors:
        raise KnowledgeError(errors)
    incidents, outlets, background = (parsed[name] for name in SEED_FILES)
    if issues := find_issues(incidents.incidents, outlets.outlets, background):
        raise KnowledgeError(
            [ErrorLine(str(seeds_dir / i.file), format_loc(i.loc), i.message) for i in issues]
        )
    return Knowledge(incidents=incidents.incidents, outlets=outlets.outlets, background=background)
