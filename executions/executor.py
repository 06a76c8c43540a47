"""The executor step: under the execution's row lock, plan with the engine and apply until only workers are awaited.

Idempotent: the lock serialises two deliveries of `advance`, and every state change is a
compare-and-set, so a redelivered message finds its work done."""

from __future__ import annotations

from functools import cache, partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from flowhub.engine import inputs as engine_inputs
from flowhub.engine import templating
from flowhub.engine.context import ExecutionInfo, variables
from flowhub.engine.errors import EngineError
from flowhub.engine.flowable import ExecutorTask
from flowhub.engine.functions import RevealedSecrets
from flowhub.engine.model import Flow as ParsedFlow
from flowhub.engine.planner import Plan, Snapshot, plan, runs_if, started_outputs, task_outputs
from flowhub.engine.registry import TaskDefinition
from flowhub.engine.states import TERMINAL, State
from namespaces.flows import parsed_revision

from .dispatch import enqueue_run_task
from .logsink import BufferedLogSink
from .models import Execution, TaskRun
from .store import template_functions
from .transitions import execution_transition, history_entry, task_run_transition

MAX_STEPS_PER_ADVANCE = 1000
"""Bounds one executor call; a flow resolves far fewer flowable tasks in one go than this."""


def execution_advance(*, execution_id: str) -> None:
    """The executor step: under the execution's row lock, plan and apply until only workers are awaited.

    Flowable tasks resolve here, so one call may take several steps: start an If, create its
    branch's first task, and so on.
    """
    with transaction.atomic():
        # Lock the execution row only: every execution of a revision shares its row.
        locked = Execution.objects.select_for_update(of=("self",))
        execution = locked.select_related("flow_revision").filter(pk=execution_id).first()
        if execution is None or State(execution.state) in TERMINAL:
            return
        parsed = parsed_revision(execution.flow_revision)
        runs = {run.id: run for run in execution.task_runs.all()}
        for _ in range(MAX_STEPS_PER_ADVANCE):
            views = tuple(run.view() for run in runs.values())
            decision = plan(Snapshot(flow=parsed, state=State(execution.state), task_runs=views))
            if decision.is_empty:
                return
            _apply(decision, execution, parsed, runs)
            if decision.finish is not None:
                return
        raise RuntimeError(f"execution {execution_id} did not settle in {MAX_STEPS_PER_ADVANCE} steps")


def _apply(decision: Plan, execution: Execution, parsed: ParsedFlow, runs: dict[str, TaskRun]) -> None:
    now = timezone.now()
    # What templates see of ended runs: they do not change while one plan is applied.
    ended_outputs = cache(lambda: task_outputs(tuple(run.view() for run in runs.values())))
    if decision.start:
        execution_transition(execution, State.RUNNING, started_at=now)
    for new in decision.create:
        task = parsed.task(new.task_id)
        run = TaskRun.objects.create(
            execution=execution,
            task_id=task.id,
            parent_id=new.parent_id,
            value=new.value,
            iteration=new.iteration,
            on_worker=not isinstance(task, ExecutorTask),
            state=State.CREATED,
            state_history=[history_entry(State.CREATED, now)],
        )
        runs[run.id] = run
        verdict = True if task.runIf is None else _evaluated(execution, parsed, ended_outputs(), task, runs_if)
        if verdict is None:
            _fail(run, now)
        elif not verdict:
            task_run_transition(run, State.SKIPPED, ended_at=now)
        elif run.on_worker:
            transaction.on_commit(partial(enqueue_run_task, run.id))
    for run_id in decision.resolve:
        run = runs[run_id]
        outputs = _evaluated(execution, parsed, ended_outputs(), parsed.task(run.task_id), started_outputs)
        if outputs is None:
            _fail(run, now)
        else:
            task_run_transition(run, State.RUNNING, started_at=now, outputs=outputs)
    for run_id, state in decision.end:
        task_run_transition(runs[run_id], state, ended_at=now)
    if decision.finish is not None:
        _finish(execution, parsed, decision.finish, ended_outputs())


def _fail(run: TaskRun, now: Any) -> None:
    """End a run the executor could not start (its condition did not render): RUNNING, then FAILED."""
    task_run_transition(run, State.RUNNING, started_at=now)
    task_run_transition(run, State.FAILED, ended_at=now)


def _evaluated(
    execution: Execution, parsed: ParsedFlow, outputs: dict[str, Any], task: TaskDefinition, evaluate: Any
) -> Any:
    """`evaluate(task, render)` with the execution's context; None, with the reason logged, if rendering fails."""
    revealed = RevealedSecrets()
    context = variables(
        parsed,
        execution_info(execution),
        outputs,
        task={"id": task.id, "type": task.type},
        functions=template_functions(execution, revealed),
    )
    try:
        return evaluate(task, lambda value: templating.render_value(value, context))
    except EngineError as exc:
        sink = BufferedLogSink(execution)
        sink.emit("ERROR", revealed.mask(f"task '{task.id}': {exc}"))
        sink.flush()
        return None


def _finish(execution: Execution, parsed: ParsedFlow, state: State, outputs_by_task: dict[str, Any]) -> None:
    outputs: dict[str, Any] = {}
    if state in (State.SUCCESS, State.WARNING) and parsed.outputs:
        revealed = RevealedSecrets()
        functions = template_functions(execution, revealed)
        context = variables(parsed, execution_info(execution), outputs_by_task, functions=functions)
        try:
            for spec in parsed.outputs:
                outputs[spec.id] = engine_inputs.coerce(spec, templating.render_value(spec.value, context))
        except (EngineError, ValueError) as exc:
            sink = BufferedLogSink(execution)
            sink.emit("ERROR", revealed.mask(f"flow output '{spec.id}' failed: {exc}"))
            sink.flush()
            state, outputs = State.FAILED, {}
        outputs = revealed.mask(outputs)
    execution_transition(execution, state, ended_at=timezone.now(), outputs=outputs)


def execution_info(execution: Execution) -> ExecutionInfo:
    return ExecutionInfo(
        id=execution.id,
        state=execution.state,
        start_date=execution.state_history[0]["date"] if execution.state_history else None,
        original_id=execution.original_id or execution.id,
        flow_revision=execution.flow_revision.revision,
        labels={label["key"]: label["value"] for label in execution.labels},
        inputs=execution.inputs,
        trigger=execution.trigger,
    )
