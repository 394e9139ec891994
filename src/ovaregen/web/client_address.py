"""The client's address, believing ``X-Forwarded-For`` only from configured proxies.

The address is the connecting one, unless that is a trusted proxy (``Settings.trusted_proxies``:
addresses, or networks such as ``10.0.0.0/8``; none by default — loopback is not trusted by
itself): then it is the right-most address of ``X-Forwarded-For`` that is not a trusted proxy,
since everything to its left was written by the client and can be forged (MDN,
"X-Forwarded-For: Selecting an IP address"). If every address listed is trusted, the left-most
is the client. The server must not rewrite the connecting address itself (uvicorn runs with
``proxy_headers=False``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.requests import Request

FORWARDED_FOR = "x-forwarded-for"
UNKNOWN = "unknown"

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(trusted: Iterable[str]) -> list[_Network]:
    networks: list[_Network] = []
    for entry in trusted:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            continue  # serve validates the option; an unparsable entry trusts nothing
    return networks


def _normal(address: str) -> str:
    """An address in its canonical spelling (``[::1]:443`` → ``::1``), else as given."""
    text = address.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":")[0]  # IPv4 with a port
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text


def _is_trusted(address: str, networks: list[_Network]) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in networks)


def client_address(request: Request, trusted_proxies: Iterable[str]) -> str:
    """The client's address by the rule above."""
    peer = _normal(request.client.host) if request.client else UNKNOWN
    networks = _networks(trusted_proxies)
    if not networks or not _is_trusted(peer, networks):
        return peer
    listed = [
        _normal(part)
        for header in request.headers.getlist(FORWARDED_FOR)
        for part in header.split(",")
        if part.strip()
    ]
    for address in reversed(listed):
        if not _is_trusted(address, networks):
            return address
    return listed[0] if listed else peer
