"""Flow triggers: when an execution ends, the flows whose Flow trigger listens to it start
(engine/flow_triggers.py decides which; this module finds the listeners and starts their executions).

It runs in the transaction that ended the execution, so each end fires each trigger once, and it
runs at every end: without any Flow trigger it costs one indexed query; with some, one more for
their flows, whose revisions are parsed once per process, and one for the role bindings of those
revisions' savers when the ended execution is outside their flows' namespaces: a trigger reacts only
to executions its flow's saver may see (reach.py). A trigger that waits for several flows to end within a
window (its preconditions, a MultipleCondition) looks up, for each that the ended execution is not, the
latest execution that ended in the window and counts (engine's `counts`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from access.roles import Role
from flowhub.engine.conditions import ConditionContext, ConditionError, ExecutionFacts
from flowhub.engine.errors import InvalidInputsError
from flowhub.engine.flow_triggers import (
    Awaited,
    Upstream,
    counts,
    flow_trigger_variables,
    listened_states,
    listens,
    merged_outputs,
    windows,
)
from flowhub.engine.model import Flow as ParsedFlow
from flowhub.engine.states import TERMINAL, State, attempt_states
from flowhub.engine.subflows import CORRELATION_LABEL
from flowhub.engine.tasks.triggers import FlowTrigger
from flowhub.engine.triggering import FROM_LABEL, trigger_context
from flowhub.exceptions import Conflict, Invalid
from namespaces.flows import parsed_revision
from namespaces.models import Flow

from .models import Execution, Trigger
from .reach import reach_allowed, savers_load
from .services import execution_create_failed
from .triggered import trigger_execution_create, trigger_functions, trigger_labels, trigger_record

logger = logging.getLogger(__name__)

LOOKBACK = 100
"""How many of the latest executions that ended in a window are searched for one that counts."""

Listener = tuple[Flow, ParsedFlow, FlowTrigger]


def flow_triggers_fire(*, upstream: Execution) -> None:
    """Start an execution of each flow whose Flow trigger listens to `upstream`, which just ended.

    A flow that cannot start never troubles the end of `upstream`: inputs it refuses make a FAILED
    execution of it saying why (as Kestra 2 does, for the flow's owners to see, not the upstream's);
    any other failure is logged.
    """
    listeners = _in_sight(_listeners(upstream), upstream.namespace)
    if not listeners:
        return
    ended = _upstream(upstream)
    now = timezone.now()
    for flow, parsed, trigger in listeners:
        if upstream.state not in listened_states(trigger):
            continue
        try:
            with transaction.atomic():
                _fire(flow, parsed, trigger, upstream, ended, now)
        except Conflict as error:
            logger.info("flow trigger %s of %s not fired for %s: %s", trigger.id, flow, upstream.id, error)
        except Exception:
            logger.exception("flow trigger %s of %s failed for %s", trigger.id, flow, upstream.id)


def _listeners(upstream: Execution) -> list[Listener]:
    """Every enabled Flow trigger of another flow, in a stable order (so that locks are taken in one order)."""
    rows = Trigger.objects.filter(type=FlowTrigger.TYPE, disabled=False)
    keys = sorted(
        rows.exclude(namespace=upstream.namespace, flow_id=upstream.flow_id).values_list(
            "namespace", "flow_id", "trigger_id"
        )
    )
    if not keys:
        return []
    wanted = Q()
    for namespace, flow_id in {(namespace, flow_id) for namespace, flow_id, _ in keys}:
        wanted |= Q(namespace_id=namespace, flow_id=flow_id)
    flows = {
        (flow.namespace_id, flow.flow_id): flow
        for flow in Flow.objects.select_related("current__saved_by").filter(wanted)
    }
    listeners: list[Listener] = []
    for namespace, flow_id, trigger_id in keys:
        flow = flows.get((namespace, flow_id))
        if flow is None or flow.deleted or flow.current is None:
            continue
        parsed = parsed_revision(flow.current)
        found = [trigger for trigger in parsed.triggers if trigger.id == trigger_id]
        if not parsed.disabled and found and isinstance(found[0], FlowTrigger):
            listeners.append((flow, parsed, found[0]))
    return listeners


def _in_sight(listeners: list[Listener], namespace: str) -> list[Listener]:
    """The listeners whose flow's saver may see `namespace`: a trigger neither reacts to nor receives the
    outputs of executions that are not its saver's to read."""
    savers_load(((flow.namespace_id, flow.current) for flow, _, _ in listeners if flow.current), namespace, Role.VIEWER)
    return [listener for listener in listeners if _sees(listener[0], namespace)]


def _sees(flow: Flow, namespace: str) -> bool:
    assert flow.current is not None
    return reach_allowed(flow_namespace=flow.namespace_id, revision=flow.current, target=namespace, role=Role.VIEWER)


