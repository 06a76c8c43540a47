"""Execution and log endpoints at Kestra's paths (kestra-api.md §4 and §6)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q, QuerySet
from django.utils.datastructures import MultiValueDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.roles import Role
from flowhub.api.problems import Problem
from flowhub.api.streaming import AnyAcceptNegotiation, StreamingFileResponse
from flowhub.engine.errors import ErrorDetail
from flowhub.engine.states import TERMINAL, State

from . import actions, deletion, selectors
from .bulk_api import BulkAction, bulk_views
from .delete_api import DELETION, DeleteQuerySerializer, delete_query, deletion_json
from .models import Execution, LogEntry
from .serializers import ExecutionSerializer, LogEntrySerializer

FORM_REQUEST = {"multipart/form-data": OpenApiTypes.OBJECT, "application/x-www-form-urlencoded": OpenApiTypes.OBJECT}
"""Inputs as a form: each field an input, each file part a FILE input."""


def form_inputs(request: Request) -> dict[str, Any]:
    """The form's fields that are not files, by input id."""
    return {name: request.data.get(name) for name in request.data if name not in request.FILES}


def uploads_by_input(files: MultiValueDict[str, UploadedFile]) -> dict[str, UploadedFile]:
    """Uploaded files by input id, in both of Kestra's conventions: a part named after the input,
    or (Kestra 0.x, the `kestra` PyPI client) parts named `files` whose filename is the input id."""
    uploads = {upload.name: upload for upload in files.getlist("files") if upload.name}
    uploads.update({name: files[name] for name in files if name != "files"})
    return uploads


class ExecutionDetailApi(APIView):
    @extend_schema(
        operation_id="getExecution",
        summary="Get an execution with its task runs, inputs and outputs",
        responses=ExecutionSerializer,
        tags=["Executions"],
    )
    def get(self, request: Request, execution_id: str, **_: Any) -> Response:
        return Response(ExecutionSerializer(selectors.execution_get(execution_id=execution_id)).data)

    @extend_schema(
        operation_id="deleteExecution",
        summary="Delete an ended execution with its task runs, logs and files (409 while it runs)",
        parameters=[DeleteQuerySerializer],
        responses={200: DELETION, 404: None, 409: None},
        tags=["Executions"],
    )
    def delete(self, request: Request, execution_id: str, **_: Any) -> Response:
        query = delete_query(request, DeleteQuerySerializer)
        deleted = deletion.execution_delete(execution_id=execution_id, delete_storage=query["deleteStorage"])
        return Response(deletion_json(deleted))


class KillQuerySerializer(serializers.Serializer):
    isOnKillCascade = serializers.BooleanField(
        default=True, help_text="Kill the executions its Subflow tasks started too, and theirs (default true)"
    )


