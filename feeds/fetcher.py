"""HTTP for feeds: conditional GET, redirects followed by hand, bodies capped, outlets treated politely.

Every hop is SSRF-checked (`feeds.ssrf`); bodies are decompressed here, incrementally and under the
size cap, so a gzip or brotli bomb is refused instead of inflated. `Fetcher.fetch` never raises for
anything a server can do: the outcome and its reason come back in a `FetchResult`.
"""

import asyncio
import math
import time
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urljoin

import aiohttp
import brotli

from feeds.ssrf import AddressGuard, BlockedURL, GuardedResolver

MIB = 1024 * 1024
HOMEPAGE = "https://github.com/crisisdesk/crisisdesk"
USER_AGENT = f"crisisdesk/0.1 (feed monitor; +{HOMEPAGE})"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
REDIRECTS = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})
_CHUNK = 64 * 1024

OK = "ok"
NOT_MODIFIED = "not_modified"
ERROR = "error"


@dataclass(frozen=True)
class FetchLimits:
    connect_timeout_s: float = 10.0
    total_timeout_s: float = 20.0  # per request, body included
    max_body_bytes: int = 5 * MIB  # on the wire and again after decompression
    max_redirects: int = 5


@dataclass(frozen=True)
class FetchResult:
    outcome: str  # ok / not_modified / error
    url: str  # the URL the last request went to
    status_code: int | None = None
    body: bytes = b""
    bytes_received: int = 0
    duration_ms: int = 0
    error: str | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    cache_control: str | None = None
    expires: str | None = None
    date: str | None = None
    retry_after: str | None = None
    moved_to: str | None = None  # set when every redirect on the way was permanent


class FetchFailed(Exception):
    """A request that ended without a usable response; the message is the reason users see."""

    def __init__(self, reason: str, status_code: int | None = None, received: int = 0) -> None:
        super().__init__(reason)
        self.status_code = status_code
        self.received = received


