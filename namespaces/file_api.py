"""Namespace files at Kestra's paths (kestra-api.md §8), plus revisions that can be read and restored.

`/namespaces/{namespace}/files[/directory|/stats|/export|/search|/revisions|/restore]`. Bad paths
are 422 naming the parameter (file_paths.py); a missing required parameter is 400.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.selectors import saver_of
from flowhub.api.problems import Problem
from flowhub.api.streaming import AnyAcceptNegotiation, StreamingFileResponse
from flowhub.engine.errors import ErrorDetail
from flowhub.exceptions import Invalid

from . import file_selectors as selectors
from . import file_services as services
from .file_archives import namespace_files_export, namespace_files_extract
from .file_blobs import blob_open
from .file_paths import ROOT, name_of

TAGS = ["Files"]
BINARY = {(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The raw bytes")}
DONE = {200: OpenApiResponse(description="Done; no body")}


@extend_schema_field(OpenApiTypes.INT64)
class EpochMillisField(serializers.Field):
    def to_representation(self, value: datetime) -> int:
        return int(value.timestamp() * 1000)


class FileAttributesSerializer(serializers.Serializer):
    """Kestra's FileAttributes."""

    fileName = serializers.CharField(source="name")
    lastModifiedTime = EpochMillisField(source="modified_at", help_text="Epoch milliseconds")
    creationTime = EpochMillisField(source="created_at", help_text="Epoch milliseconds")
    type = serializers.ChoiceField(source="kind", choices=["File", "Directory"])
    size = serializers.IntegerField(help_text="Bytes; 0 for a directory")


class FileRevisionSerializer(serializers.Serializer):
    revision = serializers.IntegerField()


def _param(request: Request, name: str) -> str:
    value = request.query_params.get(name)
    if value is None:
        raise _missing(name)
    return value


def _missing(name: str) -> Problem:
    return Problem(
        400, "invalid-query-parameter", "Invalid query parameter", f"the query parameter '{name}' is required",
        [ErrorDetail(name, "required")],
    )  # fmt: skip


def _revision(request: Request) -> int | None:
    raw = request.query_params.get("revision")
    if raw is None:
        return None
    if not raw.isdecimal() or int(raw) < 1:
        raise Problem(
            400, "invalid-query-parameter", "Invalid query parameter", f"invalid revision '{raw[:40]}'",
            [ErrorDetail("revision", "must be a whole number from 1")],
        )  # fmt: skip
    return int(raw)


PATH = OpenApiParameter("path", str, required=True, description="`/a/b.txt`; the leading `/` is optional")
OPTIONAL_PATH = OpenApiParameter("path", str, description="Default: the root, `/`")
REVISION = OpenApiParameter("revision", int, description="flowhub: a kept revision; default the current one")


class NamespaceFileApi(APIView):
    parser_classes = [MultiPartParser]
    content_negotiation_class = AnyAcceptNegotiation

    class NamespaceFileUploadSerializer(serializers.Serializer):
        fileContent = serializers.FileField(
            help_text="The bytes. A name ending in .zip is unpacked into the namespace and `path` is ignored."
        )

    @extend_schema(
        operation_id="getFileContent",
        summary="A file's bytes, of its current revision or of `revision`",
        parameters=[PATH, REVISION],
        responses=BINARY,
        tags=TAGS,
    )
    def get(self, request: Request, namespace: str, **_: Any) -> StreamingFileResponse:
        path = _param(request, "path")
        found = selectors.namespace_file_revision_get(namespace=namespace, path=path, revision=_revision(request))
        response = StreamingFileResponse(
            blob_open(found.blob), content_type="application/octet-stream", filename=name_of(found.file.path)
        )
        response["Content-Length"] = str(found.size)
        response["Cache-Control"] = "no-cache"
        return response

    @extend_schema(
        operation_id="createNamespaceFile",
        summary="Create or overwrite a file (a new revision); a .zip upload is unpacked",
        parameters=[PATH],
        request={"multipart/form-data": NamespaceFileUploadSerializer},
        responses=DONE,
        tags=TAGS,
    )
    def post(self, request: Request, namespace: str, **_: Any) -> Response:
        path = _param(request, "path")
        upload = request.FILES.get("fileContent")
        if not isinstance(upload, UploadedFile):
            raise Invalid(
                "the multipart part 'fileContent' is required", [ErrorDetail("fileContent", "a file part is required")]
            )
        if (upload.name or "").lower().endswith(".zip"):
            namespace_files_extract(namespace=namespace, archive=upload, saved_by=saver_of(request))
        else:
            services.namespace_file_write(namespace=namespace, path=path, content=upload)
        return Response(status=200)

    @extend_schema(
        operation_id="moveFileDirectory",
        summary="Move or rename a file or a directory; `to` must not exist",
        parameters=[
            OpenApiParameter("from", str, required=True, description="What to move"),
            OpenApiParameter("to", str, required=True, description="Its new path"),
        ],
        request=None,
        responses=DONE,
        tags=TAGS,
    )
    def put(self, request: Request, namespace: str, **_: Any) -> Response:
        services.namespace_file_move(namespace=namespace, source=_param(request, "from"), target=_param(request, "to"))
        return Response(status=200)

    @extend_schema(
        operation_id="deleteFileDirectory",
        summary="Delete a file, or a directory with everything in it, and the directories left empty",
        parameters=[PATH],
        responses=DONE,
        tags=TAGS,
    )
    def delete(self, request: Request, namespace: str, **_: Any) -> Response:
        services.namespace_file_delete(namespace=namespace, path=_param(request, "path"))
        return Response(status=200)