def _kill(request: Request, execution_id: str) -> None:
    # A dict, not the QueryDict: DRF reads a boolean missing from form data as false, not its default.
    query = KillQuerySerializer(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    actions.execution_kill(execution_id=execution_id, cascade=query.validated_data["isOnKillCascade"])


class ExecutionKillApi(APIView):
    required_role = Role.EXECUTOR
    """Kestra 1.x: `DELETE /executions/{id}/kill` answers 202 with no body."""

    @extend_schema(
        operation_id="killExecution",
        summary="Kill an execution: tasks not started never start; a running task stops with its worker",
        parameters=[KillQuerySerializer],
        responses={202: OpenApiResponse(description="Killing"), 404: None, 409: None},
        tags=["Executions"],
    )
    def delete(self, request: Request, execution_id: str, **_: Any) -> Response:
        _kill(request, execution_id)
        return Response(status=202)


class ExecutionKillActionApi(APIView):
    required_role = Role.EXECUTOR
    """Kestra 2.0: `DELETE /executions/{id}/actions/kill` answers the execution."""

    @extend_schema(
        operation_id="killExecutionAction",
        summary="Kill an execution (Kestra 2.0 path): answers the execution, KILLING or KILLED",
        parameters=[KillQuerySerializer],
        responses=ExecutionSerializer,
        tags=["Executions"],
    )
    def delete(self, request: Request, execution_id: str, **_: Any) -> Response:
        _kill(request, execution_id)
        return Response(ExecutionSerializer(selectors.execution_get(execution_id=execution_id)).data)


def _action_views(
    name: str, summary: str, act: Callable[..., Execution], takes_inputs: bool = False
) -> tuple[type[APIView], type[APIView]]:
    """`POST /executions/{id}/<name>` (Kestra 1.x: 204, no body) and `…/actions/<name>` (2.0: the execution).

    An action that `takes_inputs` reads them from a form, as creating an execution does."""
    request_body = FORM_REQUEST if takes_inputs else None

    def perform(request: Request, execution_id: str) -> None:
        if takes_inputs:
            act(execution_id=execution_id, inputs=form_inputs(request), files=uploads_by_input(request.FILES))
        else:
            act(execution_id=execution_id)

    class LegacyActionApi(APIView):
        required_role = Role.EXECUTOR
        parser_classes = [MultiPartParser, FormParser]

        @extend_schema(
            operation_id=f"{name}Execution", summary=summary, request=request_body,
            responses={204: OpenApiResponse(description="Done"), 404: None, 409: None}, tags=["Executions"],
        )  # fmt: skip
        def post(self, request: Request, execution_id: str, **_: Any) -> Response:
            perform(request, execution_id)
            return Response(status=204)

    class ActionApi(APIView):
        required_role = Role.EXECUTOR
        parser_classes = [MultiPartParser, FormParser]

        @extend_schema(
            operation_id=f"{name}ExecutionAction", summary=f"{summary} (Kestra 2.0 path): answers the execution",
            request=request_body, responses=ExecutionSerializer, tags=["Executions"],
        )  # fmt: skip
        def post(self, request: Request, execution_id: str, **_: Any) -> Response:
            perform(request, execution_id)
            return Response(ExecutionSerializer(selectors.execution_get(execution_id=execution_id)).data)

    return LegacyActionApi, ActionApi


ExecutionPauseApi, ExecutionPauseActionApi = _action_views(
    "pause", "Pause a running execution at the next task boundary (409 unless RUNNING)", actions.execution_pause
)
ExecutionResumeApi, ExecutionResumeActionApi = _action_views(
    "resume",
    "Resume a paused execution (409 unless PAUSED); its Pause tasks' `onResume` inputs are the form's fields",
    actions.execution_resume,
    takes_inputs=True,
)


ExecutionPauseByIdsApi, ExecutionPauseByQueryApi = bulk_views(
    BulkAction(
        name="pause",
        operation="pauseExecutions",
        summary="Pause the running executions at their next task boundary",
        act=lambda execution_id, _: actions.execution_pause(execution_id=execution_id),
        applies_to=lambda _: Q(state=State.RUNNING),
    )
)
ExecutionResumeByIdsApi, ExecutionResumeByQueryApi = bulk_views(
    BulkAction(
        name="resume",
        operation="resumeExecutions",
        summary="Resume the paused executions but those whose Pause tasks wait for onResume inputs without defaults",
        act=lambda execution_id, _: actions.execution_resume(execution_id=execution_id),
        applies_to=lambda _: Q(state=State.PAUSED),
    )
)


class ExecutionResumeValidateApi(APIView):
    required_role = Role.EXECUTOR
    """Kestra's `POST /executions/{id}/resume/validate`: what a resume with this form would take."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="validateResumeExecutionInputs",
        summary="Check the `onResume` inputs of a paused execution's Pause tasks, changing nothing (422 if invalid)",
        request=FORM_REQUEST,
        responses=inline_serializer(
            "ResumeInputsValidation",
            {
                "id": serializers.CharField(help_text="The flow's id."),
                "namespace": serializers.CharField(),
                "inputs": serializers.ListField(
                    child=inline_serializer(
                        "ResumeInputValue",
                        {
                            "input": serializers.DictField(help_text="The input's declaration."),
                            "value": serializers.JSONField(required=False),
                            "errors": serializers.ListField(child=serializers.DictField()),
                        },
                    )
                ),
                "checks": serializers.ListField(child=serializers.DictField()),
            },
        ),
        tags=["Executions"],
    )
    def post(self, request: Request, execution_id: str, **_: Any) -> Response:
        given = actions.execution_resume_validate(
            execution_id=execution_id, inputs=form_inputs(request), files=uploads_by_input(request.FILES)
        )
        execution = selectors.execution_get(execution_id=execution_id)
        inputs = [
            {"input": spec.model_dump(mode="json", exclude_none=True), "errors": []}
            | ({} if value is None else {"value": value})
            for spec, value in given
        ]
        return Response({"id": execution.flow_id, "namespace": execution.namespace, "inputs": inputs, "checks": []})


ExecutionKillByIdsApi, ExecutionKillByQueryApi = bulk_views(
    BulkAction(
        name="kill",
        operation="killExecutions",
        summary="Kill the executions that have not ended, with the executions their Subflow tasks started",
        act=lambda execution_id, _: actions.execution_kill(execution_id=execution_id),
        applies_to=lambda _: ~Q(state__in=TERMINAL),
        method="delete",
    )
)


FILE_PATH = OpenApiParameter(
    "path", str, required=True, description="The file's internal URI, `kestra:///…/executions/{executionId}/…`"
)


def _execution_file_uri(request: Request) -> str:
    uri = request.query_params.get("path")
    if not uri:
        raise Problem(
            400, "invalid-query-parameter", "Invalid query parameter", "the query parameter 'path' is required",
            [ErrorDetail("path", "required")],
        )  # fmt: skip
    return uri


class ExecutionFileApi(APIView):
    content_negotiation_class = AnyAcceptNegotiation

    @extend_schema(
        operation_id="downloadFileFromExecution",
        summary="A file of the execution (an input or a task's output file), by its internal URI",
        parameters=[FILE_PATH],
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY), 404: None, 422: None},
        tags=["Executions"],
    )
    def get(self, request: Request, execution_id: str, **_: Any) -> StreamingFileResponse:
        execution = selectors.execution_get(execution_id=execution_id)
        uri = _execution_file_uri(request)
        stream, size = selectors.execution_file_get(execution=execution, uri=uri)
        response = StreamingFileResponse(
            stream, content_type="application/octet-stream", as_attachment=True, filename=uri.rsplit("/", 1)[-1]
        )
        response["Content-Length"] = str(size)
        return response


class ExecutionFileMetasApi(APIView):
    @extend_schema(
        operation_id="getFileMetadatasFromExecution",
        summary="The size of a file of the execution, by its internal URI",
        parameters=[FILE_PATH],
        responses=inline_serializer("ExecutionFileMetas", {"size": serializers.IntegerField()}),
        tags=["Executions"],
    )
    def get(self, request: Request, execution_id: str, **_: Any) -> Response:
        execution = selectors.execution_get(execution_id=execution_id)
        return Response(
            {"size": selectors.execution_file_size_get(execution=execution, uri=_execution_file_uri(request))}
        )


class LogFilterSerializer(serializers.Serializer):
    minLevel = serializers.ChoiceField(
        choices=LogEntry.LEVELS, required=False, help_text="This level and those more severe"
    )
    taskId = serializers.CharField(required=False)
    taskRunId = serializers.CharField(required=False)
    attempt = serializers.IntegerField(min_value=0, required=False)


def filtered_logs(request: Request, execution_id: str) -> tuple[Execution, QuerySet[LogEntry]]:
    """The execution and its log lines the query's `LogFilterSerializer` parameters select, oldest first."""
    query = LogFilterSerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    filters = query.validated_data
    execution = selectors.execution_get(execution_id=execution_id)
    logs = selectors.log_list(
        execution=execution,
        min_level=filters.get("minLevel"),
        task_id=filters.get("taskId"),
        task_run_id=filters.get("taskRunId"),
        attempt=filters.get("attempt"),
    )
    return execution, logs


LOG_DELETION = inline_serializer("LogDeletion", {"count": serializers.IntegerField(help_text="Log lines deleted")})


class LogListApi(APIView):
    @extend_schema(
        operation_id="listLogsFromExecution",
        summary="The log lines of an execution, oldest first",
        parameters=[LogFilterSerializer],
        responses=LogEntrySerializer(many=True),
        tags=["Logs"],
    )
    def get(self, request: Request, execution_id: str, **_: Any) -> Response:
        _, logs = filtered_logs(request, execution_id)
        return Response(LogEntrySerializer(logs, many=True).data)

    @extend_schema(
        operation_id="deleteLogsFromExecution",
        summary="Delete the log lines of an execution the parameters select (all of them without any)",
        parameters=[LogFilterSerializer],
        responses={200: LOG_DELETION, 404: None},
        tags=["Logs"],
    )
    def delete(self, request: Request, execution_id: str, **_: Any) -> Response:
        execution, logs = filtered_logs(request, execution_id)
        return Response({"count": deletion.logs_delete(execution=execution, logs=logs)})
