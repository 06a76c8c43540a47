"""Acting on many executions in one request (Kestra's `…/by-ids` and `…/by-query`): each by the action's own
service, in its own transaction, at most `MAX_BULK` a request; those it refuses (unknown, or in a state it does
not apply to) are left out of the count."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.db.models import QuerySet

from flowhub.engine.errors import InvalidInputsError
from flowhub.exceptions import Conflict, Invalid, NotFound

from .models import Execution

MAX_BULK = 1000
"""The most executions one bulk request acts on; a caller repeats it for more."""
REFUSALS = (NotFound, Conflict, Invalid, InvalidInputsError)
"""What an action raises for an execution it does not apply to: unknown, in another state, lacking inputs."""


def executions_act(*, execution_ids: Sequence[str], act: Callable[[str], object]) -> int:
    """Call `act` with each id (the first `MAX_BULK`); how many it did not refuse."""
    done = 0
    for execution_id in execution_ids[:MAX_BULK]:
        try:
            act(execution_id)
        except REFUSALS:
            continue
        done += 1
    return done


def oldest_ids(executions: QuerySet[Execution]) -> list[str]:
    """The ids of the oldest `MAX_BULK` of `executions`: a request repeated while its count is `MAX_BULK` reaches
    them all, when `executions` holds only those the action still applies to."""
    return list(executions.order_by("created_at", "id").values_list("id", flat=True)[:MAX_BULK])
