"""Blocking until an execution ends, for `wait=true` callers, without holding a database connection idle."""

from __future__ import annotations

import time

from django.db import connection

from flowhub.engine.states import TERMINAL

from .models import Execution

POLL_SECONDS = 0.2


def execution_wait(*, execution_id: str, timeout: float) -> bool:
    """Wait up to `timeout` seconds for the execution to reach a terminal state; True if it did.

    Between two looks the connection is closed (unless inside a transaction, which would not see the
    end anyway), so a hundred waiting callers hold no database connection while they sleep."""
    deadline = time.monotonic() + timeout
    while True:
        state = Execution.objects.filter(pk=execution_id).values_list("state", flat=True).first()
        if state is None or state in TERMINAL:
            return state is not None
        if time.monotonic() >= deadline:
            return False
        if not connection.in_atomic_block:
            connection.close()
        time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
