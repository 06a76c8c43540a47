"""Interfaces the engine needs from the outside world; the Django apps implement them."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from .kv import KVType

if TYPE_CHECKING:
    from .registry import TaskDefinition
    from .states import State


class LogSink(Protocol):
    """Receives the log lines a task emits while it runs."""

    def emit(self, level: str, message: str) -> None: ...

    def flush_if_due(self) -> None:
        """Store the lines held back if they have waited long enough. A long task calls this while it
        waits, so that its lines show while it runs."""
        ...


@dataclass(frozen=True)
class ExecutionRef:
    """Which execution a template is rendered for: whose files `read()` may reach."""

    namespace: str
    flow_id: str
    execution_id: str


class NamespaceStore(Protocol):
    """What templates may read beyond their variables: a namespace's KV store, secrets and files, and
    their execution's files and error logs.

    Each method raises when the thing is missing; the template that asked fails with the reason.
    """

    def kv(self, namespace: str, key: str, *, inherit: bool, error_on_missing: bool) -> Any: ...

    def secret(self, namespace: str, name: str) -> str: ...

    def read(self, namespace: str, path: str) -> str: ...

    def read_execution_file(self, execution: ExecutionRef, uri: str) -> str:
        """The text of a `kestra:///` file of `execution`; any other execution's file is refused."""
        ...

    def error_logs(self, execution: ExecutionRef) -> list[dict[str, Any]]:
        """The execution's ERROR log lines so far, oldest first, as the logs API shows them."""
        ...


@dataclass(frozen=True)
class TaskRunRef(ExecutionRef):
    """Which task run of which execution a task is running as: where its execution files go."""

    task_id: str
    task_run_id: str


class Subtasks(Protocol):
    """Runs the tasks of a WorkingDirectory on the worker that runs it, each as its own task run."""

    def run(self, task: TaskDefinition, working_dir: Path, stop: threading.Event) -> State:
        """Run `task` (its `runIf`, its attempts as its `retry` allows) in `working_dir`; its final state.
        Setting `stop` ends the attempt running, and starts no other."""
        ...


class TaskServices(Protocol):
    """What a running task may do beyond logging: KV entries and files of a namespace, and its execution's files.

    Bad input (a key, a path, a URI) raises with the reason; so does a missing entry where one is needed.
    """

    def kv_get(self, namespace: str, key: str, *, error_on_missing: bool) -> Any:
        """The live value of `key` in `namespace`; when there is none, None or, with `error_on_missing`, an error."""
        ...

    def kv_set(
        self, namespace: str, key: str, value: Any, *, kv_type: KVType, ttl: timedelta | None, overwrite: bool
    ) -> None:
        """Store `value` (already of `kv_type`); with `overwrite=False` an existing key raises."""
        ...

    def kv_delete(self, namespace: str, key: str) -> bool:
        """Delete `key`; whether it was there."""
        ...

    def kv_keys(self, namespace: str) -> list[str]:
        """The live keys of `namespace`, sorted."""
        ...

    def namespace_file_paths(self, namespace: str) -> list[str]:
        """Every file of `namespace` (no directories), as `/a/b.txt`, sorted."""
        ...

    def namespace_file_open(self, namespace: str, path: str) -> IO[bytes]: ...

    def namespace_file_write(self, namespace: str, path: str, content: IO[bytes]) -> None:
        """Create or overwrite the file at `path`, its directories too."""
        ...

    def namespace_file_delete(self, namespace: str, path: str) -> None: ...

    def namespace_files_materialize(
        self, namespace: str, directory: Path, include: Sequence[str], exclude: Sequence[str]
    ) -> list[str]:
        """Write the files selected by the globs under `directory`; their paths."""
        ...

    def execution_file_write(self, run: TaskRunRef, name: str, content: IO[bytes]) -> str:
        """Store `content` as the file `name` of the task run; its `kestra:///` URI."""
        ...

    def execution_file_open(self, run: TaskRunRef, uri: str) -> IO[bytes]:
        """A file of the run's execution, by its `kestra:///` URI; other executions' files are refused."""
        ...
