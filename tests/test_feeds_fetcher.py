import asyncio
import gzip
import itertools

import pytest
from aiohttp import web

from feeds.fetcher import ERROR, MIB, NOT_MODIFIED, OK, Fetcher, FetchLimits
from feeds.ssrf import AddressGuard
from tests.support.feed_server import (
    FeedServer,
    compression_bomb,
    feed,
    fixture,
    huge,
    redirect,
    status,
    trickle,
)

BODY = fixture("ru_utf8.xml")


@pytest.fixture
async def server():
    async with FeedServer() as running:
        yield running


def make_fetcher(policy="loopback", **limits) -> Fetcher:
    return Fetcher(AddressGuard(policy), limits=FetchLimits(**limits), host_delay_s=0)


async def fetch(url, policy="loopback", etag=None, last_modified=None, **limits):
    async with make_fetcher(policy, **limits) as fetcher:
        return await fetcher.fetch(url, etag, last_modified)


async def test_conditional_get_round_trip_and_honest_headers(server):
    server.routes["/rss"] = feed(BODY)
    first = await fetch(server.url("/rss"))
    assert (first.outcome, first.status_code, first.body) == (OK, 200, BODY)
    assert first.etag and first.last_modified == "Mon, 30 Jun 2025 12:00:00 GMT"
    again = await fetch(server.url("/rss"), etag=first.etag, last_modified=first.last_modified)
    assert (again.outcome, again.status_code, again.body) == (NOT_MODIFIED, 304, b"")
    sent = server.seen[-1].headers
    assert sent["If-None-Match"] == first.etag and sent["If-Modified-Since"] == first.last_modified
    assert "crisisdesk" in sent["User-Agent"] and "https://" in sent["User-Agent"]
    assert sent["Accept-Encoding"] == "gzip, br"


@pytest.mark.parametrize("encoding", ["gzip", "br"])
async def test_compressed_bodies_are_decoded(server, encoding):
    server.routes["/rss"] = feed(BODY, encoding=encoding)
    result = await fetch(server.url("/rss"))
    assert result.outcome == OK and result.body == BODY
    assert result.bytes_received < len(BODY)


@pytest.mark.parametrize("declare_length", [True, False])
async def test_oversized_bodies_are_refused(server, declare_length):
    server.routes["/big"] = huge(10 * MIB, declare_length=declare_length)
    result = await fetch(server.url("/big"))
    assert result.outcome == ERROR and "exceeds the 5 MiB limit" in result.error
    assert result.bytes_received <= 5 * MIB + 64 * 1024


@pytest.mark.parametrize("encoding", ["gzip", "br"])
async def test_compression_bombs_are_refused_not_inflated(server, encoding):
    server.routes["/bomb"] = compression_bomb(encoding)
    result = await fetch(server.url("/bomb"))
    assert result.outcome == ERROR and "decompressed body exceeds" in result.error
    assert result.body == b""


@pytest.mark.parametrize(
    ("payload", "reason"),
    [(gzip.compress(BODY)[:-30], "truncated gzip body"), (b"\x1f\x8b" + b"garbage" * 5, "corrupt gzip body")],
)
async def test_broken_gzip_is_an_error(server, payload, reason):
    async def broken(request):
        return web.Response(body=payload, headers={"Content-Encoding": "gzip"})

    server.routes["/broken"] = broken
    result = await fetch(server.url("/broken"))
    assert result.outcome == ERROR and result.error.startswith(reason)


async def test_a_chain_of_permanent_redirects_reports_the_new_home(server):
    server.routes["/old"] = redirect("/older", 301)
    server.routes["/older"] = redirect(server.url("/new"), 308)
    server.routes["/new"] = feed(BODY)
    result = await fetch(server.url("/old"))
    assert result.outcome == OK and result.moved_to == server.url("/new") == result.url


async def test_a_temporary_hop_keeps_the_stored_url(server):
    server.routes["/old"] = redirect("/temp", 301)
    server.routes["/temp"] = redirect("/new", 302)
    server.routes["/new"] = feed(BODY)
    result = await fetch(server.url("/old"))
    assert result.outcome == OK and result.moved_to is None


async def test_redirect_loops_and_long_chains_stop(server):
    server.routes["/a"] = redirect("/b")
    server.routes["/b"] = redirect("/a")
    loop = await fetch(server.url("/a"))
    assert loop.outcome == ERROR and "redirect loop" in loop.error
    for n in range(7):
        server.routes[f"/hop{n}"] = redirect(f"/hop{n + 1}", 302)
    server.routes["/hop7"] = feed(BODY)
    chain = await fetch(server.url("/hop0"))
    assert chain.outcome == ERROR and "too many redirects" in chain.error
    assert server.hits()["/hop5"] == 1 and server.hits()["/hop6"] == 0


async def test_a_redirect_to_a_private_address_is_refused_before_connecting(server):
    server.routes["/evil"] = redirect("http://10.20.30.40/internal-metadata")
    result = await fetch(server.url("/evil"))
    assert result.outcome == ERROR and result.error.startswith("blocked: 10.20.30.40 is a private address")
    assert result.url == "http://10.20.30.40/internal-metadata"


async def test_a_name_resolving_to_loopback_is_refused_without_a_connection_when_off(server):
    server.routes["/rss"] = feed(BODY)
    result = await fetch(f"http://localhost:{server.ports['127.0.0.1']}/rss", policy="off")
    assert result.outcome == ERROR and "loopback address" in result.error
    assert server.seen == []


async def test_a_trickled_body_times_out(server):
    server.routes["/slow"] = trickle(every_s=0.05)
    started = asyncio.get_running_loop().time()
    result = await fetch(server.url("/slow"), total_timeout_s=0.5)
    assert result.outcome == ERROR and result.error == "timed out after 0.5 s"
    assert asyncio.get_running_loop().time() - started < 2


async def test_http_errors_carry_status_and_retry_after(server):
    server.routes["/busy"] = status(429, {"Retry-After": "120"})
    result = await fetch(server.url("/busy"))
    assert (result.outcome, result.status_code, result.retry_after) == (ERROR, 429, "120")
    assert result.error == "HTTP 429 Too Many Requests"


async def test_connection_refused_is_an_error_not_an_exception():
    result = await fetch("http://127.0.0.1:9/feed")
    assert result.outcome == ERROR and result.error.startswith("connection failed")


async def test_one_request_at_a_time_per_host_spaced_apart():
    async with FeedServer(hosts=("127.0.0.1", "127.0.0.2")) as server:
        for n in range(3):
            server.routes[f"/f{n}"] = feed(BODY)
        urls = [server.url(f"/f{n}", host) for n in range(3) for host in server.hosts]
        async with Fetcher(AddressGuard("loopback"), host_delay_s=0.2) as fetcher:
            results = await asyncio.gather(*(fetcher.fetch(url) for url in urls))
    assert all(result.outcome == OK for result in results)
    for host in server.hosts:
        starts = sorted(request.at for request in server.seen if request.host.startswith(host))
        assert len(starts) == 3
        assert all(later - earlier >= 0.19 for earlier, later in itertools.pairwise(starts))
    # The two hosts are paced independently: both got their first request at once.
    firsts = [min(r.at for r in server.seen if r.host.startswith(host)) for host in server.hosts]
    assert abs(firsts[0] - firsts[1]) < 0.15
