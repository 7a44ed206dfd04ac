"""SSRF guard: a feed URL may only reach public addresses, unless configured otherwise.

Every redirect hop is checked, and names are checked on the addresses they resolve to: the
`GuardedResolver` hands aiohttp only addresses it vetted, so a DNS answer that changes between a
check and the connection (rebinding) cannot reach a private address.
"""

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOW_NONE = "off"
ALLOW_LOOPBACK = "loopback"  # 127.0.0.0/8 and ::1: what tests and the demo use
ALLOW_ALL = "true"
POLICIES = (ALLOW_NONE, ALLOW_LOOPBACK, ALLOW_ALL)


class BlockedURL(Exception):
    """A URL the guard refuses: wrong scheme, no host, or a non-public address."""


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address hidden in an IPv4-mapped, 6to4 or NAT64 IPv6 address, if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in ipaddress.IPv6Network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


class AddressGuard:
    """Decides which addresses feed requests may reach: `off`, `loopback` or `true` (all)."""

    def __init__(self, allow: str = ALLOW_NONE) -> None:
        if allow not in POLICIES:
            raise ValueError(f"unknown private-address policy {allow!r}; expected one of {POLICIES}")
        self.allow = allow

    def check_ip(self, address: IPAddress) -> None:
        if self.allow == ALLOW_ALL:
            return
        if isinstance(address, ipaddress.IPv6Address):
            embedded = _embedded_ipv4(address)
            if embedded is not None:
                self.check_ip(embedded)
                return
        if self.allow == ALLOW_LOOPBACK and address.is_loopback:
            return
        if not address.is_global or address.is_multicast:
            kind = "loopback" if address.is_loopback else "link-local" if address.is_link_local else "private"
            raise BlockedURL(f"{address} is a {kind} address (ALLOW_PRIVATE_FEEDS={self.allow})")

    def check_url(self, url: str) -> str:
        """Check what can be checked without DNS (scheme, host, literal IPs); return the host."""
        try:
            parts = urlsplit(url)
            port = parts.port  # raises on a malformed port
        except ValueError as error:
            raise BlockedURL(f"malformed URL: {error}") from None
        if parts.scheme not in ("http", "https"):
            raise BlockedURL(f"only http and https URLs are fetched, not {parts.scheme or 'no scheme'!r}")
        host = parts.hostname
        if not host:
            raise BlockedURL("URL has no host")
        if port == 0:
            raise BlockedURL("URL has port 0")
        literal = _parse_ip(host)
        if literal is not None:
            self.check_ip(literal)
        return host

    async def check_url_resolved(self, url: str) -> None:
        """`check_url` plus every address the host resolves to (for validating URLs up front)."""
        host = self.check_url(url)
        if _parse_ip(host) is None:
            await resolve_checked(self, host, 0, socket.AF_UNSPEC)


def _parse_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


async def resolve_checked(guard: AddressGuard, host: str, port: int, family: int) -> list[ResolveResult]:
    """Resolve `host`; refuse it if ANY address is not allowed, else return them all."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, family=family)
    except socket.gaierror as error:
        raise OSError(f"cannot resolve {host}: {error.strerror}") from None
    results: list[ResolveResult] = []
    for info_family, _, proto, _, sockaddr in infos:
        address = sockaddr[0]
        guard.check_ip(ipaddress.ip_address(address.split("%", 1)[0]))
        results.append(
            ResolveResult(
                hostname=host,
                host=address,
                port=sockaddr[1],
                family=info_family,
                proto=proto,
                flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
            )
        )
    if not results:
        raise OSError(f"cannot resolve {host}: no addresses")
    return results


class GuardedResolver(AbstractResolver):
    """An aiohttp resolver that only ever returns addresses the guard allows."""

    def __init__(self, guard: AddressGuard) -> None:
        self.guard = guard

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return await resolve_checked(self.guard, host, port, family)

    async def close(self) -> None:
        return None
