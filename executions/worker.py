"""The worker step: claim a task run's next attempt, run its task outside any transaction, record the outcome.

A claim is a compare-and-set, so a second delivery of `run_task` changes nothing. A failed
attempt is retried as the task's policy allows (RETRYING until its time)."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from flowhub.engine.context import RunContext, variables
from flowhub.engine.errors import EngineError
from flowhub.engine.functions import RevealedSecrets, namespace_functions
from flowhub.engine.inputs.temporal import to_duration
from flowhub.engine.model import Flow as ParsedFlow
from flowhub.engine.planner import task_outputs, tolerated
from flowhub.engine.ports import TaskRunRef
from flowhub.engine.registry import TaskDefinition
from flowhub.engine.retries import next_delay
from flowhub.engine.states import State
from flowhub.timestamps import iso_utc
from namespaces.flows import parsed_revision

from .dispatch import enqueue_run_task
from .executor import execution_info
from .followup import advance_after_task
from .heartbeat import Heartbeat
from .logsink import BufferedLogSink
from .models import Execution, TaskRun
from .store import STORE, TASK_SERVICES
from .transitions import task_run_transition

logger = logging.getLogger(__name__)


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
    parsed = parsed_revision(execution.flow_revision)
    task = parsed.task(task_run.task_id)
    timed_out = threading.Event()
    try:
        with Heartbeat(task_run.id, ctx.stop):
            outputs, final = _run(task_run, execution, parsed, task, ctx, timed_out), State.SUCCESS
    except Exception as exc:  # a failing task is a state, not a crash of the worker
        logger.info("task run %s failed", task_run.id, exc_info=not isinstance(exc, EngineError))
        if not timed_out.is_set():
            sink.emit("ERROR", revealed.mask(_failure_message(exc)))
        outputs, final = {}, State.FAILED
    if timed_out.is_set():
        sink.emit("ERROR", f"timed out: the attempt ran past its timeout of {task.timeout}")
        outputs, final = {}, State.FAILED
    delay = retry_delay(task, task_run, ctx.render) if final == State.FAILED else None
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
            end_killed(task_run)
        transaction.on_commit(partial(advance_after_task, execution.id))


def _claimable(task_run: TaskRun, now: Any) -> bool:
    """A run waiting for its first attempt, or for another one whose time has come."""
    if task_run.state == State.RETRYING:
        return task_run.retry_at is not None and task_run.retry_at <= now
    return task_run.state == State.CREATED


def retry_delay(task: TaskDefinition, task_run: TaskRun, render: Any) -> timedelta | None:
    """How long until the next attempt of a failed one, if the task's retry policy allows one."""
    if task.retry is None:
        return None
    try:
        return next_delay(task.retry, task_run.attempt, timezone.now() - task_run.created_at, render)
    except (EngineError, ValueError) as exc:
        logger.warning("task run %s: its retry policy does not evaluate (%s); not retried", task_run.id, exc)
        return None


def end_killed(task_run: TaskRun) -> None:
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


@contextmanager
def _deadline(task: TaskDefinition, ctx: RunContext, timed_out: threading.Event) -> Iterator[None]:
    """Within the task's `timeout` (one attempt's): past it the task is asked to stop, as a kill would
    ask, and the attempt counts as failed. A task that cannot stop early fails when it returns."""
    if task.timeout is None:
        yield
        return
    seconds = to_duration(str(ctx.render(task.timeout)).strip()).total_seconds()

    def expire() -> None:
        timed_out.set()
        ctx.stop.set()

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def _run(
    task_run: TaskRun,
    execution: Execution,
    parsed: ParsedFlow,
    task: TaskDefinition,
    ctx: RunContext,
    timed_out: threading.Event,
) -> dict[str, Any]:
    """Run the task in `ctx`, its variables filled in here; its outputs, with the secrets it read masked."""
    runs = {run.id: run for run in TaskRun.objects.filter(execution=execution)}
    ctx.variables = variables(
        parsed,
        execution_info(execution),
        task_outputs(tuple(run.view() for run in runs.values())),
        task={"id": task.id, "type": task.type},
        taskrun=_taskrun_variables(task_run, runs),
        functions=namespace_functions(STORE, parsed.namespace, ctx.revealed),
    )
    if (parent := runs.get(task_run.parent_id or "")) is not None:
        ctx.variables["parent"] = {"taskrun": {"value": parent.value}, "outputs": parent.outputs}
    with _deadline(task, ctx, timed_out):
        outputs = ctx.revealed.mask(task.run(ctx))
    return json.loads(json.dumps(outputs, default=str))  # what the database stores is what later tasks see


def _failure_message(exc: Exception) -> str:
    if isinstance(exc, EngineError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
