"""What a view of executions needs of flows, at Kestra's paths under `/executions` (kestra-api.md §4.3): the last
execution of each of some flows, the namespaces and flows one can start, and a flow as Kestra's FlowForExecution,
its structure (tasks by id and type, inputs, triggers) without its source."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.roles import Role
from access.selectors import request_access
from flowhub.api.parsers import BoundedJSONParser
from flowhub.api.serializers import CompactSerializer, FlowRefSerializer, LabelSerializer
from flowhub.engine.flowable import TaskGroup
from flowhub.engine.registry import TaskDefinition
from flowhub.engine.tasks.flow import Pause, Subflow
from namespaces import selectors as flow_selectors
from namespaces.flows import parsed_revision
from namespaces.models import Flow, FlowRevision

from . import selectors
from .bulk import MAX_BULK

NAMES = {(200, "application/json"): {"type": "array", "items": {"type": "string"}}}


class TaskForExecutionSerializer(CompactSerializer):
    id = serializers.CharField()
    type = serializers.CharField()
    tasks = serializers.ListField(
        child=serializers.DictField(), required=False, help_text="The tasks a flowable task holds, each as this one"
    )
    inputs = serializers.ListField(child=serializers.DictField(), required=False, help_text="A Pause's onResume")
    subflowId = serializers.DictField(required=False, help_text="A Subflow's {namespace, flowId, revision?}")


class TriggerForExecutionSerializer(serializers.Serializer):
    id = serializers.CharField()
    type = serializers.CharField()


class FlowForExecutionSerializer(CompactSerializer):
    """Kestra's FlowForExecution."""

    id = serializers.CharField()
    namespace = serializers.CharField()
    revision = serializers.IntegerField()
    updated = serializers.DateTimeField(help_text="When this revision was saved")
    description = serializers.CharField(required=False)
    labels = LabelSerializer(many=True, required=False)
    inputs = serializers.ListField(child=serializers.DictField(), required=False)
    outputs = serializers.ListField(child=serializers.DictField(), required=False)
    disabled = serializers.BooleanField()
    deleted = serializers.BooleanField()
    tasks = TaskForExecutionSerializer(many=True)
    errors = TaskForExecutionSerializer(many=True)
    afterExecution = TaskForExecutionSerializer(many=True)
    triggers = TriggerForExecutionSerializer(many=True)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["finally"] = TaskForExecutionSerializer(many=True)  # a Python keyword: no class attribute
        return fields


def _task(task: TaskDefinition) -> dict[str, Any]:
    wire: dict[str, Any] = {"id": task.id, "type": task.type}
    children = [child for branch in task.branches().values() for child in branch] if isinstance(task, TaskGroup) else []
    if children:
        wire["tasks"] = [_task(child) for child in children]
    if isinstance(task, Pause) and task.onResume:
        wire["inputs"] = [spec.model_dump(mode="json", exclude_none=True) for spec in task.onResume]
    if isinstance(task, Subflow):
        subflow = {"namespace": task.namespace, "flowId": task.flowId, "revision": task.revision}
        wire["subflowId"] = {key: value for key, value in subflow.items() if value is not None}
    return wire


def flow_for_execution(flow: Flow, revision: FlowRevision) -> dict[str, Any]:
    """The revision as Kestra's FlowForExecution: each task by id and type, with the tasks it holds, a Pause's
    `onResume` inputs and a Subflow's flow; the flow's inputs, outputs and triggers (by id and type)."""
    parsed = parsed_revision(revision)
    document = parsed.document
    wire = {
        "id": parsed.id,
        "namespace": parsed.namespace,
        "revision": revision.revision,
        "updated": revision.created_at,
        "description": parsed.description,
        "labels": [{"key": key, "value": value} for key, value in parsed.labels.items()] or None,
        "inputs": document.get("inputs"),
        "outputs": document.get("outputs"),
        "disabled": parsed.disabled,
        "deleted": flow.deleted,
        "tasks": [_task(task) for task in parsed.tasks],
        "errors": [_task(task) for task in parsed.errors],
        "finally": [_task(task) for task in parsed.finally_],
        "afterExecution": [_task(task) for task in parsed.after_execution],
        "triggers": [{"id": trigger.id, "type": trigger.type} for trigger in parsed.triggers],
    }
    return FlowForExecutionSerializer(wire).data


class LatestExecutionSerializer(serializers.Serializer):
    id = serializers.CharField()
    flowId = serializers.CharField(source="flow_id")
    namespace = serializers.CharField()
    startDate = serializers.DateTimeField(source="start_date")
    status = serializers.CharField(source="state")


class ExecutionsLatestApi(APIView):
    scopes_itself = True  # the flows are in the body
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        operation_id="latestExecutions",
        summary="The execution of each flow listed that ended last; flows without one, or out of sight, left out",
        request=FlowRefSerializer(many=True),
        responses=LatestExecutionSerializer(many=True),
        tags=["Executions"],
    )
    def post(self, request: Request, **_: Any) -> Response:
        refs = FlowRefSerializer(data=request.data, many=True, max_length=MAX_BULK)
        refs.is_valid(raise_exception=True)
        flows = [(ref["namespace"], ref["id"]) for ref in refs.validated_data]
        latest = selectors.executions_latest(access=request_access(request), flows=flows)
        return Response(LatestExecutionSerializer(latest, many=True).data)


class ExecutableNamespacesApi(APIView):
    scopes_itself = True

    @extend_schema(
        operation_id="listExecutableNamespaces",
        summary="The namespaces holding a flow the caller may start (where they are an executor)",
        responses=NAMES,
        tags=["Executions"],
    )
    def get(self, request: Request, **_: Any) -> Response:
        return Response(flow_selectors.namespaces_with_flows(access=request_access(request), role=Role.EXECUTOR))


class ExecutableFlowsApi(APIView):
    required_role = Role.EXECUTOR

    @extend_schema(
        operation_id="listExecutableFlowsByNamespace",
        summary="The flows of a namespace that can be started (not disabled), as FlowForExecution",
        responses=FlowForExecutionSerializer(many=True),
        tags=["Executions"],
    )
    def get(self, request: Request, namespace: str, **_: Any) -> Response:
        flows = flow_selectors.flows_enabled(namespace=namespace)
        return Response([flow_for_execution(flow, flow.current) for flow in flows if flow.current is not None])


class ExecutionFlowApi(APIView):
    @extend_schema(
        operation_id="getFlowFromExecutionById",
        summary="The flow revision an execution runs, as FlowForExecution",
        responses=FlowForExecutionSerializer,
        tags=["Executions"],
    )
    def get(self, request: Request, execution_id: str, **_: Any) -> Response:
        execution = selectors.execution_get(execution_id=execution_id)
        return Response(flow_for_execution(execution.flow_revision.flow, execution.flow_revision))


class FlowForExecutionApi(APIView):
    class FilterSerializer(serializers.Serializer):
        revision = serializers.IntegerField(min_value=1, required=False, help_text="Default: the current one")

    @extend_schema(
        operation_id="getFlowFromExecution",
        summary="A flow (a revision of it) as FlowForExecution: its structure without its source",
        parameters=[FilterSerializer],
        responses=FlowForExecutionSerializer,
        tags=["Executions"],
    )
    def get(self, request: Request, namespace: str, flow_id: str, **_: Any) -> Response:
        query = self.FilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        flow = flow_selectors.flow_get(namespace=namespace, flow_id=flow_id)
        revision = flow_selectors.flow_revision_get(flow=flow, revision=query.validated_data.get("revision"))
        return Response(flow_for_execution(flow, revision))
