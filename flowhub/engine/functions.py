"""The template functions that reach outside the template's variables: `kv()`, `secret()`, `read()` and
`errorLogs()`.

They read through a `NamespaceStore` (ports.py) that the Django apps implement. Every value that
`secret()` hands out is remembered in `RevealedSecrets`, so that logs and stored outputs show
`****` in its place. `read()` reaches the flow's own namespace files and its own execution's files,
nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import TemplateError
from .ports import ExecutionRef, NamespaceStore

EXECUTION_FILE_SCHEME = "kestra://"
NAMESPACE_FILE_SCHEME = "nsfile://"

MASK = "****"


class RevealedSecrets:
    """The secret values one run has read."""

    def __init__(self) -> None:
        self._values: set[str] = set()

    def add(self, value: str) -> None:
        if value:
            self._values.add(value)

    def mask(self, value: Any) -> Any:
        """`value` with every revealed secret replaced by `****`, inside lists and maps too."""
        if not self._values:
            return value
        if isinstance(value, str):
            for secret in sorted(self._values, key=len, reverse=True):  # a longer secret may contain a shorter
                value = value.replace(secret, MASK)
            return value
        if isinstance(value, list):
            return [self.mask(item) for item in value]
        if isinstance(value, dict):
            return {key: self.mask(item) for key, item in value.items()}
        return value


def namespace_functions(
    store: NamespaceStore, flow_namespace: str, revealed: RevealedSecrets, execution: ExecutionRef | None = None
) -> dict[str, Callable[..., Any]]:
    """The functions a template of a flow in `flow_namespace` may call, under Kestra's names; those about
    an execution's files and logs need `execution`."""

    def kv(key: str, namespace: str | None = None, errorOnMissing: bool = True) -> Any:
        # Without an explicit namespace the flow's own is searched, then its parents, nearest first.
        return store.kv(namespace or flow_namespace, key, inherit=namespace is None, error_on_missing=errorOnMissing)

    def secret(key: str) -> str:
        value = store.secret(flow_namespace, key)
        revealed.add(value)
        return value

    def of_execution() -> ExecutionRef:
        if execution is None:
            raise TemplateError("there is no execution here to read files or logs of")
        return execution

    def read(path: str) -> str:
        """A file of the execution (`kestra:///…`), or of the flow's namespace (`nsfile:///path`, `path`)."""
        if path.startswith(EXECUTION_FILE_SCHEME):
            return store.read_execution_file(of_execution(), path)
        if path.startswith(NAMESPACE_FILE_SCHEME):
            namespace, _, rest = path.removeprefix(NAMESPACE_FILE_SCHEME).partition("/")
            if namespace not in ("", flow_namespace):
                raise TemplateError(f"read() reaches the files of namespace '{flow_namespace}' only, not '{namespace}'")
            path = "/" + rest
        return store.read(flow_namespace, path)

    def error_logs() -> list[dict[str, Any]]:
        return store.error_logs(of_execution())

    return {"kv": kv, "secret": secret, "read": read, "errorLogs": error_logs}
