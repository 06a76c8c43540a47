"""Running an execution to its end by calling the executor and worker steps directly, as Celery would."""

import time
from collections.abc import Callable

from django.db.models import Q
from django.utils import timezone

from executions import executor, recovery, worker
from executions.flow_retry import flow_retries_due, flow_retry_perform
from executions.models import Execution, TaskRun
from flowhub.engine.states import TERMINAL, State


def run_to_end(execution_id: str, max_steps: int = 50) -> Execution:
    return run_until(execution_id, TERMINAL, max_steps)


def run_until(execution_id: str, states: frozenset[State], max_steps: int = 50) -> Execution:
    """Step the executor and run every created task until the execution is in one of `states`."""
    for _ in range(max_steps):
        executor.execution_advance(execution_id=execution_id)
        waiting = TaskRun.objects.filter(execution_id=execution_id, state__in=[State.CREATED, State.RESTARTED])
        for task_run_id in waiting.values_list("id", flat=True):
            worker.task_run_execute(task_run_id=task_run_id, worker_id="test-worker")
        execution = Execution.objects.get(pk=execution_id)
        if State(execution.state) in states:
            return execution
    raise AssertionError(f"execution {execution_id} did not reach {sorted(states)} in {max_steps} steps")


def drive_until(done: Callable[[], bool], timeout: float = 60) -> None:
    """Advance every unfinished execution (a Subflow's children, queued ones too) and run the due task runs,
    as Celery would, until `done()`; a retry's delay is waited out, and a Pause's, as their own delayed
    messages would end them."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"not done after {timeout}s")
        unfinished = Execution.objects.exclude(state__in=[state.value for state in TERMINAL])
        for execution_id in unfinished.values_list("id", flat=True):
            executor.execution_advance(execution_id=execution_id)
        waiting = Q(state__in=[State.CREATED, State.RESTARTED]) | Q(state=State.RETRYING, retry_at__lte=timezone.now())
        due = list(TaskRun.objects.filter(waiting, on_worker=True).values_list("id", flat=True))
        for task_run_id in due:
            worker.task_run_execute(task_run_id=task_run_id, worker_id="test-worker")
        now = timezone.now()
        for execution_id in flow_retries_due(before=now):
            flow_retry_perform(execution_id=execution_id)
        for task_run_id in TaskRun.objects.filter(state=State.PAUSED, resume_at__lte=now).values_list("id", flat=True):
            recovery.paused_task_run_end(task_run_id=task_run_id)
        if not due:
            time.sleep(0.05)
