"""Storage calls from async code: each runs in a worker thread inside one short transaction."""

import asyncio
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session

from storage.session import session_scope

P = ParamSpec("P")
R = TypeVar("R")


async def in_session(
    engine: Engine, function: Callable[Concatenate[Session, P], R], /, *args: P.args, **kwargs: P.kwargs
) -> R:
    """`function(session, *args, **kwargs)` in a thread, committed on success."""

    def run() -> R:
        with session_scope(engine) as session:
            return function(session, *args, **kwargs)

    return await asyncio.to_thread(run)
