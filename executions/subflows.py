"""Subflow task runs: the execution each starts as its child, and the end of that child ending the run.

A Subflow run starts in the executor's transaction, under its execution's row lock: the child is
created there through `execution_create`, so it is validated as any execution is. A waiting run
ends in the transaction that ends its child (`subflow_child_ended`, a compare-and-set on the run,
never a lock on the parent execution, so a parent and a child never wait on each other's lock);
the sweep (recovery.py) ends any run whose child ended some other way.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from access.roles import Role
from flowhub.engine.errors import EngineError, InvalidInputsError
from flowhub.engine.states import TERMINAL, State
from flowhub.engine.subflows import child_labels, subflow_call, subflow_outputs, subflow_result, subflow_trigger
from flowhub.engine.tasks.flow import Subflow
from flowhub.exceptions import ServiceError
from namespaces.flows import parsed_revision
from namespaces.selectors import flow_get

from .dispatch import enqueue_advance
from .logsink import BufferedLogSink
from .models import Execution, TaskRun
from .reach import Reach
from .services import execution_create
from .transitions import task_run_transition


class SubflowNotStarted(EngineError):
    """The child execution could not be created: the Subflow run fails with this reason."""


def subflow_start(execution: Execution, run: TaskRun, task: Subflow, render: Callable[[Any], Any]) -> dict[str, Any]:
    """Create the execution `run` calls for, as a child of `execution`; the run's outputs `{executionId}`.

    Raises an EngineError naming the reason when the child cannot be created, or when whoever saved the
    calling flow may not start flows in the child's namespace (reach.py). Called in the executor's
    transaction: the child's first `advance` is sent once that commits.
    """
    call = subflow_call(task, render)
    # Checked before the flow is looked up: whether it exists is not for everyone to learn.
    Reach.of(execution).require(call.namespace, Role.EXECUTOR)
    limit = settings.FLOWHUB_MAX_SUBFLOW_DEPTH
    if _depth(execution, limit) >= limit:
        raise SubflowNotStarted(
            f"cannot start flow '{call.namespace}.{call.flow_id}': subflows nest at most {limit} deep "
            "(FLOWHUB_MAX_SUBFLOW_DEPTH) and this execution is that deep already; does a flow call itself?"
        )
    parent_labels = {label["key"]: label["value"] for label in execution.labels}
    try:
        child = execution_create(
            flow=flow_get(namespace=call.namespace, flow_id=call.flow_id),
            inputs=call.inputs,
            labels=child_labels(call, parent_labels, inherit=task.inheritLabels),
            revision=call.revision,
            schedule_date=call.schedule_date,
            parent_task_run=run,
            trigger=subflow_trigger(
                task, execution.id, execution.namespace, execution.flow_id, execution.flow_revision.revision
            ),
        )
    except (ServiceError, InvalidInputsError) as exc:
        raise SubflowNotStarted(f"cannot start flow '{call.namespace}.{call.flow_id}': {_reason(exc)}") from exc
    return {"executionId": child.id}


def _depth(execution: Execution, limit: int) -> int:
    """How many Subflow calls led to `execution` (0 when none did), counted no further than `limit`."""
    depth, current = 0, execution.id
    while depth < limit:
        parent = Execution.objects.filter(pk=current).values_list("parent_task_run__execution_id", flat=True).first()
        if parent is None:
            break
        depth, current = depth + 1, parent
    return depth


def _reason(exc: ServiceError | InvalidInputsError) -> str:
    if isinstance(exc, InvalidInputsError):
        return f"invalid inputs: {exc}"
    return "; ".join([exc.detail, *map(str, exc.errors)])


def subflow_child_ended(*, child: Execution) -> bool:
    """End the Subflow run waiting for `child`, which has ended, with its state and outputs; then advance
    the parent. A run that no longer waits (ended, killed, or not waiting at all) is left alone, so a
    second call changes nothing. True when it ended the run."""
    if child.parent_task_run_id is None:
        return False
    run = TaskRun.objects.select_related("execution__flow_revision").filter(pk=child.parent_task_run_id).first()
    if run is None or run.state != State.RUNNING:
        return False
    task = parsed_revision(run.execution.flow_revision).task(run.task_id)
    if not isinstance(task, Subflow) or not task.wait:
        return False
    child_state = State(child.state)
    target = subflow_result(task, child_state)
    outputs = subflow_outputs(child.id, child_state, child.outputs)
    if not task_run_transition(run, target, outputs=outputs, ended_at=timezone.now()):
        return False
    if child_state not in (State.SUCCESS, State.WARNING):
        sink = BufferedLogSink(run.execution, run)
        sink.emit("ERROR" if target == State.FAILED else "WARN", f"subflow execution {child.id} ended {child_state}")
        sink.flush()
    transaction.on_commit(partial(enqueue_advance, run.execution_id))
    return True


def subflow_children(*, execution_id: str) -> list[str]:
    """The ids of the executions its Subflow runs started that have not ended."""
    children = Execution.objects.filter(parent_task_run__execution_id=execution_id).exclude(state__in=TERMINAL)
    return list(children.values_list("id", flat=True))
