"""The engine's `NamespaceStore` (what `kv()`, `secret()` and `read()` reach) on the namespace services."""

from __future__ import annotations

from typing import Any

from flowhub.engine.templating import MAX_OUTPUT_CHARS
from kv.selectors import kv_value
from namespaces.file_selectors import namespace_file_read_text
from namespaces.secrets import secret_resolve


class ServicesStore:
    def kv(self, namespace: str, key: str, *, inherit: bool, error_on_missing: bool) -> Any:
        return kv_value(namespace=namespace, key=key, inherit=inherit, error_on_missing=error_on_missing)

    def secret(self, namespace: str, name: str) -> str:
        return secret_resolve(namespace=namespace, name=name)

    def read(self, namespace: str, path: str) -> str:
        return namespace_file_read_text(namespace=namespace, path=path, max_bytes=MAX_OUTPUT_CHARS)


STORE = ServicesStore()
