"""The sample feeds served on loopback, each rendered with dates relative to the demo's start."""

from datetime import datetime

from aiohttp import web

from bot.demo.sample_feeds import SampleFeed, render_feed


class SampleFeedServer:
    def __init__(self, feeds: list[SampleFeed], now: datetime, host: str = "127.0.0.1") -> None:
        self._documents = {feed.path: render_feed(feed, now) for feed in feeds}
        self._host = host
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def _serve(self, request: web.Request) -> web.Response:
        document = self._documents.get(request.path)
        if document is None:
            raise web.HTTPNotFound()
        body, content_type = document
        return web.Response(body=body, headers={"Content-Type": content_type})

    async def __aenter__(self) -> "SampleFeedServer":
        app = web.Application()
        app.router.add_get("/{name}", self._serve)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.base_url = f"http://{self._host}:{port}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, feed: SampleFeed) -> str:
        return f"{self.base_url}{feed.path}"
