"""A sender in a process of its own, for the test that kills one mid-broadcast with SIGKILL.

python -m tests.support.broadcast_child DATABASE_URL API_URL RATE MAX_IN_FLIGHT
"""

import asyncio
import sys

from bot.delivery.broadcaster import Broadcaster, SenderConfig
from storage.columns import utcnow
from storage.engine import create_db_engine
from tests.support.telegram_client import close_bot, make_bot


async def main(database_url: str, api_url: str, rate: float, max_in_flight: int) -> None:
    bot = make_bot(api_url)
    config = SenderConfig(rate_per_s=rate, max_in_flight=max_in_flight, worker_id="child")
    sender = Broadcaster(bot, create_db_engine(database_url), config=config, clock=utcnow)
    print("sending", flush=True)
    await sender.drain()
    await sender.close()
    await close_bot(bot)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])))
