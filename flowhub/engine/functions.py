"""The template functions that reach outside the execution: `kv()`, `secret()` and `read()`.

They read through a `NamespaceStore` (ports.py) that the Django apps implement; `read()` of a
`kestra://` URI reads a file of the execution, when the caller gives a reader for them. Every value that
`secret()` hands out is remembered in `RevealedSecrets`, so that logs and stored outputs show
`****` in its place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, Any

from .errors import TemplateError
from .ports import NamespaceStore
from .templating import MAX_OUTPUT_CHARS

MASK = "****"
EXECUTION_FILE_SCHEME = "kestra://"

ExecutionFileReader = Callable[[str], IO[bytes]]
"""Opens a `kestra://` file of the execution a template renders for; refuses any other file."""


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
    store: NamespaceStore,
    flow_namespace: str,
    revealed: RevealedSecrets,
    execution_files: ExecutionFileReader | None = None,
) -> dict[str, Callable[..., Any]]:
    """The functions a template of a flow in `flow_namespace` may call, under Kestra's names."""

    def kv(key: str, namespace: str | None = None, errorOnMissing: bool = True) -> Any:
        # Without an explicit namespace the flow's own is searched, then its parents, nearest first.
        return store.kv(namespace or flow_namespace, key, inherit=namespace is None, error_on_missing=errorOnMissing)

    def secret(key: str) -> str:
        value = store.secret(flow_namespace, key)
        revealed.add(value)
        return value

    def read(path: str) -> str:
        if not path.startswith(EXECUTION_FILE_SCHEME):
            return store.read(flow_namespace, path.removeprefix("nsfile://"))
        if execution_files is None:
            raise TemplateError(f"read('{path[:200]}'): an execution's files cannot be read here")
        with execution_files(path) as stream:
            data = stream.read(MAX_OUTPUT_CHARS + 1)
        if len(data) > MAX_OUTPUT_CHARS:
            raise TemplateError(f"read('{path[:200]}'): the file is larger than {MAX_OUTPUT_CHARS} bytes")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise TemplateError(f"read('{path[:200]}'): not UTF-8 text at byte {exc.start}") from None

    return {"kv": kv, "secret": secret, "read": read}
