"""Which real services the tests may use: PostgreSQL and Redis on loopback.

A test that needs a missing service skips with the reason, or fails when CI=true (DESIGN.md §9).
Run as a script (`python -m tests.services`) it tells the Makefile whether the distributed pass
can run: exit 0 when both are up, 2 when one is down (skip), 1 when one is down under CI.
"""

from __future__ import annotations

import os
import socket
import sys
from urllib.parse import urlsplit

POSTGRES_URL = os.environ.get("FLOWHUB_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/flowhub")
REDIS_URL = os.environ.get("FLOWHUB_TEST_REDIS_URL", "redis://127.0.0.1:6379")
RABBITMQ_URL = os.environ.get("FLOWHUB_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672")
URLS = {"PostgreSQL": POSTGRES_URL, "Redis": REDIS_URL, "RabbitMQ": RABBITMQ_URL}


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), timeout=2):
            return True
    except OSError:
        return False


def missing(*names: str) -> list[str]:
    """Which of the named services (default: PostgreSQL and Redis) do not answer."""
    return [name for name in names or ("PostgreSQL", "Redis") if not reachable(URLS[name])]


if __name__ == "__main__":
    down = missing()
    if not down:
        sys.exit(0)
    print(f"{' and '.join(down)} not reachable ({POSTGRES_URL}, {REDIS_URL})", file=sys.stderr)
    sys.exit(1 if in_ci() else 2)
