"""The template functions that reach outside the execution: `kv()`, `secret()` and `read()`.

They read through a `NamespaceStore` (ports.py) that the Django apps implement. Every value that
`secret()` hands out is remembered in `RevealedSecrets`, so that logs and stored outputs show
`****` in its place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .ports import NamespaceStore

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
    store: NamespaceStore, flow_namespace: str, revealed: RevealedSecrets
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
        return store.read(flow_namespace, path.removeprefix("nsfile://"))

    return {"kv": kv, "secret": secret, "read": read}
