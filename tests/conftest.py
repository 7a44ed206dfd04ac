"""Shared pytest fixtures."""

from collections.abc import AsyncIterator

import pytest

from tests.support.fake_telegram import FakeTelegramServer


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegramServer]:
    """A started fake Telegram Bot API server on a free loopback port."""
    async with FakeTelegramServer() as server:
        yield server
