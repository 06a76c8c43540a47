"""Kestra's Execution, TaskRun, State and LogEntry JSON."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from flowhub.api.serializers import CompactSerializer, LabelSerializer

from .models import Execution
from .selectors import execution_progress


class HistorySerializer(serializers.Serializer):
    state = serializers.CharField()
    date = serializers.CharField()


class StateSerializer(CompactSerializer):
    """`{current, histories, duration, startDate, endDate}`; duration in seconds, as Kestra sends it."""

    current = serializers.CharField(source="state")
    histories = HistorySerializer(source="state_history", many=True)
    duration = serializers.FloatField(source="duration_seconds")
    startDate = serializers.CharField(source="start_date")
    endDate = serializers.CharField(source="end_date", required=False, help_text="Only once terminal.")


class TaskRunSerializer(CompactSerializer):
    id = serializers.CharField()
    executionId = serializers.CharField(source="execution_id")
    namespace = serializers.CharField(source="execution.namespace")
    flowId = serializers.CharField(source="execution.flow_id")
    taskId = serializers.CharField(source="task_id")
    parentTaskRunId = serializers.CharField(source="parent_id", required=False)
    value = serializers.CharField(required=False, help_text="The loop value it runs for, as text.")
    state = StateSerializer(source="*")
    outputs = serializers.DictField()


class MetadataSerializer(serializers.Serializer):
    attemptNumber = serializers.IntegerField()
    originalCreatedDate = serializers.DateTimeField()


class ProgressSerializer(serializers.Serializer):
    """How far the execution has got (flowhub's addition; docs/executions-api.md says how it is counted)."""

    total = serializers.IntegerField(help_text="Task runs that exist, plus those the started blocks will create.")
    done = serializers.IntegerField(help_text="Task runs that have ended.")
    percent = serializers.IntegerField(help_text="0 to 100, weighed by the flow's structure; 100 once it has ended.")
    current = serializers.ListField(child=serializers.CharField(), help_text="The ids of the tasks running now.")


class ExecutionSerializer(CompactSerializer):
    id = serializers.CharField()
    namespace = serializers.CharField()
    flowId = serializers.CharField(source="flow_id")
    flowRevision = serializers.IntegerField(source="flow_revision.revision")
    tenantId = serializers.SerializerMethodField()
    state = StateSerializer(source="*")
    taskRunList = TaskRunSerializer(source="task_runs.all", many=True)
    inputs = serializers.DictField()
    outputs = serializers.DictField()
    labels = LabelSerializer(many=True)
    originalId = serializers.SerializerMethodField()
    parentId = serializers.CharField(source="parent_id", required=False, help_text="A Subflow's parent execution.")
    trigger = serializers.DictField(required=False, help_text="What started it: `{id, type, variables}`.")
    metadata = serializers.SerializerMethodField()
    deleted = serializers.SerializerMethodField()
    scheduleDate = serializers.DateTimeField(
        source="schedule_date", required=False, help_text="It stays CREATED until then."
    )
    progress = serializers.SerializerMethodField()

    def get_tenantId(self, execution: Execution) -> str:
        return "main"

    def get_originalId(self, execution: Execution) -> str:
        return execution.original_id or execution.id

    @extend_schema_field(MetadataSerializer)
    def get_metadata(self, execution: Execution) -> dict[str, Any]:
        return MetadataSerializer(
            {"attemptNumber": execution.attempt_number, "originalCreatedDate": execution.created_at}
        ).data

    def get_deleted(self, execution: Execution) -> bool:
        return False

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, execution: Execution) -> dict[str, Any]:
        measured = execution_progress(execution=execution)
        return {
            "total": measured.total,
            "done": measured.done,
            "percent": measured.percent,
            "current": list(measured.current),
        }


class ExecutionCreatedSerializer(ExecutionSerializer):
    url = serializers.CharField(help_text="Where a person can look at the execution (the admin).")


class LogEntrySerializer(CompactSerializer):
    namespace = serializers.CharField(source="execution.namespace")
    flowId = serializers.CharField(source="execution.flow_id")
    executionId = serializers.CharField(source="execution_id")
    taskId = serializers.CharField(source="task_id", required=False)
    taskRunId = serializers.CharField(source="task_run_id", required=False)
    attemptNumber = serializers.IntegerField(source="attempt", required=False)
    timestamp = serializers.DateTimeField()
    level = serializers.CharField()
    message = serializers.CharField()
