"""The Dispatcher: every router, the per-update middleware and the injected dependencies."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiogram import Dispatcher, Router
from aiogram.utils.i18n import I18n
from sqlalchemy import Engine

from bot.handlers import (
    admin,
    archive,
    background,
    broadcast,
    digest,
    errors,
    fallback,
    guard,
    outlets,
    preferences,
    search,
    start,
    subscription,
)
from bot.i18n import create_i18n
from bot.knowledge import Knowledge
from bot.settings import Settings
from bot.telegram.middlewares import SubscriberI18nMiddleware
from storage.columns import utcnow

# Order matters: the guard sees every message first, the fallback answers what nobody else took.
ROUTERS = (
    errors.router,
    guard.router,
    start.router,
    subscription.router,
    preferences.router,
    background.router,
    outlets.router,
    archive.router,
    search.router,
    admin.router,
    digest.router,
    broadcast.router,
    fallback.router,
)


@dataclass
class BotDeps:
    """What handlers receive as keyword arguments (through the dispatcher's workflow data)."""

    engine: Engine
    settings: Settings
    knowledge: Knowledge
    i18n: I18n = field(default_factory=create_i18n)
    clock: Callable[[], datetime] = utcnow  # aware UTC now; tests pass a fixed one
    scheduler: Any = None  # the service's APScheduler, for handlers that schedule work
    broadcaster: Any = None  # the delivery part's sender


def build_dispatcher(deps: BotDeps) -> Dispatcher:
    dispatcher = Dispatcher(
        engine=deps.engine,
        settings=deps.settings,
        knowledge=deps.knowledge,
        i18n=deps.i18n,
        clock=deps.clock,
        scheduler=deps.scheduler,
        broadcaster=deps.broadcaster,
    )
    SubscriberI18nMiddleware(deps.i18n).setup(dispatcher, exclude={"my_chat_member", "chat_member"})
    for router in ROUTERS:
        _take_over(router)
        dispatcher.include_router(router)
    return dispatcher


def _take_over(router: Router) -> None:
    """Detach a module-level router from a dispatcher built earlier in this process.

    aiogram lets a router have one parent; a process that builds a second dispatcher (the test
    suite, `crisisdesk console` after `ask`) hands the routers over to the newest one.
    """
    previous = router.parent_router
    if previous is not None:
        previous.sub_routers.remove(router)
        router._parent_router = None
