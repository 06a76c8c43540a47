"""Executions: creating them, advancing them (the executor step) and running task runs (the worker step).

Each step is a plain function the Celery tasks call and tests call directly. Both steps are
idempotent: the executor holds the execution's row lock while it plans, and every state change
is a compare-and-set, so a redelivered message finds its work done.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import timedelta
from functools import partial
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from flowhub.engine import inputs as engine_inputs
from flowhub.engine import templating
from flowhub.engine.context import ExecutionInfo, RunContext, variables
from flowhub.engine.errors import EngineError, ErrorDetail
from flowhub.engine.flowable import ExecutorTask
from flowhub.engine.functions import RevealedSecrets, namespace_functions
from flowhub.engine.ids import new_id
from flowhub.engine.model import Flow as ParsedFlow
from flowhub.engine.planner import Plan, Snapshot, plan, runs_if, started_outputs, task_outputs, tolerated
from flowhub.engine.ports import TaskRunRef
from flowhub.engine.registry import TaskDefinition
from flowhub.engine.retries import next_delay
from flowhub.engine.states import TERMINAL, State
from flowhub.exceptions import Conflict, Invalid, NotFound
from flowhub.timestamps import iso_utc
from namespaces.flows import parsed_revision
from namespaces.models import Flow, FlowRevision
from namespaces.selectors import flow_revision_get

from .dispatch import enqueue_advance, enqueue_run_task
from .files import delete_execution_files, store_input_file
from .heartbeat import Heartbeat, lease
from .logsink import BufferedLogSink
from .models import Execution, TaskRun
from .store import STORE, TASK_SERVICES
from .transitions import execution_transition, history_entry, task_run_transition

logger = logging.getLogger(__name__)

STALLED_AFTER = timedelta(seconds=30)
WORKER_STATES = [State.CREATED, State.RUNNING, State.KILLING, State.RETRYING]
RETRY_GRACE = timedelta(seconds=5)
"""How late a retry's own message may be before the sweep sends another."""
"""The states of a task run that a worker has, or will have."""
SWEEP_BATCH = 500
USER_SYSTEM_LABELS = frozenset({"system.correlationId"})


def execution_create(
    *,
    flow: Flow,
    inputs: Mapping[str, Any],
    labels: list[tuple[str, str]],
    revision: int | None = None,
    files: Mapping[str, UploadedFile] | None = None,
) -> Execution:
    """Validate inputs against the flow and store a CREATED execution; the executor takes it from there.

    `files` are uploads by input id: FILE inputs are streamed into storage first, and removed
    again if the execution cannot be created, so a refused request leaves nothing behind.
    """
    flow_revision = flow_revision_get(flow=flow, revision=revision)
    parsed = parsed_revision(flow_revision)
    if parsed.disabled:
        raise Conflict(f"flow '{flow}' is disabled")
    if parsed.not_runnable:
        raise Conflict(f"flow '{flow}' uses what flowhub cannot run yet", list(parsed.not_runnable))
    execution_id = new_id()
    stored = _store_file_inputs(parsed, execution_id, files or {})
    try:
        execution = _create(parsed, flow_revision, execution_id, {**inputs, **stored}, labels)
    except BaseException:
        delete_execution_files(list(stored.values()))
        raise
    return execution


def _store_file_inputs(parsed: ParsedFlow, execution_id: str, files: Mapping[str, UploadedFile]) -> dict[str, str]:
    file_inputs = {spec.id for spec in parsed.inputs if spec.type == "FILE"}
    empty = [
        ErrorDetail(f"inputs.{name}", "the uploaded file is empty")
        for name, upload in files.items()
        if name in file_inputs and upload.size == 0
    ]
    if empty:
        raise Invalid("invalid inputs", empty)
    return {
        name: store_input_file(
            namespace=parsed.namespace, flow_id=parsed.id, execution_id=execution_id, input_id=name, upload=upload
        )
        for name, upload in files.items()
        if name in file_inputs
    }


def _create(
    parsed: ParsedFlow,
    flow_revision: FlowRevision,
    execution_id: str,
    inputs: Mapping[str, Any],
    labels: list[tuple[str, str]],
) -> Execution:
    resolved = engine_inputs.resolve(parsed.inputs, inputs)
    now = timezone.now()
    execution = Execution(
        id=execution_id,
        namespace=parsed.namespace,
        flow_id=parsed.id,
        flow_revision=flow_revision,
        state=State.CREATED,
        state_history=[history_entry(State.CREATED, now)],
        inputs=resolved,
        labels=_execution_labels(parsed, labels, execution_id),
        updated_at=now,
    )
    with transaction.atomic():
        execution.save(force_insert=True)
        transaction.on_commit(partial(enqueue_advance, execution.id))
    return execution


