"""The worker step: claim a task run's next attempt, run its task outside any transaction, record the outcome.

A claim is a compare-and-set, so a second delivery of `run_task` changes nothing. A failed
attempt is retried as the task's policy allows (RETRYING until its time). A WorkingDirectory's
tasks run here too, inside its attempt (`WorkingDirectoryTasks`)."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from flowhub.engine.context import RunContext
from flowhub.engine.errors import EngineError
from flowhub.engine.functions import RevealedSecrets
from flowhub.engine.inputs.temporal import to_duration
from flowhub.engine.model import Flow as ParsedFlow
from flowhub.engine.planner import runs_if, tolerated
from flowhub.engine.ports import TaskRunRef
from flowhub.engine.registry import TaskDefinition
from flowhub.engine.retries import next_delay
from flowhub.engine.states import State
from namespaces.flows import parsed_revision

from .dispatch import enqueue_run_task
from .followup import advance_after_task
from .heartbeat import Heartbeat
from .logsink import BufferedLogSink
from .models import Execution, TaskRun
from .reach import Reach
from .run_context import current_template_context
from .store import ServicesTaskServices, template_functions
from .transitions import history_entry, task_run_transition

logger = logging.getLogger(__name__)

STOP_POLL_SECONDS = 0.1
"""How soon a stopped WorkingDirectory's stop reaches the task it is running."""


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
    parsed = parsed_revision(execution.flow_revision)
    task = parsed.task(task_run.task_id)
    sink = BufferedLogSink(execution, task_run, min_level=task.logLevel)
    ctx = run_context(task_run, sink, subtasks=WorkingDirectoryTasks(task_run, parsed, worker_id))
    with Heartbeat(task_run.id, ctx.stop):
        outputs, final = attempt(task_run, parsed, task, ctx, sink)
    delay = retry_delay(task, task_run, ctx.render) if final == State.FAILED else None
    with transaction.atomic():
        if attempt_recorded(task_run, task, sink, outputs, final, delay):
            if task_run.state == State.RETRYING:
                transaction.on_commit(partial(enqueue_run_task, task_run.id, delay))
                return
        else:
            end_killed(task_run)
        transaction.on_commit(partial(advance_after_task, execution.id))


def attempt_recorded(
    task_run: TaskRun,
    task: TaskDefinition,
    sink: BufferedLogSink,
    outputs: dict[str, Any],
    final: State,
    delay: timedelta | None,
) -> bool:
    """In the caller's transaction, store the attempt's log lines and move the run on: RETRYING when a retry
    `delay` is given, else to the state its task makes of `final`. False when it was no longer RUNNING (killed
    or skipped while the attempt ran): then nothing changed but the logs."""
    sink.flush()
    if delay is not None and task_run_transition(task_run, State.RETRYING, retry_at=timezone.now() + delay, outputs={}):
        sink.emit("WARN", f"attempt {task_run.attempt} failed; attempt {task_run.attempt + 1} in {delay}")
        sink.flush()
        return True
    return task_run_transition(task_run, ended_state(task, task_run, final), outputs=outputs, ended_at=timezone.now())


def run_context(task_run: TaskRun, sink: BufferedLogSink, **options: Any) -> RunContext:
    """The context a task runs in as `task_run`, its variables still to fill (`attempt` does)."""
    execution = task_run.execution
    run = TaskRunRef(execution.namespace, execution.flow_id, execution.id, task_run.task_id, task_run.id)
    services = ServicesTaskServices(Reach.of(execution))
    return RunContext({}, sink, RevealedSecrets(), services=services, task_run=run, **options)


def attempt(
    task_run: TaskRun, parsed: ParsedFlow, task: TaskDefinition, ctx: RunContext, sink: BufferedLogSink
) -> tuple[dict[str, Any], State]:
    """Run one attempt of `task` in `ctx`: its outputs and state. Why it failed is logged."""
    timed_out = threading.Event()
    try:
        outputs = _run(task_run, task_run.execution, parsed, task, ctx, timed_out)
        final = State.WARNING if ctx.warned else State.SUCCESS
    except Exception as exc:  # a failing task is a state, not a crash of the worker
        logger.info("task run %s failed", task_run.id, exc_info=not isinstance(exc, EngineError))
        if not timed_out.is_set():
            sink.emit("ERROR", ctx.revealed.mask(_failure_message(exc)), verdict=True)
        outputs, final = {}, State.FAILED
    if timed_out.is_set():
        sink.emit("ERROR", f"timed out: the attempt ran past its timeout of {task.timeout}", verdict=True)
        outputs, final = {}, State.FAILED
    return outputs, final