def _fire(
    flow: Flow, parsed: ParsedFlow, trigger: FlowTrigger, upstream: Execution, ended: Upstream, now: datetime
) -> None:
    functions = trigger_functions(flow)
    listening = Listening(flow, parsed, trigger, functions)
    context = listening.context(ended, upstream.outputs, now)
    try:
        if not listens(trigger, context):
            return
        awaited = _awaited_executions(listening, context, now)
    except ConditionError as error:
        logger.warning("flow trigger %s of %s: %s", trigger.id, flow, error)
        return
    if awaited is None:
        return
    runs = list(upstream.task_runs.order_by("created_at", "id").values_list("task_id", "state"))
    variables = flow_trigger_variables(
        ended,
        merged_outputs(*(execution.outputs for execution in awaited), upstream.outputs),
        first_failed_task_id=next((task_id for task_id, state in runs if state == State.FAILED), None),
        last_task_id=runs[-1][0] if runs else None,
    )
    context = trigger_context(parsed, ended.facts, variables, functions)
    correlation = (CORRELATION_LABEL, ended.facts.labels.get(CORRELATION_LABEL, upstream.id))
    try:
        labels = [*trigger_labels(trigger, context), correlation]
        trigger_execution_create(
            flow=flow, trigger=trigger, inputs=trigger.inputs, variables=variables, context=context, labels=labels
        )
    except (Invalid, InvalidInputsError) as error:
        execution_create_failed(
            flow=flow,
            labels=[(FROM_LABEL, "trigger"), correlation],
            trigger=trigger_record(trigger, variables),
            errors=error.errors,
        )


@dataclass(frozen=True)
class Listening:
    """A Flow trigger of `flow`, with the functions its expressions call."""

    flow: Flow
    parsed: ParsedFlow
    trigger: FlowTrigger
    functions: dict[str, Any]

    def context(self, ended: Upstream, outputs: dict[str, Any], now: datetime) -> ConditionContext:
        """What the trigger's conditions see of `ended`: as `trigger`, what its execution would."""
        variables = trigger_context(self.parsed, ended.facts, flow_trigger_variables(ended, outputs), self.functions)
        return ConditionContext(self.parsed.namespace, self.parsed.id, ended.facts, variables, now)


def _awaited_executions(listening: Listening, context: ConditionContext, now: datetime) -> list[Execution] | None:
    """For each of the trigger's windows (preconditions, MultipleConditions), an execution that ended in it
    (after the trigger last fired, with `resetOnSuccess`) for each thing it awaits that the execution of
    `context` does not satisfy; None while one is missing.

    The trigger's row is locked first: of two upstream executions ending at once, the later sees the earlier.
    """
    flow = listening.flow
    waiting = [(window, awaited) for window in windows(listening.trigger) if (awaited := window.still_awaited(context))]
    if not waiting:
        return []
    named = {each.namespace for _, awaited in waiting for each in awaited if each.namespace is not None}
    if not all(_sees(flow, namespace) for namespace in named):
        return None  # their outputs would reach the trigger's execution
    keys = {"namespace": flow.namespace_id, "flow_id": flow.flow_id, "trigger_id": listening.trigger.id}
    row = Trigger.objects.select_for_update().filter(**keys).first()
    if row is None:
        return None
    found: list[Execution] = []
    for window, awaited in waiting:
        bounds = window.bounds(now)
        if bounds is None:
            return None
        for each in awaited:
            match = _latest_ended(listening, each, bounds[0], row.last_date if window.resetOnSuccess else None)
            if match is None:
                return None
            found.append(match)
    Trigger.objects.filter(pk=row.pk).update(last_date=now)
    return found


def _latest_ended(listening: Listening, awaited: Awaited, start: datetime, since: datetime | None) -> Execution | None:
    """The latest execution that ended since `start` (and after `since`) and counts for `awaited`. Where
    `awaited` names no namespace, among the latest of every namespace the flow's saver may see."""
    flow = listening.flow
    states = listened_states(listening.trigger) & set(awaited.states or TERMINAL)
    # An ended execution was last updated when it ended, or later: the index on (state, updated_at) narrows.
    candidates = Execution.objects.filter(state__in=sorted(states), ended_at__gte=start, updated_at__gte=start)
    candidates = candidates.exclude(namespace=flow.namespace_id, flow_id=flow.flow_id)
    if awaited.namespace is not None:
        candidates = candidates.filter(namespace=awaited.namespace)
    if awaited.flowId is not None:
        candidates = candidates.filter(flow_id=awaited.flowId)
    if since is not None:
        candidates = candidates.filter(ended_at__gt=since)
    for candidate in candidates.select_related("flow_revision").order_by("-ended_at")[:LOOKBACK]:
        if awaited.namespace is None and not _sees(flow, candidate.namespace):
            continue
        assert candidate.ended_at is not None
        context = listening.context(_upstream(candidate), candidate.outputs, candidate.ended_at)
        try:
            if counts(listening.trigger, awaited, context):
                return candidate
        except ConditionError as error:
            logger.info("flow trigger %s of %s: %s does not count: %s", listening.trigger.id, flow, candidate.id, error)
    return None


def _upstream(execution: Execution) -> Upstream:
    return Upstream(
        id=execution.id,
        facts=_facts(execution),
        flow_revision=execution.flow_revision.revision,
        start_date=execution.start_date,
        end_date=execution.end_date,
    )


def _facts(execution: Execution) -> ExecutionFacts:
    labels = {label["key"]: label["value"] for label in execution.labels}
    attempts = partial(_attempts, execution)
    return ExecutionFacts(execution.namespace, execution.flow_id, execution.state, labels, execution.outputs, attempts)


def _attempts(execution: Execution) -> tuple[tuple[State, ...], ...]:
    """The states of each task run's attempts: looked up only when a condition asks (HasRetryAttempt)."""
    histories = execution.task_runs.values_list("state_history", flat=True)
    return tuple(attempt_states(State(entry["state"]) for entry in history) for history in histories)