class HostPacer:
    """One request at a time per host, starts at least `delay_s` apart, and a global limit."""

    def __init__(self, concurrency: int, delay_s: float) -> None:
        self.delay_s = delay_s
        self._slots = asyncio.Semaphore(concurrency)
        self._locks: dict[str, asyncio.Lock] = {}
        self._last_start: dict[str, float] = {}

    @asynccontextmanager
    async def turn(self, host: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(host, asyncio.Lock())
        async with lock:
            loop = asyncio.get_running_loop()
            wait = self._last_start.get(host, -math.inf) + self.delay_s - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            async with self._slots:  # taken only once the host is ready: waiting costs no slot
                self._last_start[host] = loop.time()
                yield


class _Decoder:
    """Content-Encoding undone chunk by chunk, never producing more than the cap allows."""

    def __init__(self, encoding: str | None) -> None:
        self.encoding = (encoding or "identity").strip().lower()
        if self.encoding not in ("identity", "gzip", "x-gzip", "deflate", "br"):
            raise FetchFailed(f"unsupported Content-Encoding {self.encoding!r}")
        self._zlib = None  # created on the first chunk, which tells raw deflate from zlib
        self._brotli = brotli.Decompressor() if self.encoding == "br" else None

    def decode(self, chunk: bytes, room: int) -> bytes:
        """Decompress `chunk`; raise once the output would exceed `room` bytes."""
        if self.encoding == "identity":
            out = chunk
        elif self._brotli is not None:
            out = self._brotli.process(chunk, output_buffer_limit=room + 1)
        else:
            if self._zlib is None:
                self._zlib = zlib.decompressobj(self._wbits(chunk))
            out = self._zlib.decompress(chunk, room + 1)
        if len(out) > room:
            raise FetchFailed("decompressed body exceeds the size limit (compression bomb?)")
        return out

    def finish(self) -> None:
        """A compressed stream that stops before its end marker is a truncated body."""
        finished = (
            self._brotli.is_finished() if self._brotli is not None else self._zlib is None or self._zlib.eof
        )
        if self.encoding != "identity" and not finished:
            raise FetchFailed(f"truncated {self.encoding} body")

    def _wbits(self, first: bytes) -> int:
        if self.encoding != "deflate":
            return 16 + zlib.MAX_WBITS
        # "deflate" is meant to be zlib-wrapped, but some servers send raw deflate.
        wrapped = len(first) >= 2 and first[0] & 0x0F == 8 and (first[0] << 8 | first[1]) % 31 == 0
        return zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS


async def _read_body(response: aiohttp.ClientResponse, limit: int) -> tuple[bytes, int]:
    """The decompressed body and the bytes received, both capped at `limit`."""
    declared = response.content_length
    if declared is not None and declared > limit:
        raise FetchFailed(f"body of {declared} bytes exceeds the {limit // MIB} MiB limit", response.status)
    decoder = _Decoder(response.headers.get("Content-Encoding"))
    parts: list[bytes] = []
    received = produced = 0
    try:
        async for chunk in response.content.iter_chunked(_CHUNK):
            received += len(chunk)
            if received > limit:
                raise FetchFailed(f"body exceeds the {limit // MIB} MiB limit", response.status, received)
            out = decoder.decode(chunk, limit - produced)
            produced += len(out)
            parts.append(out)
        decoder.finish()
    except (zlib.error, brotli.error) as error:
        raise FetchFailed(f"corrupt {decoder.encoding} body: {error}", response.status, received) from None
    except FetchFailed as error:
        error.received = error.received or received
        raise
    return b"".join(parts), received


class Fetcher:
    """Fetch feeds over one aiohttp session; use as `async with Fetcher(...) as fetcher`."""

    def __init__(
        self,
        guard: AddressGuard,
        *,
        limits: FetchLimits | None = None,
        concurrency: int = 16,
        host_delay_s: float = 1.0,
        user_agent: str = USER_AGENT,
    ) -> None:
        self.guard = guard
        self.limits = limits or FetchLimits()
        self.pacer = HostPacer(concurrency, host_delay_s)
        self.user_agent = user_agent
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> "Fetcher":
        # limit=0: the pacer already bounds concurrency. Cached DNS answers are vetted ones.
        connector = aiohttp.TCPConnector(resolver=GuardedResolver(self.guard), limit=0, ttl_dns_cache=300)
        self._session = aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,
            trust_env=False,  # no proxy from the environment: the guard must see the real target
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(
                total=None, connect=self.limits.connect_timeout_s, sock_connect=self.limits.connect_timeout_s
            ),
            headers={"User-Agent": self.user_agent, "Accept": ACCEPT, "Accept-Encoding": "gzip, br"},
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def fetch(self, url: str, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """GET `url` conditionally, following at most `max_redirects` redirects, each hop checked."""
        if self._session is None:
            raise RuntimeError("Fetcher used outside `async with`")
        started = time.perf_counter()
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current, visited, permanent, received = url, {url}, True, 0
        try:
            for hop in range(self.limits.max_redirects + 1):
                host = self.guard.check_url(current)
                async with self.pacer.turn(host):
                    response, body, hop_received = await self._request(current, headers)
                received += hop_received
                if response.status in REDIRECTS and "Location" in response.headers:
                    target = urljoin(current, response.headers["Location"])
                    permanent = permanent and response.status in PERMANENT_REDIRECTS
                    if target in visited:
                        raise FetchFailed(f"redirect loop back to {target}", response.status)
                    if hop == self.limits.max_redirects:
                        raise FetchFailed(
                            f"too many redirects (more than {self.limits.max_redirects})", response.status
                        )
                    visited.add(target)
                    current = target
                    continue
                return self._result(response, body, current, url, permanent, received, started)
        except FetchFailed as error:
            return self._failure(str(error), current, error.status_code, received + error.received, started)
        except BlockedURL as error:
            return self._failure(f"blocked: {error}", current, None, received, started)
        except TimeoutError:
            reason = f"timed out after {self.limits.total_timeout_s:g} s"
            return self._failure(reason, current, None, received, started)
        except aiohttp.ClientConnectorError as error:
            return self._failure(f"connection failed: {error.os_error}", current, None, received, started)
        except (aiohttp.ClientError, OSError, ValueError) as error:
            reason = f"{type(error).__name__}: {error}".rstrip(": ")
            return self._failure(reason, current, None, received, started)
        raise AssertionError("unreachable: the loop returns or raises")

    async def _request(self, url: str, headers: dict[str, str]) -> tuple[aiohttp.ClientResponse, bytes, int]:
        assert self._session is not None
        async with (
            asyncio.timeout(self.limits.total_timeout_s),
            self._session.get(url, headers=headers, allow_redirects=False) as response,
        ):
            if response.status != 200:
                return response, b"", 0
            body, received = await _read_body(response, self.limits.max_body_bytes)
            return response, body, received

    def _result(
        self,
        response: aiohttp.ClientResponse,
        body: bytes,
        final_url: str,
        requested_url: str,
        permanent: bool,
        received: int,
        started: float,
    ) -> FetchResult:
        status = response.status
        headers = response.headers
        if status == 200:
            outcome, error = OK, None
        elif status == 304:
            outcome, error = NOT_MODIFIED, None
        else:
            outcome, error = ERROR, f"HTTP {status} {response.reason or ''}".strip()
        return FetchResult(
            outcome=outcome,
            url=final_url,
            status_code=status,
            body=body,
            bytes_received=received,
            duration_ms=_elapsed_ms(started),
            error=error,
            content_type=headers.get("Content-Type"),
            etag=headers.get("ETag"),
            last_modified=headers.get("Last-Modified"),
            cache_control=headers.get("Cache-Control"),
            expires=headers.get("Expires"),
            date=headers.get("Date"),
            retry_after=headers.get("Retry-After"),
            moved_to=final_url if permanent and final_url != requested_url and outcome != ERROR else None,
        )

    @staticmethod
    def _failure(reason: str, url: str, status: int | None, received: int, started: float) -> FetchResult:
        return FetchResult(
            outcome=ERROR,
            url=url,
            status_code=status,
            error=reason,
            bytes_received=received,
            duration_ms=_elapsed_ms(started),
        )


def _elapsed_ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
