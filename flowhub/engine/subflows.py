"""The pure parts of a Subflow: the call it makes as its run starts, and the state its run ends in.

The executor renders the call (executions/subflows.py creates the execution it asks for); when that
execution ends, its state and outputs end the Subflow's run as `subflow_result` says.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .errors import EngineError
from .inputs.temporal import to_datetime
from .inputs.values import as_text
from .planner import tolerated
from .states import State
from .tasks.flow import Subflow

CORRELATION_LABEL = "system.correlationId"
_PASSED_ON = frozenset({State.SUCCESS, State.WARNING})


@dataclass(frozen=True)
class SubflowCall:
    """The execution a Subflow run asks for, rendered."""

    namespace: str
    flow_id: str
    revision: int | None
    inputs: dict[str, Any]
    labels: tuple[tuple[str, str], ...]
    schedule_date: datetime | None = None


def subflow_call(task: Subflow, render: Callable[[Any], Any]) -> SubflowCall:
    """The call with its namespace, flow id, each input and each label rendered. `render` may raise."""
    labels = task.labels or {}
    pairs = labels.items() if isinstance(labels, dict) else ((label["key"], label["value"]) for label in labels)
    return SubflowCall(
        namespace=as_text(render(task.namespace)),
        flow_id=as_text(render(task.flowId)),
        revision=task.revision,
        inputs={name: render(value) for name, value in task.inputs.items()},
        labels=tuple((as_text(render(key)), as_text(render(value))) for key, value in pairs),
        schedule_date=None if task.scheduleDate is None else _schedule_date(render(task.scheduleDate)),
    )


def _schedule_date(rendered: Any) -> datetime:
    try:
        return to_datetime(rendered)
    except ValueError as exc:
        raise EngineError(f"scheduleDate {rendered!r}: {exc}") from None


def child_labels(call: SubflowCall, parent_labels: dict[str, str], *, inherit: bool) -> list[tuple[str, str]]:
    """The labels the child execution is asked for: the parent's correlation id, the parent's other
    labels when `inheritLabels`, then the Subflow's own, which win."""
    labels = {key: value for key, value in parent_labels.items() if inherit and not key.startswith("system.")}
    if CORRELATION_LABEL in parent_labels:
        labels[CORRELATION_LABEL] = parent_labels[CORRELATION_LABEL]
    labels.update(call.labels)
    return list(labels.items())


def subflow_trigger(task: Subflow, execution_id: str, namespace: str, flow_id: str, revision: int) -> dict[str, Any]:
    """The child's `trigger`, as Kestra records it: the Subflow task and the parent execution's flow."""
    return {
        "id": task.id,
        "type": Subflow.TYPE,
        "variables": {"executionId": execution_id, "namespace": namespace, "flowId": flow_id, "flowRevision": revision},
    }


def subflow_result(task: Subflow, child_state: State) -> State:
    """The state a waiting Subflow run ends in once its execution ended in `child_state`.

    As Kestra: the child's state is passed on only with `transmitFailed` (else SUCCESS); a killed or
    cancelled child counts as failed, since only a kill of the parent itself ends its runs KILLED.
    """
    if not task.transmitFailed:
        return State.SUCCESS
    return tolerated(task, child_state if child_state in _PASSED_ON else State.FAILED)


def subflow_outputs(execution_id: str, child_state: State, child_outputs: dict[str, Any]) -> dict[str, Any]:
    """`outputs.<task>` once the child ended: its id, its state, and its flow outputs."""
    return {"executionId": execution_id, "state": child_state.value, "outputs": child_outputs}
