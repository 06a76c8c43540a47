"""Where a notification may be sent: not into the server's own network, unless allowed.

A notification's URL comes from whoever may edit a namespace, and the server POSTs to it: unchecked, it
would let them make the server reach its database, its cache or a cloud's metadata endpoint (SSRF). An
address that is not public (loopback, private, link-local, shared, reserved, multicast) is refused unless
it is in FLOWHUB_NOTIFICATION_ALLOWED_NETWORKS. An address written in the URL is checked when the
notification is saved; a name is resolved each time a delivery is sent, every address it resolves to is
checked, and the connection goes to one of those, so that a name answering differently between the check
and the connection (DNS rebinding) reaches nothing it was not allowed to.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import SplitResult, urlsplit

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedDestination(Exception):
    """The URL's host is, or resolves to, an address notifications may not reach."""


def address_problem(address: Address) -> str | None:
    """Why a delivery may not go to `address`, or None."""
    if address.is_global and not address.is_multicast:
        return None
    if any(address in network for network in settings.FLOWHUB_NOTIFICATION_ALLOWED_NETWORKS):
        return None
    return f"{address} is not a public address (FLOWHUB_NOTIFICATION_ALLOWED_NETWORKS can allow its network)"


def literal_problem(host: str) -> str | None:
    """Why the host written in a URL may not be reached, when it is an address; a name is checked when sent."""
    try:
        return address_problem(ipaddress.ip_address(host))
    except ValueError:
        return None


@dataclass(frozen=True)
class Pinned:
    """A request to `url`'s host sent to one checked address of it: the URL to connect to, with the Host
    header and TLS server name of the original."""

    url: str
    headers: dict[str, str]
    extensions: dict[str, Any] = field(default_factory=dict)


def pinned(url: str) -> list[Pinned]:
    """One request per address `url`'s host resolves to, to try in turn; RefusedDestination when the name
    does not resolve or any of its addresses may not be reached."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise RefusedDestination(f"cannot resolve '{host}': {exc}") from None
    addresses = list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found))
    for address in addresses:
        if problem := address_problem(address):
            raise RefusedDestination(f"'{host}' resolves to {problem}")
    headers = {"Host": parts.netloc.rpartition("@")[2]}
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return [Pinned(_with_host(parts, address), headers, extensions) for address in addresses]


def _with_host(parts: SplitResult, address: Address) -> str:
    userinfo, at, _ = parts.netloc.rpartition("@")
    host = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{userinfo}{at}{host}" + (f":{parts.port}" if parts.port else "")
    return parts._replace(netloc=netloc).geturl()
