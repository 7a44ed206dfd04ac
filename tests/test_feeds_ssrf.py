import ipaddress

import pytest

from feeds.ssrf import AddressGuard, BlockedURL


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.5/feed",
        "http://192.168.1.1/feed",
        "http://172.16.0.1/feed",
        "http://169.254.169.254/latest/meta-data",
        "http://127.0.0.1:8080/feed",
        "http://[::1]/feed",
        "http://[fe80::1]/feed",
        "http://[fc00::1]/feed",
        "http://[::ffff:10.0.0.1]/feed",
        "http://0.0.0.0/feed",
        "http://100.64.0.1/feed",
        "file:///etc/passwd",
        "gopher://example.com/",
        "http:///no-host",
    ],
)
def test_off_refuses_non_public_addresses_and_other_schemes(url):
    with pytest.raises(BlockedURL):
        AddressGuard("off").check_url(url)


def test_off_allows_public_addresses_and_names_pending_resolution():
    guard = AddressGuard("off")
    assert guard.check_url("https://93.184.216.34/rss") == "93.184.216.34"
    assert guard.check_url("https://tass.ru/rss/v2.xml") == "tass.ru"


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("127.0.0.1", True),
        ("127.5.6.7", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("10.1.2.3", False),
        ("192.168.0.10", False),
        ("169.254.1.1", False),
        ("0.0.0.0", False),
        ("fe80::1", False),
        ("8.8.8.8", True),
    ],
)
def test_loopback_allows_only_loopback_among_private_addresses(address, allowed):
    guard = AddressGuard("loopback")
    if allowed:
        guard.check_ip(ipaddress.ip_address(address))
    else:
        with pytest.raises(BlockedURL):
            guard.check_ip(ipaddress.ip_address(address))


def test_true_allows_everything_but_still_only_http():
    guard = AddressGuard("true")
    guard.check_url("http://10.0.0.1/feed")
    with pytest.raises(BlockedURL):
        guard.check_url("file:///etc/passwd")


async def test_names_are_checked_on_the_addresses_they_resolve_to():
    with pytest.raises(BlockedURL, match="loopback"):
        await AddressGuard("off").check_url_resolved("http://localhost/feed")
    await AddressGuard("loopback").check_url_resolved("http://localhost/feed")


def test_unknown_policy_is_a_programming_error():
    with pytest.raises(ValueError):
        AddressGuard("maybe")
