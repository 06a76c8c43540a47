from django.db import models
from django.utils import timezone

from flowhub.engine.ids import new_id
from flowhub.engine.planner import TaskRunView
from flowhub.engine.states import TERMINAL
from flowhub.engine.states import State as EngineState
from namespaces.models import FlowRevision

State = models.TextChoices("State", [(state.value, state.value) for state in EngineState])


class StatefulModel(models.Model):
    """A row with a state and its history of `{state, date}` entries, the first being its creation."""

    state = models.CharField(max_length=16, choices=State.choices, default=State.CREATED)
    state_history = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_terminal(self) -> bool:
        return EngineState(self.state) in TERMINAL

    @property
    def start_date(self) -> str | None:
        return self.state_history[0]["date"] if self.state_history else None

    @property
    def end_date(self) -> str | None:
        return self.state_history[-1]["date"] if self.is_terminal and self.state_history else None

    @property
    def duration_seconds(self) -> float:
        end = self.ended_at if self.is_terminal and self.ended_at else timezone.now()
        return round((end - self.created_at).total_seconds(), 6)


class Execution(StatefulModel):
    """One run of a flow revision. `state_history` lists every transition as `{state, date}`."""

    id = models.CharField(primary_key=True, max_length=22, default=new_id, editable=False)
    namespace = models.CharField(max_length=150)
    flow_id = models.CharField("flow id", max_length=100)
    flow_revision = models.ForeignKey(FlowRevision, on_delete=models.PROTECT, related_name="executions")
    inputs = models.JSONField(default=dict, blank=True)
    outputs = models.JSONField(default=dict, blank=True)
    labels = models.JSONField(default=list, blank=True, help_text="Kestra's [{key, value}] list")
    updated_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    original_id = models.CharField(
        max_length=22, blank=True, help_text="The first execution of a replay chain; empty means this one."
    )
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="child_executions",
        help_text="The execution that started this one: a Subflow's parent, or the execution replayed.",
    )  # fmt: skip
    parent_task_run = models.ForeignKey(
        "TaskRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="subflow_executions",
        help_text="The Subflow task run waiting for this execution.",
    )  # fmt: skip
    trigger = models.JSONField(null=True, blank=True, help_text="Kestra's {id, type, variables} of what started it.")
    attempt_number = models.PositiveIntegerField(default=1, help_text="1, then one more per restart or replay.")
    retry_at = models.DateTimeField(
        null=True, blank=True, help_text="When the flow's `retry` of a RETRYING or RETRIED execution is due."
    )
    schedule_date = models.DateTimeField(
        null=True, blank=True, help_text="Kestra's scheduleDate: it stays CREATED until then."
    )
    idempotency_key = models.CharField(
        max_length=255, blank=True,
        help_text="A trigger retried with the same key, for the same flow, answers this execution again.",
    )  # fmt: skip

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["namespace", "flow_id", "-created_at"], name="execution_by_flow"),
            models.Index(fields=["state", "updated_at"], name="execution_by_state"),
            # /metrics counts executions by namespace and state; stats read a window of creation dates.
            models.Index(fields=["namespace", "state"], name="execution_by_namespace_state"),
            models.Index(fields=["created_at"], name="execution_by_created"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["namespace", "flow_id", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="execution_idempotency_key_per_flow",
            )
        ]

    def __str__(self) -> str:
        return self.id


class TaskRun(StatefulModel):
    """One task of an execution; `attempt` counts the attempts started, in PostgreSQL, not the broker."""

    id = models.CharField(primary_key=True, max_length=22, default=new_id, editable=False)
    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="task_runs")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children",
        help_text="The run of the flowable task that holds this task.",
    )  # fmt: skip
    task_id = models.CharField("task id", max_length=100)
    value = models.TextField(null=True, blank=True, help_text="The loop value it runs for, as text.")  # noqa: DJ001
    iteration = models.PositiveIntegerField(
        null=True, blank=True, help_text="Its loop value's index, for a loop's direct children."
    )
    on_worker = models.BooleanField(
        default=True, help_text="A worker runs it; false for flowable tasks, which the executor resolves."
    )
    attempt = models.PositiveIntegerField(default=0)
    outputs = models.JSONField(default=dict, blank=True)
    worker_id = models.CharField(max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    retry_at = models.DateTimeField(
        null=True, blank=True, help_text="When a RETRYING or RESTARTED run's next attempt may start."
    )
    resume_at = models.DateTimeField(null=True, blank=True, help_text="When a PAUSED run resumes by itself.")
    started_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["state", "created_at"], name="taskrun_by_state"),
            # /metrics reads the durations of the runs that ended within a window.
            models.Index(fields=["ended_at"], name="taskrun_by_end"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id} ({self.id})"

    def view(self) -> TaskRunView:
        """What the engine sees of this run."""
        return TaskRunView(
            self.id, self.task_id, EngineState(self.state), self.outputs, self.parent_id, self.value, self.iteration
        )


