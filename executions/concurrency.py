"""A flow's `concurrency: {limit, behavior}`: at most `limit` of its executions run at once.

An execution that would start beyond the limit is QUEUED (started first in, first out as slots free),
CANCELLED or FAILED, as `behavior` says. Started executions are those RUNNING, PAUSED, KILLING or
RESTARTED: begun and not ended.

Any number of executors may start executions of one flow at the same moment, so counting them and
starting one happen in one transaction holding the flow's row lock. The limit is the latest
revision's, as in Kestra: editing it applies to executions already queued.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from flowhub.engine.model import Concurrency
from flowhub.engine.states import State
from namespaces.flows import parse_source
from namespaces.models import Flow

from .dispatch import enqueue_advance
from .logsink import BufferedLogSink
from .models import Execution
from .transitions import execution_transition

STARTED = [State.RUNNING, State.PAUSED, State.KILLING, State.RESTARTED]
MAX_WAKE = 500
"""The most queued executions of one flow sent to the executor at once; the sweep sends the others."""


def execution_admit(execution: Execution) -> bool:
    """Whether a CREATED or QUEUED `execution`, its row locked by the executor, may start now.

    A QUEUED one admitted is moved to RUNNING here; a CREATED one the executor starts in the same
    transaction. One refused is queued, cancelled or failed as the flow's `behavior` says, or, if
    already queued, left to wait its turn.
    """
    flow_row = Flow.objects.filter(pk=execution.flow_revision.flow_id)
    if execution.state == State.CREATED and _latest_concurrency(flow_row) is None:
        return True  # no limit, so no lock: most flows
    concurrency = _latest_concurrency(flow_row, lock=True)
    if concurrency is None or _has_slot(execution, concurrency.limit):
        if execution.state == State.QUEUED:
            execution_transition(execution, State.RUNNING, started_at=timezone.now())
        return True
    if execution.state == State.CREATED:
        _refuse(execution, concurrency)
    return False


def executions_dequeue(*, namespace: str, flow_id: str) -> list[str]:
    """Send the executor to the oldest QUEUED executions of a flow, one per free slot; their ids.

    Called once an execution of the flow has ended, and by the sweep. Only a hint: the executor
    decides under the flow's lock, so a message too many changes nothing.
    """
    queued = _executions(namespace, flow_id).filter(state=State.QUEUED).order_by("created_at", "id")
    oldest = list(queued.values_list("id", flat=True)[:MAX_WAKE])
    if not oldest:
        return []
    concurrency = _latest_concurrency(Flow.objects.filter(namespace_id=namespace, flow_id=flow_id))
    if concurrency is not None:
        started = _executions(namespace, flow_id).filter(state__in=STARTED).count()
        oldest = oldest[: max(0, concurrency.limit - started)]
    for execution_id in oldest:
        enqueue_advance(execution_id)
    return oldest


def dequeue_on_commit(execution: Execution) -> None:
    """Once the transaction that ended `execution` commits, start what its flow queued."""
    transaction.on_commit(partial(executions_dequeue, namespace=execution.namespace, flow_id=execution.flow_id))


def _latest_concurrency(flows: QuerySet[Flow], *, lock: bool = False) -> Concurrency | None:
    """The concurrency of the flow's latest revision; with `lock`, the flow's row is locked till the commit."""
    if lock:
        # NO KEY UPDATE: saving a revision (whose foreign key takes KEY SHARE on the flow) need not wait.
        flows.select_for_update(no_key=True).values_list("pk", flat=True).first()
    source = flows.values_list("current__source", flat=True).first()
    return parse_source(source).policies.concurrency if source else None


def _executions(namespace: str, flow_id: str) -> QuerySet[Execution]:
    return Execution.objects.filter(namespace=namespace, flow_id=flow_id)


def _has_slot(execution: Execution, limit: int) -> bool:
    """Fewer than `limit` started, counting the executions queued before this one: first in, first out."""
    others = _executions(execution.namespace, execution.flow_id).exclude(pk=execution.pk)
    earlier = Q(created_at__lt=execution.created_at) | Q(created_at=execution.created_at, id__lt=execution.id)
    started = others.filter(state__in=STARTED).count()
    ahead = others.filter(earlier, state=State.QUEUED).count()
    return started + ahead < limit


def _refuse(execution: Execution, concurrency: Concurrency) -> None:
    now = timezone.now()
    reason = f"the flow's concurrency limit of {concurrency.limit} running executions is reached"
    sink = BufferedLogSink(execution)
    if concurrency.behavior == "QUEUE":
        execution_transition(execution, State.QUEUED)
        sink.emit("INFO", f"queued: {reason}; it starts once a slot frees")
    elif concurrency.behavior == "CANCEL":
        execution_transition(execution, State.CANCELLED, ended_at=now)
        sink.emit("WARN", f"cancelled: {reason} (behavior CANCEL)")
    else:
        execution_transition(execution, State.FAILED, ended_at=now)
        sink.emit("ERROR", f"failed: {reason} (behavior FAIL)")
    sink.flush()
