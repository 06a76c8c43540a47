from django.db import models

from flowhub.engine.ids import new_id
from flowhub.engine.states import State as EngineState
from namespaces.models import FlowRevision

State = models.TextChoices("State", [(state.value, state.value) for state in EngineState])


class Execution(models.Model):
    """One run of a flow revision. `state_history` lists every transition as `{state, date}`."""

    id = models.CharField(primary_key=True, max_length=22, default=new_id, editable=False)
    namespace = models.CharField(max_length=150)
    flow_id = models.CharField("flow id", max_length=100)
    flow_revision = models.ForeignKey(FlowRevision, on_delete=models.PROTECT, related_name="executions")
    state = models.CharField(max_length=16, choices=State.choices, default=State.CREATED)
    state_history = models.JSONField(default=list)
    inputs = models.JSONField(default=dict, blank=True)
    outputs = models.JSONField(default=dict, blank=True)
    labels = models.JSONField(default=list, blank=True, help_text="Kestra's [{key, value}] list")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["namespace", "flow_id", "-created_at"], name="execution_by_flow"),
            models.Index(fields=["state", "updated_at"], name="execution_by_state"),
        ]

    def __str__(self) -> str:
        return self.id


class TaskRun(models.Model):
    """One task of an execution; `attempt` counts the attempts started, in PostgreSQL, not the broker."""

    id = models.CharField(primary_key=True, max_length=22, default=new_id, editable=False)
    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="task_runs")
    task_id = models.CharField("task id", max_length=100)
    state = models.CharField(max_length=16, choices=State.choices, default=State.CREATED)
    state_history = models.JSONField(default=list)
    attempt = models.PositiveIntegerField(default=0)
    outputs = models.JSONField(default=dict, blank=True)
    worker_id = models.CharField(max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["state", "created_at"], name="taskrun_by_state")]

    def __str__(self) -> str:
        return f"{self.task_id} ({self.id})"


class LogEntry(models.Model):
    LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR")
    Level = models.TextChoices("Level", [(level, level) for level in LEVELS])

    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="logs")
    task_run = models.ForeignKey(TaskRun, on_delete=models.CASCADE, null=True, blank=True, related_name="logs")
    task_id = models.CharField("task id", max_length=100, blank=True)
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
