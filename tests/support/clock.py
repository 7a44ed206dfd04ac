"""A clock tests move by hand: the delivery code reads time and sleeps only through it."""

import asyncio
from datetime import datetime, timedelta


class ManualClock:
    """`clock()` is the current time; `await clock.sleep(s)` moves it on instead of waiting."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: float | timedelta) -> datetime:
        self.now += by if isinstance(by, timedelta) else timedelta(seconds=by)
        return self.now

    def set(self, when: datetime) -> None:
        self.now = max(self.now, when)

    async def sleep(self, seconds: float) -> None:
        """Let ready tasks run first (a sleeper woken early must not have moved time), then jump."""
        await asyncio.sleep(0)
        self.advance(max(0.0, seconds))
        await asyncio.sleep(0)
