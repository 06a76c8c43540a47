"""A flow's `retry` (kestra-flow.md §1): an execution about to end FAILED tries again once its delay is over.

RETRY_FAILED_TASK (the default): the execution waits RETRYING, then restarts in place, its failed task
runs run again. CREATE_NEW_EXECUTION: it ends RETRIED, and a new execution of the same inputs starts,
as a replay from the start. The delay and the attempts allowed follow the task retry policies
(`engine.retries`); attempts are counted by the execution's `attempt_number`. The due time is in the
database (`retry_at`): a short delay also travels as a delayed message, and the sweep performs any
retry that is due, so a lost message or a long delay costs nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from flowhub.engine import reruns as engine_reruns
from flowhub.engine.errors import EngineError
from flowhub.engine.fields import RetryBehavior
from flowhub.engine.model import Flow as ParsedFlow
from flowhub.engine.retries import next_delay
from flowhub.engine.states import State
from namespaces.flows import parsed_revision

from .dispatch import enqueue_flow_retry
from .logsink import BufferedLogSink
from .models import Execution
from .reruns import REPLAY_LABEL, replay_create, restart_in_place
from .transitions import execution_transition

logger = logging.getLogger(__name__)
WAITING = (State.RETRYING, State.RETRIED)
"""The states of an execution whose flow retry may still be due."""


def flow_retry_scheduled(execution: Execution, parsed: ParsedFlow) -> bool:
    """Called as the locked `execution` would end FAILED: True when its flow's `retry` takes over."""
    retry = parsed.policies.retry
    if retry is None:
        return False
    in_place = retry.behavior == RetryBehavior.RETRY_FAILED_TASK
    if in_place and _restart(execution, parsed) is None:
        return False  # nothing failed that a restart could run again (a flow output did not render)
    try:  # no task context here to render an expression in: durations are taken as written
        delay = next_delay(retry, execution.attempt_number, timezone.now() - _first_started(execution), str)
    except (EngineError, ValueError) as exc:
        logger.warning("execution %s: its flow retry does not evaluate (%s); not retried", execution.id, exc)
        return False
    if delay is None:
        return False
    now = timezone.now()
    if in_place:
        execution_transition(execution, State.RETRYING, retry_at=now + delay)
    else:
        execution_transition(execution, State.RETRIED, retry_at=now + delay, ended_at=now, outputs={})
    how = "this execution restarted" if in_place else "a new execution"
    sink = BufferedLogSink(execution)
    sink.emit(
        "WARN", f"attempt {execution.attempt_number} failed; attempt {execution.attempt_number + 1} in {delay}: {how}"
    )
    sink.flush()
    transaction.on_commit(partial(enqueue_flow_retry, execution.id, delay))
    return True


def flow_retry_perform(*, execution_id: str) -> None:
    """Perform the execution's flow retry if it is due and not done yet (a repeated call does nothing)."""
    with transaction.atomic():
        execution = (
            Execution.objects.select_for_update(of=("self",))
            .select_related("flow_revision")
            .filter(pk=execution_id, state__in=WAITING, retry_at__lte=timezone.now())
            .first()
        )
        if execution is None:
            return
        if execution.state == State.RETRIED:
            replay_create(execution, execution.flow_revision, None, label=REPLAY_LABEL)
            Execution.objects.filter(pk=execution.pk).update(retry_at=None)
            return
        rerun = _restart(execution, parsed_revision(execution.flow_revision))
        if rerun is not None:
            restart_in_place(execution, rerun)


def flow_retries_due(*, before: datetime) -> QuerySet[Execution, str]:
    """The ids of the executions whose flow retry was due before `before`."""
    return Execution.objects.filter(state__in=WAITING, retry_at__lt=before).values_list("id", flat=True)


def _restart(execution: Execution, parsed: ParsedFlow) -> engine_reruns.Rerun | None:
    try:
        return engine_reruns.restart(parsed, tuple(run.view() for run in execution.task_runs.all()))
    except engine_reruns.NothingToRerunError:
        return None


def _first_started(execution: Execution) -> datetime:
    """When the first attempt began: `maxDuration` bounds the attempts since, new executions included."""
    if not execution.original_id:
        return execution.created_at
    first = Execution.objects.filter(pk=execution.original_id).values_list("created_at", flat=True).first()
    return first or execution.created_at  # the first may have been deleted