class LogEntry(models.Model):
    LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR")
    Level = models.TextChoices("Level", [(level, level) for level in LEVELS])

    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="logs")
    task_run = models.ForeignKey(TaskRun, on_delete=models.CASCADE, null=True, blank=True, related_name="logs")
    # NULL, not "", for execution-level lines: the wire omits a null taskId, as Kestra does.
    task_id = models.CharField("task id", max_length=100, null=True, blank=True)  # noqa: DJ001
    attempt = models.PositiveIntegerField(null=True, blank=True)
    level = models.CharField(max_length=5, choices=Level.choices)
    message = models.TextField()
    timestamp = models.DateTimeField()

    class Meta:
        ordering = ["timestamp", "id"]
        verbose_name_plural = "log entries"
        indexes = [models.Index(fields=["execution", "timestamp"], name="log_by_execution")]

    def __str__(self) -> str:
        return f"{self.level} {self.message[:60]}"


class Trigger(models.Model):
    """The state of one trigger of a flow's current revision (Kestra's trigger table): whether a person
    disabled it, and for a Schedule the dates it fired at and fires at next. Rows follow flow saves."""

    namespace = models.CharField(max_length=150)
    flow_id = models.CharField("flow id", max_length=100)
    trigger_id = models.CharField("trigger id", max_length=100)
    type = models.CharField(max_length=200)
    disabled = models.BooleanField(default=False, help_text="Set by the API or admin (or `stopAfter`), not the YAML.")
    next_date = models.DateTimeField(null=True, blank=True, help_text="A Schedule's next time to fire.")
    last_date = models.DateTimeField(null=True, blank=True, help_text="The (scheduled) date it last fired for.")
    last_execution_id = models.CharField(max_length=22, blank=True)
    # A Schedule's backfill, started through the API: its dates fire besides the regular ones.
    backfill_id = models.CharField(
        max_length=22, blank=True, help_text="The backfill's id, in its executions' idempotency keys; blank: none."
    )
    backfill_start = models.DateTimeField(null=True, blank=True)
    backfill_end = models.DateTimeField(null=True, blank=True)
    backfill_current_date = models.DateTimeField(
        null=True, blank=True, help_text="The backfill fires the dates from this one on (Kestra's currentDate)."
    )
    backfill_paused = models.BooleanField(default=False)
    backfill_inputs = models.JSONField(null=True, blank=True, help_text="Given to each execution of the backfill.")
    backfill_labels = models.JSONField(
        null=True, blank=True, help_text="Kestra's [{key, value}] list, given to each execution of the backfill."
    )
    backfill_previous_next_date = models.DateTimeField(
        null=True, blank=True, help_text="The trigger's next date when the backfill was started."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["namespace", "flow_id", "trigger_id"]
        constraints = [
            models.UniqueConstraint(fields=["namespace", "flow_id", "trigger_id"], name="trigger_unique_per_flow")
        ]
        indexes = [
            models.Index(fields=["type", "next_date"], name="trigger_by_type"),
            models.Index(fields=["type", "backfill_current_date"], name="trigger_by_backfill"),
        ]

    def __str__(self) -> str:
        return f"{self.namespace}.{self.flow_id}:{self.trigger_id}"

    @property
    def backfilling(self) -> bool:
        return bool(self.backfill_id)


BACKFILL_CLEARED: dict[str, object] = {
    "backfill_id": "",
    "backfill_start": None,
    "backfill_end": None,
    "backfill_current_date": None,
    "backfill_paused": False,
    "backfill_inputs": None,
    "backfill_labels": None,
    "backfill_previous_next_date": None,
}
"""The columns of a trigger with no backfill: an update's values once its backfill ended or was deleted."""