def ended_state(task: TaskDefinition, task_run: TaskRun, final: State) -> State:
    """The state a run ends in after its last attempt ended in `final`: `warningOnRetry`, `allowFailure`,
    `allowWarning` applied."""
    if final == State.SUCCESS and task_run.attempt > 1 and task.retry is not None and task.retry.warningOnRetry:
        final = State.WARNING
    return tolerated(task, final)


def _claimable(task_run: TaskRun, now: Any) -> bool:
    """A run waiting for its first attempt, for another one whose time has come, or restarted."""
    if task_run.state == State.RETRYING:
        return task_run.retry_at is not None and task_run.retry_at <= now
    return task_run.state in (State.CREATED, State.RESTARTED)


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
    ctx.variables = current_template_context(execution, parsed, template_functions(execution, ctx.revealed), task_run)
    with _deadline(task, ctx, timed_out):
        outputs = ctx.revealed.mask(task.run(ctx))
    return json.loads(json.dumps(outputs, default=str))  # what the database stores is what later tasks see


def _failure_message(exc: Exception) -> str:
    if isinstance(exc, EngineError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


class WorkingDirectoryTasks:
    """`Subtasks` of a WorkingDirectory's run: each task a run of its own (CREATED, RUNNING, its end), its
    attempts run here one after the other, retries waited for in place. They hold no lease and get no
    message of their own (`on_worker` is false): the WorkingDirectory's lease covers them, and the reaper
    ends them with it (recovery.py)."""

    def __init__(self, holder: TaskRun, parsed: ParsedFlow, worker_id: str):
        self.holder = holder
        self.parsed = parsed
        self.worker_id = worker_id

    def run(self, task: TaskDefinition, working_dir: Path, stop: threading.Event) -> State:
        run = TaskRun.objects.create(
            execution=self.holder.execution,
            parent=self.holder,
            task_id=task.id,
            value=self.holder.value,
            on_worker=False,
            state=State.CREATED,
            state_history=[history_entry(State.CREATED, timezone.now())],
        )
        if task.runIf is not None and not self._runs_if(run, task):
            return State(run.state)
        while True:
            started = timezone.now()
            if not task_run_transition(
                run, State.RUNNING, attempt=run.attempt + 1, worker_id=self.worker_id, started_at=started
            ):
                break  # killed while it waited
            sink = BufferedLogSink(run.execution, run, min_level=task.logLevel)
            ctx = run_context(run, sink, working_dir=working_dir)
            with _stopping_with(stop, ctx.stop):
                outputs, final = attempt(run, self.parsed, task, ctx, sink)
            delay = retry_delay(task, run, ctx.render) if final == State.FAILED and not stop.is_set() else None
            with transaction.atomic():
                if not attempt_recorded(run, task, sink, outputs, final, delay):
                    break  # killed while it ran
            if run.state != State.RETRYING or delay is None:
                return State(run.state)
            if stop.wait(delay.total_seconds()):
                task_run_transition(run, State.KILLED, ended_at=timezone.now())
                return State.KILLED
        run.refresh_from_db(fields=["state", "state_history"])
        return State(run.state)

    def _runs_if(self, run: TaskRun, task: TaskDefinition) -> bool:
        """Whether `runIf` lets the task run; if not it ends SKIPPED, or FAILED when `runIf` does not render."""
        sink = BufferedLogSink(run.execution, run)
        ctx = run_context(run, sink)
        try:
            functions = template_functions(run.execution, ctx.revealed)
            ctx.variables = current_template_context(run.execution, self.parsed, functions, run)
            if runs_if(task, ctx.render):
                return True
            task_run_transition(run, State.SKIPPED, ended_at=timezone.now())
        except EngineError as exc:
            sink.emit("ERROR", ctx.revealed.mask(f"runIf: {exc}"), verdict=True)
            sink.flush()
            task_run_transition(run, State.RUNNING, started_at=timezone.now())
            task_run_transition(run, State.FAILED, ended_at=timezone.now())
        return False


@contextmanager
def _stopping_with(outer: threading.Event, inner: threading.Event) -> Iterator[None]:
    """While entered, `inner` is set soon after `outer` is: a stopped WorkingDirectory stops its task."""
    done = threading.Event()

    def forward() -> None:
        while not done.wait(STOP_POLL_SECONDS):
            if outer.is_set():
                inner.set()
                return

    thread = threading.Thread(target=forward, name="stop-forward", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