class NamespaceDirectoryApi(APIView):
    @extend_schema(
        operation_id="listNamespaceDirectoryFiles",
        summary="The files and directories directly in a directory",
        parameters=[OPTIONAL_PATH],
        responses=FileAttributesSerializer(many=True),
        tags=TAGS,
    )
    def get(self, request: Request, namespace: str, **_: Any) -> Response:
        entries = selectors.namespace_directory_list(namespace=namespace, path=request.query_params.get("path", ROOT))
        return Response(FileAttributesSerializer(entries, many=True).data)

    @extend_schema(
        operation_id="createNamespaceDirectory",
        summary="Create a directory and those above it",
        parameters=[PATH],
        request=None,
        responses=DONE,
        tags=TAGS,
    )
    def post(self, request: Request, namespace: str, **_: Any) -> Response:
        services.namespace_directory_create(namespace=namespace, path=_param(request, "path"))
        return Response(status=200)


class NamespaceFileStatsApi(APIView):
    @extend_schema(
        operation_id="getFileMetadatas",
        summary="A file's or directory's attributes",
        parameters=[OPTIONAL_PATH],
        responses=FileAttributesSerializer,
        tags=TAGS,
    )
    def get(self, request: Request, namespace: str, **_: Any) -> Response:
        entry = selectors.namespace_file_stats(namespace=namespace, path=request.query_params.get("path", ROOT))
        return Response(FileAttributesSerializer(entry).data)


class NamespaceFileExportApi(APIView):
    content_negotiation_class = AnyAcceptNegotiation

    @extend_schema(
        operation_id="exportNamespaceFiles",
        summary="A zip of every file and directory, and of the namespace's flows under _flows/",
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="A zip")},
        tags=TAGS,
    )
    def get(self, request: Request, namespace: str, **_: Any) -> StreamingFileResponse:
        response = StreamingFileResponse(
            namespace_files_export(namespace=namespace), content_type="application/octet-stream"
        )
        response["Content-Disposition"] = f'attachment; filename="{namespace}_files.zip"'
        return response


class NamespaceFileSearchApi(APIView):
    @extend_schema(
        operation_id="searchNamespaceFiles",
        summary="Paths of the files whose path contains `q` (ignoring case)",
        parameters=[OpenApiParameter("q", str, required=True)],
        responses={(200, "application/json"): {"type": "array", "items": {"type": "string"}}},
        tags=TAGS,
    )
    def get(self, request: Request, namespace: str, **_: Any) -> Response:
        return Response(selectors.namespace_file_search(namespace=namespace, text=_param(request, "q")))


class NamespaceFileRevisionsApi(APIView):
    @extend_schema(
        operation_id="getFileRevisions",
        summary="The revisions kept of a file, oldest first",
        parameters=[PATH],
        responses=FileRevisionSerializer(many=True),
        tags=TAGS,
    )
    def get(self, request: Request, namespace: str, **_: Any) -> Response:
        revisions = selectors.namespace_file_revisions(namespace=namespace, path=_param(request, "path"))
        return Response([{"revision": revision} for revision in revisions])


class NamespaceFileRestoreApi(APIView):
    @extend_schema(
        operation_id="restoreFileRevision",
        summary="flowhub: make a kept revision's content the file's newest revision",
        parameters=[PATH, OpenApiParameter("revision", int, required=True)],
        request=None,
        responses=FileRevisionSerializer,
        tags=TAGS,
    )
    def post(self, request: Request, namespace: str, **_: Any) -> Response:
        path, revision = _param(request, "path"), _revision(request)
        if revision is None:
            raise _missing("revision")
        file = services.namespace_file_restore(namespace=namespace, path=path, revision=revision)
        assert file.current is not None
        return Response({"revision": file.current.revision})
