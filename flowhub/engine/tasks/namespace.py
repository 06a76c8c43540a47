"""Kestra's namespace-file tasks: `namespace.UploadFiles`, `namespace.DownloadFiles`, `namespace.DeleteFiles`.

Their `files` output maps each namespace file they touched to its `nsfile://<namespace>/<path>` URI
(DownloadFiles: to the `kestra:///` URI of its copy in the execution's storage).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator

from flowhub.engine import globs
from flowhub.engine.context import RunContext
from flowhub.engine.errors import TaskFailure
from flowhub.engine.registry import TaskDefinition

from . import properties
from .properties import NamespaceName


class Conflict(StrEnum):
    OVERWRITE = "OVERWRITE"
    ERROR = "ERROR"
    SKIP = "SKIP"


class UploadFiles(TaskDefinition):
    """Write files into a namespace: `filesMap` maps each destination path (under `destination`) to a
    `kestra://` URI or to the content itself; `conflict` says what to do when the file exists."""

    TYPE = "io.kestra.plugin.core.namespace.UploadFiles"

    namespace: NamespaceName | None = None
    filesMap: dict[str, str] | str = Field(examples=[{"/scripts/hello.sh": "echo hello"}])
    # Kestra's deprecated form: globs over a WorkingDirectory's files, or, older still, a map.
    files: list[str] | dict[str, str] | None = None
    destination: str = "/"
    conflict: Conflict = Conflict.OVERWRITE

    @field_validator("files")
    @classmethod
    def _no_files(cls, value: list[str] | dict[str, str] | None) -> None:
        if value is not None:
            raise ValueError("Kestra's deprecated 'files' is not supported by flowhub: use filesMap")
        return None

    def run(self, ctx: RunContext) -> dict[str, Any]:
        namespace = properties.namespace(ctx, self.namespace)
        destination = properties.text(ctx, "destination", self.destination)
        existing = (
            set(ctx.services.namespace_file_paths(namespace)) if self.conflict is not Conflict.OVERWRITE else set()
        )
        uploaded: dict[str, str] = {}
        for target, source in properties.files_map(ctx, "filesMap", self.filesMap).items():
            path = "/" + _joined(destination, target)
            if path in existing:
                if self.conflict is Conflict.ERROR:
                    raise TaskFailure(f"filesMap: '{path}' already exists in namespace '{namespace}'")
                ctx.log("INFO", f"'{path}' already exists in namespace '{namespace}': skipped")
                continue
            with properties.content_stream(ctx, source) as stream:
                ctx.services.namespace_file_write(namespace, path, stream)
            uploaded[path] = f"nsfile://{namespace}{path}"
        return {"files": uploaded}


def _joined(*parts: str) -> str:
    """Paths joined with `/` and without empty segments: `("/", "a/b")` gives `a/b`."""
    return "/".join(segment for part in parts for segment in part.split("/") if segment)


class _Selection(TaskDefinition):
    namespace: NamespaceName = Field(examples=["company.team"])
    files: str | list[str] = Field(examples=[["**"]])

    def _selected(self, ctx: RunContext) -> tuple[str, list[str]]:
        """The namespace and its files that match the rendered globs of `files`."""
        namespace = properties.namespace(ctx, self.namespace)
        patterns = [self.files] if isinstance(self.files, str) else self.files
        rendered = [properties.text(ctx, "files", pattern) for pattern in patterns]
        paths = ctx.services.namespace_file_paths(namespace)
        # Pattern by pattern: an empty list selects nothing (for `globs.selected`, no include means all).
        return namespace, [path for path in paths if any(globs.selected(path, [pattern], ()) for pattern in rendered)]


class DownloadFiles(_Selection):
    """Copy the namespace's files matching the globs of `files` into the execution's storage, under
    `destination`; the output `files` maps each path to its copy's URI."""

    TYPE = "io.kestra.plugin.core.namespace.DownloadFiles"

    destination: str = ""

    def run(self, ctx: RunContext) -> dict[str, Any]:
        namespace, paths = self._selected(ctx)
        destination = properties.text(ctx, "destination", self.destination)
        downloaded: dict[str, str] = {}
        for path in paths:
            with ctx.services.namespace_file_open(namespace, path) as stream:
                downloaded[path] = ctx.services.execution_file_write(ctx.task_run, _joined(destination, path), stream)
        return {"files": downloaded}


class DeleteFiles(_Selection):
    """Delete the namespace's files matching the globs of `files` (and the directories left empty)."""

    TYPE = "io.kestra.plugin.core.namespace.DeleteFiles"

    def run(self, ctx: RunContext) -> dict[str, Any]:
        namespace, paths = self._selected(ctx)
        for path in paths:
            ctx.services.namespace_file_delete(namespace, path)
        return {"files": {path: f"nsfile://{namespace}{path}" for path in paths}}


TASK_TYPES: tuple[type[TaskDefinition], ...] = (UploadFiles, DownloadFiles, DeleteFiles)
