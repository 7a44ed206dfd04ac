"""Idempotent upserts used by the seed loader: compare, then write only what changed."""

from collections.abc import Mapping
from typing import Any

from sqlmodel import SQLModel


def apply_changes(row: SQLModel, values: Mapping[str, Any]) -> bool:
    """Set each differing attribute of `row`; return whether anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed
