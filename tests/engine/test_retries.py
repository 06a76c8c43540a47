import random
from datetime import timedelta

import pytest
from pydantic import TypeAdapter

from flowhub.engine.fields import Retry
from flowhub.engine.retries import ATTEMPTS_WITHOUT_LIMIT, next_delay

RETRY = TypeAdapter(Retry)


def delay(policy: dict, attempts: int, elapsed: float = 0) -> timedelta | None:
    return next_delay(RETRY.validate_python(policy), attempts, timedelta(seconds=elapsed), lambda value: value)


def test_a_constant_retry_waits_its_interval_until_max_attempt():
    policy = {"type": "constant", "interval": "PT5S", "maxAttempt": 3}
    assert [delay(policy, attempts) for attempts in (1, 2, 3)] == [timedelta(seconds=5), timedelta(seconds=5), None]


def test_an_exponential_retry_multiplies_up_to_its_max_interval():
    policy = {"type": "exponential", "interval": "PT1S", "maxInterval": "PT5S", "maxAttempts": 10}
    assert [delay(policy, attempts).total_seconds() for attempts in (1, 2, 3, 4)] == [1, 2, 4, 5]
    tripled = {**policy, "delayFactor": 3}
    assert delay(tripled, 3) == timedelta(seconds=5) and delay(tripled, 2) == timedelta(seconds=3)


def test_a_random_retry_waits_between_its_bounds():
    policy = RETRY.validate_python({"type": "random", "minInterval": "PT1S", "maxInterval": "PT3S", "maxAttempt": 5})
    waits = {next_delay(policy, 1, timedelta(0), lambda v: v, random.Random(seed)) for seed in range(20)}
    assert all(timedelta(seconds=1) <= wait <= timedelta(seconds=3) for wait in waits) and len(waits) > 1


def test_max_duration_bounds_the_time_across_attempts():
    policy = {"type": "constant", "interval": "PT10S", "maxDuration": "PT30S"}
    assert delay(policy, 1, elapsed=15) == timedelta(seconds=10)
    assert delay(policy, 2, elapsed=25) is None


def test_a_retry_without_any_limit_still_ends():
    policy = {"type": "constant", "interval": "PT1S"}
    assert delay(policy, ATTEMPTS_WITHOUT_LIMIT - 1) == timedelta(seconds=1)
    assert delay(policy, ATTEMPTS_WITHOUT_LIMIT) is None


def test_an_interval_may_be_an_expression():
    policy = RETRY.validate_python({"type": "constant", "interval": "{{ vars.wait }}", "maxAttempt": 2})
    assert next_delay(policy, 1, timedelta(0), lambda value: "PT7S") == timedelta(seconds=7)
    with pytest.raises(ValueError):
        next_delay(policy, 1, timedelta(0), lambda value: "soon")