def _execution_labels(parsed: ParsedFlow, requested: list[tuple[str, str]], execution_id: str) -> list[dict[str, str]]:
    forbidden = [
        ErrorDetail("labels", f"system labels can only be set by flowhub itself, offending label: {key}={value}")
        for key, value in requested
        if key.startswith("system.") and key not in USER_SYSTEM_LABELS
    ]
    if forbidden:
        raise Invalid("invalid labels", forbidden)
    labels = {**parsed.labels, **dict(requested)}
    labels.setdefault("system.correlationId", execution_id)
    return [{"key": key, "value": value} for key, value in labels.items()]


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
        verdict = True if task.runIf is None else _evaluated(execution, parsed, runs, task, runs_if)
        if verdict is None:
            _fail(run, now)
        elif not verdict:
            task_run_transition(run, State.SKIPPED, ended_at=now)
        elif run.on_worker:
            transaction.on_commit(partial(enqueue_run_task, run.id))
    for run_id in decision.resolve:
        run = runs[run_id]
        outputs = _evaluated(execution, parsed, runs, parsed.task(run.task_id), started_outputs)
        if outputs is None:
            _fail(run, now)
        else:
            task_run_transition(run, State.RUNNING, started_at=now, outputs=outputs)
    for run_id, state in decision.end:
        task_run_transition(runs[run_id], state, ended_at=now)
    if decision.finish is not None:
        _finish(execution, parsed, decision.finish, task_outputs(tuple(run.view() for run in runs.values())))


def execution_kill(*, execution_id: str) -> Execution:
    """Kill an execution: tasks not started never start, flowable tasks end KILLED, and a worker's running
    task ends KILLED when the worker stops (KILLING until then). Conflict when it has already ended."""
    with transaction.atomic():
        execution = _locked(execution_id)
        if State(execution.state) in TERMINAL:
            raise Conflict(f"execution '{execution_id}' has already ended ({execution.state})")
        now = timezone.now()
        if State(execution.state) in (State.CREATED, State.QUEUED):
            execution_transition(execution, State.KILLED, ended_at=now)
        elif execution.state != State.KILLING:
            execution_transition(execution, State.KILLING)
        for run in execution.task_runs.exclude(state__in=[state.value for state in TERMINAL]):
            if run.on_worker and run.state == State.RUNNING:
                task_run_transition(run, State.KILLING)
            elif run.state != State.KILLING:
                task_run_transition(run, State.KILLED, ended_at=now)
        transaction.on_commit(partial(enqueue_advance, execution.id))
    return execution


def execution_pause(*, execution_id: str) -> Execution:
    """Pause a running execution at the next task boundary: what runs goes on, nothing new starts."""
    with transaction.atomic():
        execution = _locked(execution_id)
        if execution.state != State.RUNNING:
            raise Conflict(f"only a running execution can be paused; '{execution_id}' is {execution.state}")
        execution_transition(execution, State.PAUSED)
    return execution


def execution_resume(*, execution_id: str) -> Execution:
    """Resume a paused execution where it stopped."""
    with transaction.atomic():
        execution = _locked(execution_id)
        if execution.state != State.PAUSED:
            raise Conflict(f"only a paused execution can be resumed; '{execution_id}' is {execution.state}")
        execution_transition(execution, State.RUNNING)
        transaction.on_commit(partial(enqueue_advance, execution.id))
    return execution


def _locked(execution_id: str) -> Execution:
    """The execution, its row locked for the transaction: the executor waits while an action applies."""
    execution = Execution.objects.select_for_update(of=("self",)).filter(pk=execution_id).first()
    if execution is None:
        raise NotFound(f"no execution '{execution_id}'")
    return execution


def _fail(run: TaskRun, now: Any) -> None:
    """End a run the executor could not start (its condition did not render): RUNNING, then FAILED."""
    task_run_transition(run, State.RUNNING, started_at=now)
    task_run_transition(run, State.FAILED, ended_at=now)


