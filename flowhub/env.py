"""Reading settings from the environment, refusing malformed values instead of guessing."""

from __future__ import annotations

import ipaddress
import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true/false, 1/0, yes/no, on/off)")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below the minimum {minimum}")
    return value


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} must be one of {', '.join(choices)}")
    return value


_RATE_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int] | None:
    """A rate as DRF writes one, `<requests>/<period>` with the period known by its first letter
    (`1200/min`, `10/second`, `5000/h`, `1/day`), as (requests, seconds); None when empty or `off`."""
    text = rate.strip().lower()
    if text in ("", "off"):
        return None
    count, _, period = text.partition("/")
    if not (count.isascii() and count.isdigit() and int(count) > 0 and period[:1] in _RATE_PERIODS):
        raise ValueError(f"{rate!r} is not a rate such as 1200/min, nor off")
    return int(count), _RATE_PERIODS[period[0]]


def env_rate(name: str, default: str) -> str:
    """A rate limit setting (see parse_rate), checked at start-up and kept as written."""
    raw = os.environ.get(name, default)
    try:
        parse_rate(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}: {exc}") from None
    return raw


def env_networks(name: str, default: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """A comma-separated list of networks in CIDR form (`10.0.0.0/8, ::1/128`; an address alone is itself)."""
    networks = []
    for item in env_list(name, default):
        try:
            networks.append(ipaddress.ip_network(item))
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name}: {exc}") from None
    return networks
