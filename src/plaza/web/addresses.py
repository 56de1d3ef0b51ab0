"""The client's address, for rate limits and the session list.

`X-Forwarded-For` is believed only when the request comes from a proxy the operator named in
`PLAZA_TRUSTED_PROXIES` (addresses or networks, comma-separated; default none): otherwise any
client could claim any address and slip past per-address limits, or lock someone else out.
Behind trusted proxies the client is the right-most address that is not itself a trusted
proxy, since each proxy appends the address it received the request from.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from starlette.requests import HTTPConnection

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def parse_networks(setting: str) -> tuple[Network, ...]:
    """`"10.0.0.0/8, 127.0.0.1"` -> networks; a bad entry raises ValueError naming it."""
    networks = []
    for entry in (part.strip() for part in setting.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"PLAZA_TRUSTED_PROXIES: {entry!r} is not an address") from None
    return tuple(networks)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(connection: HTTPConnection, trusted_proxies: str) -> str:
    peer = connection.client.host if connection.client else "unknown"
    networks = parse_networks(trusted_proxies)
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [h.strip() for h in connection.headers.get("x-forwarded-for", "").split(",")]
    hops = [h for h in hops if h]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            return hop
    return hops[0] if hops else peer