def _evaluated(
    execution: Execution, parsed: ParsedFlow, runs: dict[str, TaskRun], task: TaskDefinition, evaluate: Any
) -> Any:
    """`evaluate(task, render)` with the execution's context; None, with the reason logged, if rendering fails."""
    revealed = RevealedSecrets()
    context = variables(
        parsed,
        _execution_info(execution),
        task_outputs(tuple(run.view() for run in runs.values())),
        task={"id": task.id, "type": task.type},
        functions=namespace_functions(STORE, parsed.namespace, revealed),
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
        functions = namespace_functions(STORE, parsed.namespace, revealed)
        context = variables(parsed, _execution_info(execution), outputs_by_task, functions=functions)
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


def task_run_execute(*, task_run_id: str, worker_id: str) -> None:
    """The worker step: claim the task run, run its task outside any transaction, record the outcome."""
    task_run = TaskRun.objects.select_related("execution__flow_revision").filter(pk=task_run_id).first()
    started = timezone.now()
    if task_run is None or not task_run.on_worker or not _claimable(task_run, started):
        return
    claimed = task_run_transition(
        task_run,
        State.RUNNING,
        attempt=task_run.attempt + 1,
        worker_id=worker_id,
        heartbeat_at=started,
        started_at=started,
    )
    if not claimed:
        return  # another delivery of this message got there first
    execution = task_run.execution
    sink = BufferedLogSink(execution, task_run)
    revealed = RevealedSecrets()
    run = TaskRunRef(execution.namespace, execution.flow_id, execution.id, task_run.task_id, task_run.id)
    ctx = RunContext({}, sink, revealed, services=TASK_SERVICES, task_run=run)
    try:
        with Heartbeat(task_run.id, ctx.stop):
            outputs, final = _run(task_run, execution, ctx), State.SUCCESS
    except Exception as exc:  # a failing task is a state, not a crash of the worker
        logger.info("task run %s failed", task_run.id, exc_info=not isinstance(exc, EngineError))
        sink.emit("ERROR", revealed.mask(_failure_message(exc)))
        outputs, final = {}, State.FAILED
    task = parsed_revision(execution.flow_revision).task(task_run.task_id)
    delay = _retry_delay(task, task_run, ctx.render) if final == State.FAILED else None
    with transaction.atomic():
        sink.flush()
        if delay is not None:
            if task_run_transition(task_run, State.RETRYING, retry_at=timezone.now() + delay, outputs={}):
                sink.emit("WARN", f"attempt {task_run.attempt} failed; attempt {task_run.attempt + 1} in {delay}")
                sink.flush()
                transaction.on_commit(partial(enqueue_run_task, task_run.id, delay))
                return
        elif final == State.SUCCESS and task_run.attempt > 1 and task.retry is not None and task.retry.warningOnRetry:
            final = State.WARNING
        if not task_run_transition(task_run, tolerated(task, final), outputs=outputs, ended_at=timezone.now()):
            _end_killed(task_run)
        transaction.on_commit(partial(enqueue_advance, execution.id))


def _worker_lost(run: TaskRun, task: TaskDefinition, now: Any) -> bool:
    """End an attempt whose worker is gone: retried as its policy allows, else FAILED. False if its worker
    answered after all."""
    delay = _retry_delay(task, run, lambda value: value)
    target = State.FAILED if delay is None else State.RETRYING
    fields = {"ended_at": now} if delay is None else {"retry_at": now + delay}
    if not task_run_transition(run, target, **fields):
        return False
    worker = run.worker_id or "its worker"
    retrying = "" if delay is None else f"; attempt {run.attempt + 1} in {delay}"
    sink = BufferedLogSink(run.execution, run)
    sink.emit("ERROR", f"worker lost: no heartbeat from {worker} within {lease().total_seconds():.0f} s{retrying}")
    sink.flush()
    if delay is not None:
        transaction.on_commit(partial(enqueue_run_task, run.id, delay))
    return True


def _claimable(task_run: TaskRun, now: Any) -> bool:
    """A run waiting for its first attempt, or for another one whose time has come."""
    if task_run.state == State.RETRYING:
        return task_run.retry_at is not None and task_run.retry_at <= now
    return task_run.state == State.CREATED


def _retry_delay(task: TaskDefinition, task_run: TaskRun, render: Any) -> timedelta | None:
    """How long until the next attempt of a failed one, if the task's retry policy allows one."""
    if task.retry is None:
        return None
    try:
        return next_delay(task.retry, task_run.attempt, timezone.now() - task_run.created_at, render)
    except (EngineError, ValueError) as exc:
        logger.warning("task run %s: its retry policy does not evaluate (%s); not retried", task_run.id, exc)
        return None


def _end_killed(task_run: TaskRun) -> None:
    """The run was killed while its task ran (KILLING): now that the task has stopped, it is KILLED."""
    task_run.refresh_from_db(fields=["state", "state_history"])
    if task_run.state == State.KILLING:
        task_run_transition(task_run, State.KILLED, ended_at=timezone.now())


def _taskrun_variables(task_run: TaskRun, runs: dict[str, TaskRun]) -> dict[str, Any]:
    """`taskrun`: its id, start and attempts; in a loop its `value` and `iteration` (of the nearest loop)."""
    variables_ = {"id": task_run.id, "startDate": iso_utc(task_run.started_at), "attemptsCount": task_run.attempt - 1}
    current: TaskRun | None = task_run
    while current is not None and current.iteration is None:
        current = runs.get(current.parent_id or "")
    if current is not None:
        variables_.update(value=task_run.value, iteration=current.iteration)
    return variables_


def _run(task_run: TaskRun, execution: Execution, ctx: RunContext) -> dict[str, Any]:
    """Run the task in `ctx`, its variables filled in here; its outputs, with the secrets it read masked."""
    parsed = parsed_revision(execution.flow_revision)
    task = parsed.task(task_run.task_id)
    runs = {run.id: run for run in TaskRun.objects.filter(execution=execution)}
    ctx.variables = variables(
        parsed,
        _execution_info(execution),
        task_outputs(tuple(run.view() for run in runs.values())),
        task={"id": task.id, "type": task.type},
        taskrun=_taskrun_variables(task_run, runs),
        functions=namespace_functions(STORE, parsed.namespace, ctx.revealed),
    )
    if (parent := runs.get(task_run.parent_id or "")) is not None:
        ctx.variables["parent"] = {"taskrun": {"value": parent.value}, "outputs": parent.outputs}
    outputs = ctx.revealed.mask(task.run(ctx))
    return json.loads(json.dumps(outputs, default=str))  # what the database stores is what later tasks see


def _failure_message(exc: Exception) -> str:
    if isinstance(exc, EngineError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _execution_info(execution: Execution) -> ExecutionInfo:
    return ExecutionInfo(
        id=execution.id,
        state=execution.state,
        start_date=execution.state_history[0]["date"] if execution.state_history else None,
        original_id=execution.id,
        flow_revision=execution.flow_revision.revision,
        labels={label["key"]: label["value"] for label in execution.labels},
        inputs=execution.inputs,
    )


def executions_sweep() -> dict[str, int]:
    """Re-send the messages of work nobody picked up (DESIGN.md §5 rule 1): the broker may lose them."""
    cutoff = timezone.now() - STALLED_AFTER
    now = timezone.now()
    waiting = TaskRun.objects.filter(
        Q(state=State.CREATED, created_at__lt=cutoff) | Q(state=State.RETRYING, retry_at__lt=now - RETRY_GRACE),
        on_worker=True,
    )
    unclaimed = list(waiting.values_list("id", flat=True)[:SWEEP_BATCH])
    # An execution with no worker on it needs the executor; flowable runs stay RUNNING while it decides.
    idle = list(
        Execution.objects.filter(state__in=[State.CREATED, State.RUNNING, State.KILLING], updated_at__lt=cutoff)
        .exclude(pk__in=TaskRun.objects.filter(on_worker=True, state__in=WORKER_STATES).values("execution_id"))
        .values_list("id", flat=True)[:SWEEP_BATCH]
    )
    for task_run_id in unclaimed:
        enqueue_run_task(task_run_id)
    for execution_id in idle:
        enqueue_advance(execution_id)
    return {"task_runs": len(unclaimed), "executions": len(idle)}


def task_runs_reap(*, now: Any = None) -> int:
    """End the attempts whose worker is gone (DESIGN.md §5 rule 2): no heartbeat within the lease.

    A heartbeat that never came counts from the attempt's start. A running attempt is retried as
    its task's policy allows, else ends FAILED "worker lost"; a killed one ends KILLED.
    """
    now = now or timezone.now()
    expired = now - lease()
    lost = TaskRun.objects.select_related("execution__flow_revision").filter(
        Q(heartbeat_at__lt=expired) | Q(heartbeat_at__isnull=True, started_at__lt=expired),
        on_worker=True,
        state__in=[State.RUNNING, State.KILLING],
    )
    reaped = 0
    for run in lost[:SWEEP_BATCH]:
        task = parsed_revision(run.execution.flow_revision).task(run.task_id)
        with transaction.atomic():
            if run.state == State.KILLING:
                ended = task_run_transition(run, State.KILLED, ended_at=now)
            else:
                ended = _worker_lost(run, task, now)
            if ended:
                transaction.on_commit(partial(enqueue_advance, run.execution_id))
                reaped += 1
    return reaped
