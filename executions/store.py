"""The engine's ports on the services: `NamespaceStore` (what `kv()`, `secret()`, `read()` and `errorLogs()`
reach) and `TaskServices` (what running tasks do with KV entries, namespace files and execution files).

Each is made for one run of a flow revision and checks, through its `Reach`, every namespace it is asked
to reach (reach.py). `secret()` needs no check: it only ever reads the flow's own namespace and its parents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage

from access.roles import Access, Role
from flowhub.engine.errors import ErrorDetail
from flowhub.engine.functions import RevealedSecrets, namespace_functions
from flowhub.engine.kv import KVType
from flowhub.engine.ports import ExecutionRef, TaskRunRef
from flowhub.engine.templating import MAX_OUTPUT_CHARS
from flowhub.exceptions import Invalid
from kv.selectors import kv_list, kv_value
from kv.services import kv_delete, kv_set
from namespaces.file_selectors import (
    namespace_file_open,
    namespace_file_read_text,
    namespace_files,
    namespace_files_materialize,
)
from namespaces.file_services import namespace_file_delete, namespace_file_write
from namespaces.models import NamespaceFile
from namespaces.secrets import secret_resolve

from .files import SCHEME, execution_file_open, execution_prefix
from .models import Execution, LogEntry
from .reach import Reach
from .serializers import LogEntrySerializer

MAX_ERROR_LOGS = 1000
"""`errorLogs()` gives the first ones: what an error handler reports needs no more."""


class ServicesStore:
    def __init__(self, reach: Reach):
        self.reach = reach

    def kv(self, namespace: str, key: str, *, inherit: bool, error_on_missing: bool) -> Any:
        self.reach.require(namespace, Role.VIEWER)
        return kv_value(namespace=namespace, key=key, inherit=inherit, error_on_missing=error_on_missing)

    def secret(self, namespace: str, name: str) -> str:
        return secret_resolve(namespace=namespace, name=name)

    def read(self, namespace: str, path: str) -> str:
        self.reach.require(namespace, Role.VIEWER)
        return namespace_file_read_text(namespace=namespace, path=path, max_bytes=MAX_OUTPUT_CHARS)

    def read_execution_file(self, execution: ExecutionRef, uri: str) -> str:
        with execution_file_open(prefixes=_lineage_prefixes(execution), uri=uri, field="path") as stream:
            content = stream.read(MAX_OUTPUT_CHARS + 1)
        if len(content) > MAX_OUTPUT_CHARS:
            raise Invalid(f"'{uri}' is larger than {MAX_OUTPUT_CHARS} bytes, more than read() gives")
        return content.decode("utf-8", errors="replace")

    def error_logs(self, execution: ExecutionRef) -> list[dict[str, Any]]:
        lines = LogEntry.objects.filter(execution_id=execution.execution_id, level="ERROR").select_related("execution")
        return list(LogEntrySerializer(lines.order_by("timestamp", "id")[:MAX_ERROR_LOGS], many=True).data)


def template_functions(execution: Execution, revealed: RevealedSecrets, caller: Access | None = None) -> dict[str, Any]:
    """The functions templates of `execution` may call: `kv()`, `secret()`, `read()`, `errorLogs()`; for a
    template of `caller`'s rather than the flow's, within their reach too (reach.Reach)."""
    scope = ExecutionRef(execution.namespace, execution.flow_id, execution.id)
    return namespace_functions(ServicesStore(Reach.of(execution, caller)), execution.namespace, revealed, scope)


class ServicesTaskServices:
    def __init__(self, reach: Reach):
        self.reach = reach

    def kv_get(self, namespace: str, key: str, *, error_on_missing: bool) -> Any:
        self.reach.require(namespace, Role.VIEWER)
        return kv_value(namespace=namespace, key=key, inherit=False, error_on_missing=error_on_missing)

    def kv_set(
        self, namespace: str, key: str, value: Any, *, kv_type: KVType, ttl: timedelta | None, overwrite: bool
    ) -> None:
        self.reach.require(namespace, Role.EDITOR)
        kv_set(namespace=namespace, key=key, kv_type=kv_type, value=value, ttl=ttl, overwrite=overwrite)

    def kv_delete(self, namespace: str, key: str) -> bool:
        self.reach.require(namespace, Role.EDITOR)
        return kv_delete(namespace=namespace, key=key)

    def kv_keys(self, namespace: str) -> list[str]:
        self.reach.require(namespace, Role.VIEWER)
        return list(kv_list(namespace=namespace).values_list("key", flat=True))

    def namespace_file_paths(self, namespace: str) -> list[str]:
        self.reach.require(namespace, Role.VIEWER)
        files = namespace_files(namespace=namespace).filter(kind=NamespaceFile.Kind.FILE)
        return list(files.order_by("path").values_list("path", flat=True))

    def namespace_file_open(self, namespace: str, path: str) -> IO[bytes]:
        self.reach.require(namespace, Role.VIEWER)
        return namespace_file_open(namespace=namespace, path=path)

    def namespace_file_write(self, namespace: str, path: str, content: IO[bytes]) -> None:
        self.reach.require(namespace, Role.EDITOR)
        namespace_file_write(namespace=namespace, path=path, content=File(content))

    def namespace_file_delete(self, namespace: str, path: str) -> None:
        self.reach.require(namespace, Role.EDITOR)
        namespace_file_delete(namespace=namespace, path=path)

    def namespace_files_materialize(
        self, namespace: str, directory: Path, include: Sequence[str], exclude: Sequence[str]
    ) -> list[str]:
        self.reach.require(namespace, Role.VIEWER)
        return namespace_files_materialize(namespace=namespace, directory=directory, include=include, exclude=exclude)

    def execution_file_write(self, run: TaskRunRef, name: str, content: IO[bytes]) -> str:
        segments = name.split("/")
        if any(segment in ("", ".", "..") for segment in segments) or "\\" in name or "\x00" in name:
            raise Invalid(f"invalid file name '{name[:100]}'", [ErrorDetail("name", "must be a relative path")])
        stored = default_storage.save(f"{_prefix(run)}/{run.task_id}/{run.task_run_id}/{name}", File(content))
        return f"{SCHEME}/{stored}"

    def execution_file_open(self, run: TaskRunRef, uri: str) -> IO[bytes]:
        return execution_file_open(prefixes=_lineage_prefixes(run), uri=uri, field="uri")


def _prefix(execution: ExecutionRef) -> str:
    return execution_prefix(execution.namespace, execution.flow_id, execution.execution_id)


def _lineage_prefixes(execution: ExecutionRef) -> list[str]:
    """Where the files a task of `execution` may read are: its own, then those of the executions it came from
    (a Subflow's parents, the execution a replay copied), as Kestra lets a subflow read the file its parent
    passed it. Never a sibling's or a stranger's."""
    prefixes = [_prefix(execution)]
    parent_id = Execution.objects.filter(pk=execution.execution_id).values_list("parent_id", flat=True).first()
    for _ in range(settings.FLOWHUB_MAX_SUBFLOW_DEPTH + 1):
        parent = Execution.objects.filter(pk=parent_id).values("namespace", "flow_id", "id", "parent_id").first()
        if parent is None:
            break
        prefixes.append(execution_prefix(parent["namespace"], parent["flow_id"], parent["id"]))
        parent_id = parent["parent_id"]
    return prefixes
