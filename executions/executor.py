"""The executor step: under the execution's row lock, plan with the engine and apply until only workers are awaited.

Idempotent: the lock serialises two deliveries of `advance`, and every state change is a
compare-and-set, so a redelivered message finds its work done."""

from __future__ import annotations

from functools import cache, partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from flowhub.engine import inputs as engine_inputs
from flowhub.engine import pauses, templating
from flowhub.engine.context import ExecutionInfo, variables
from flowhub.engine.errors import EngineError
from flowhub.engine.flowable import ExecutorTask
from flowhub.engine.functions import RevealedSecrets
from flowhub.engine.model import Flow as ParsedFlow
from flowhub.engine.planner import (
    Plan,
    Snapshot,
    plan,
    runs_if,
    started_outputs,
    task_outputs,
)
from flowhub.engine.states import TERMINAL, State
from flowhub.engine.tasks.flow import Pause, Subflow
from namespaces.flows import parsed_revision

from .concurrency import execution_admit
from .dispatch import enqueue_advance, enqueue_run_task
from .endings import execution_ended
from .flow_retry import flow_retry_scheduled
from .logsink import BufferedLogSink
from .models import Execution, TaskRun
from .pauses import task_run_pause
from .run_context import execution_info, template_context
from .store import template_functions
from .subflows import subflow_start
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
        if _scheduled_later(execution):
            return
        if execution.state == State.RESTARTED:  # a restart or a replay reopened it: it runs again
            execution_transition(execution, State.RUNNING)
        if State(execution.state) in (State.CREATED, State.QUEUED) and not execution_admit(execution):
            if execution.is_terminal:  # cancelled or failed by its flow's concurrency limit
                execution_ended(execution)
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


def _scheduled_later(execution: Execution) -> bool:
    """A CREATED execution whose scheduleDate is still ahead waits. A message that came early (a clock ahead
    of the web server's) sends itself again for the rest of the wait; the sweep starts it otherwise."""
    now = timezone.now()
    if execution.state != State.CREATED or execution.schedule_date is None or execution.schedule_date <= now:
        return False
    transaction.on_commit(partial(enqueue_advance, execution.id, delay=execution.schedule_date - now))
    return True


def _apply(decision: Plan, execution: Execution, parsed: ParsedFlow, runs: dict[str, TaskRun]) -> None:
    now = timezone.now()
    # What templates see of ended runs: they do not change while one plan is applied.
    views = cache(lambda: tuple(run.view() for run in runs.values()))
    ended_outputs = cache(lambda: task_outputs(views()))
    info = cache(lambda: execution_info(execution, views()))
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
        verdict = (
            True if task.runIf is None else _evaluated(execution, parsed, info(), ended_outputs(), run, runs, runs_if)
        )
        if verdict is None:
            _fail(run, now)
        elif not verdict:
            task_run_transition(run, State.SKIPPED, ended_at=now)
        elif run.on_worker:
            transaction.on_commit(partial(enqueue_run_task, run.id))
    for run_id in decision.resolve:
        run = runs[run_id]
        task = parsed.task(run.task_id)
        if isinstance(task, Pause):
            _pause(execution, parsed, info(), ended_outputs(), run, runs, now)
            continue
        # A Subflow starts by creating its execution; the other flowables by evaluating what they run.
        start = partial(subflow_start, execution, run) if isinstance(task, Subflow) else started_outputs
        outputs = _evaluated(execution, parsed, info(), ended_outputs(), run, runs, start)
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


def _pause(
    execution: Execution,
    parsed: ParsedFlow,
    info: ExecutionInfo,
    outputs: dict[str, Any],
    run: TaskRun,
    runs: dict[str, TaskRun],
    now: Any,
) -> None:
    """Start a Pause task's run: PAUSED with its execution, until resumed or its wait is over."""
    wait = _evaluated(execution, parsed, info, outputs, run, runs, pauses.wait)
    if wait is None:
        _fail(run, now)
    else:
        task_run_pause(execution, run, wait, now)


def _evaluated(
    execution: Execution,
    parsed: ParsedFlow,
    info: ExecutionInfo,
    outputs: dict[str, Any],
    run: TaskRun,
    runs: dict[str, TaskRun],
    evaluate: Any,
) -> Any:
    """`evaluate(task, render)` with the run's context; None, with the reason logged, if rendering fails."""
    task = parsed.task(run.task_id)
    revealed = RevealedSecrets()
    context = template_context(parsed, info, outputs, template_functions(execution, revealed), run, runs)
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
    if state == State.FAILED and flow_retry_scheduled(execution, parsed):
        if execution.is_terminal:  # RETRIED: a new execution takes over
            execution_ended(execution)
        return
    execution_transition(execution, state, ended_at=timezone.now(), outputs=outputs)
    execution_ended(execution)
