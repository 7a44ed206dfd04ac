"""A real HTTP server on loopback for feed tests: fixture feeds, conditional GET, hostile behaviours.

Every route is a handler `(request) -> response`; helpers below build the usual ones. The server
records each request (path, headers, time) so tests can assert what the fetcher actually sent.
"""

import asyncio
import contextlib
import functools
import gzip
import hashlib
import threading
import time
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import brotli
from aiohttp import web

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class SeenRequest:
    host: str
    path: str
    headers: dict[str, str]
    at: float


@dataclass
class FeedServer:
    """Serves `routes` on 127.0.0.1 (or several loopback addresses) until stopped."""

    hosts: tuple[str, ...] = ("127.0.0.1",)
    routes: dict[str, Handler] = field(default_factory=dict)
    seen: list[SeenRequest] = field(default_factory=list)
    ports: dict[str, int] = field(default_factory=dict)
    _runner: web.AppRunner | None = None

    def url(self, path: str, host: str | None = None) -> str:
        host = host or self.hosts[0]
        return f"http://{host}:{self.ports[host]}{path}"

    def hits(self) -> Counter[str]:
        return Counter(request.path for request in self.seen)

    async def start(self) -> "FeedServer":
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        for host in self.hosts:
            site = web.TCPSite(self._runner, host, 0)
            await site.start()
            self.ports[host] = site._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> "FeedServer":
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path_qs
        self.seen.append(SeenRequest(request.host, path, dict(request.headers), time.monotonic()))
        handler = self.routes.get(path) or self.routes.get(request.path)
        if handler is None:
            return web.Response(status=404, text="no such feed")
        return await handler(request)


# --- well-behaved routes ---------------------------------------------------------------------------


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def feed(
    body: bytes,
    content_type: str = "application/rss+xml; charset=utf-8",
    *,
    etag: bool = True,
    last_modified: str | None = "Mon, 30 Jun 2025 12:00:00 GMT",
    headers: dict[str, str] | None = None,
    encoding: str | None = None,
) -> Handler:
    """A feed with ETag/Last-Modified answering conditional requests with 304, optionally compressed."""
    tag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
    payload = body
    if encoding == "gzip":
        payload = gzip.compress(body)
    elif encoding == "br":
        payload = brotli.compress(body)

    async def handler(request: web.Request) -> web.StreamResponse:
        validators = dict(headers or {})
        if etag:
            validators["ETag"] = tag
        if last_modified:
            validators["Last-Modified"] = last_modified
        if (etag and request.headers.get("If-None-Match") == tag) or (
            not etag and last_modified and request.headers.get("If-Modified-Since") == last_modified
        ):
            return web.Response(status=304, headers=validators)
        if encoding:
            validators["Content-Encoding"] = encoding
        return web.Response(body=payload, headers={"Content-Type": content_type, **validators})

    return handler


# --- hostile routes --------------------------------------------------------------------------------


def status(code: int, headers: dict[str, str] | None = None, text: str = "") -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=code, headers=headers, text=text or None)

    return handler


def redirect(location: str, code: int = 301) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=code, headers={"Location": location})

    return handler


def trickle(every_s: float = 0.2, total_chunks: int = 1000) -> Handler:
    """Headers at once, then one byte of a feed at a time: never finishes within the timeout."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        try:
            for _ in range(total_chunks):
                await response.write(b" ")
                await asyncio.sleep(every_s)
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        return response

    return handler


def huge(size: int, *, declare_length: bool) -> Handler:
    """A body of `size` bytes, with or without Content-Length (then only streaming can stop it)."""
    block = b"<!-- padding -->" * 4096

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        if declare_length:
            response.content_length = size
        await response.prepare(request)
        sent = 0
        try:
            while sent < size:
                part = block[: size - sent]
                await response.write(part)
                sent += len(part)
        except ConnectionResetError:
            pass
        return response

    return handler


@functools.cache
def _bomb(encoding: str, inflated: int) -> bytes:
    if encoding == "br":
        return brotli.compress(b"\0" * inflated, quality=5)
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = b"\0" * (1024 * 1024)
    parts = [compressor.compress(zeros) for _ in range(inflated // len(zeros))]
    return b"".join(parts) + compressor.flush()


def compression_bomb(encoding: str, inflated: int = 64 * 1024 * 1024) -> Handler:
    """A small compressed body that inflates to `inflated` bytes of zeros."""
    payload = _bomb(encoding, inflated)

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=payload, headers={"Content-Type": "application/rss+xml", "Content-Encoding": encoding}
        )

    return handler


@contextlib.contextmanager
def serving_in_thread(server: FeedServer) -> Iterator[FeedServer]:
    """Run `server` on its own event loop in a thread, for code that calls `asyncio.run` itself."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="feed-server", daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(timeout=10)
    try:
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
