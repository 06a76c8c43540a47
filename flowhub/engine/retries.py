"""When a failed attempt is tried again: Kestra's constant, exponential and random retry policies."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from .fields import ConstantRetry, ExponentialRetry, RandomRetry
from .inputs.temporal import to_duration

ATTEMPTS_WITHOUT_LIMIT = 100
"""The attempts allowed by a retry that sets neither `maxAttempt` nor `maxDuration`."""
DEFAULT_DELAY_FACTOR = 2.0


def next_delay(
    retry: ConstantRetry | ExponentialRetry | RandomRetry,
    attempts: int,
    elapsed: timedelta,
    render: Callable[[Any], Any],
    chance: random.Random | None = None,
) -> timedelta | None:
    """How long to wait before attempt `attempts + 1`, or None when the policy allows no more.

    `attempts` counts the attempts made, the first included, as `maxAttempt` does; `elapsed` is the
    time since the first began, which `maxDuration` bounds. Durations may be expressions: `render`.
    """

    def duration(value: str) -> timedelta:
        return to_duration(str(render(value)).strip())

    limit = retry.maxAttempt or (None if retry.maxDuration else ATTEMPTS_WITHOUT_LIMIT)
    if limit is not None and attempts >= limit:
        return None
    if isinstance(retry, ConstantRetry):
        delay = duration(retry.interval)
    elif isinstance(retry, ExponentialRetry):
        factor = retry.delayFactor or DEFAULT_DELAY_FACTOR
        delay = min(duration(retry.interval) * factor ** (attempts - 1), duration(retry.maxInterval))
    else:
        low, high = duration(retry.minInterval), duration(retry.maxInterval)
        delay = low + (high - low) * (chance or random.Random()).random()  # noqa: S311 (jitter, not a secret)
    if retry.maxDuration is not None and elapsed + delay > duration(retry.maxDuration):
        return None
    return delay
