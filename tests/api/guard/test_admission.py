"""The client's address behind trusted reverse proxies (api/guard/admission.py `client_address`)."""

from __future__ import annotations

from ipaddress import ip_network

import pytest
from starlette.requests import Request

from api.guard.admission import client_address

pytestmark = pytest.mark.unit

PROXIES = (ip_network("10.0.0.0/8"), ip_network("2001:db8::/32"))


def request(peer: str, *forwarded: str) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers, "client": (peer, 5000)})


class TestClientAddress:
    def test_the_peer_without_trusted_proxies(self) -> None:
        assert client_address(request("10.0.0.5", "203.0.113.9")) == "10.0.0.5"

    def test_an_untrusted_peer_cannot_choose_its_address(self) -> None:
        assert client_address(request("198.51.100.4", "203.0.113.9"), PROXIES) == "198.51.100.4"

    def test_the_rightmost_untrusted_hop(self) -> None:
        # the client wrote 1.2.3.4 itself; 203.0.113.9 is what the first trusted proxy saw
        assert client_address(request("10.0.0.5", "1.2.3.4, 203.0.113.9, 10.9.9.9"), PROXIES) == "203.0.113.9"

    def test_several_header_lines_are_one_list(self) -> None:
        assert client_address(request("10.0.0.5", "1.2.3.4", "203.0.113.9"), PROXIES) == "203.0.113.9"

    def test_ipv6_hops(self) -> None:
        assert client_address(request("2001:db8::1", "2001:db8::2, 2a00:1450::7"), PROXIES) == "2a00:1450::7"

    def test_garbage_ends_the_walk_at_the_last_trusted_hop(self) -> None:
        assert client_address(request("10.0.0.5", "203.0.113.9, not-an-address"), PROXIES) == "10.0.0.5"

    def test_only_proxies_gives_the_leftmost(self) -> None:
        assert client_address(request("10.0.0.5", "10.0.0.7, 10.0.0.6"), PROXIES) == "10.0.0.7"

    def test_no_header_behind_a_proxy(self) -> None:
        assert client_address(request("10.0.0.5"), PROXIES) == "10.0.0.5"
