"""Kestra's KV store tasks: `kv.Set`, `kv.Get`, `kv.Delete`, `kv.GetKeys`.

Each works on the KV store of `namespace`, the flow's own when it is not set; no parent is searched.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field

from flowhub.engine.context import RunContext
from flowhub.engine.errors import TaskFailure
from flowhub.engine.fields import Duration
from flowhub.engine.kv import KVType, coerce, infer, key_problem
from flowhub.engine.registry import TaskDefinition

from . import properties
from .properties import KVKey, NamespaceName


class _KVTask(TaskDefinition):
    key: KVKey = Field(examples=["my_key"])
    namespace: NamespaceName | None = None

    def _where(self, ctx: RunContext) -> tuple[str, str]:
        return properties.namespace(ctx, self.namespace), properties.text(ctx, "key", self.key, key_problem)


class Set(_KVTask):
    """Store the rendered `value` under `key`, typed by `kvType` or else by the value itself."""

    TYPE = "io.kestra.plugin.core.kv.Set"

    value: Any = Field(examples=["a value"])
    overwrite: bool = True
    ttl: Duration | None = None
    kvType: KVType | None = None

    def run(self, ctx: RunContext) -> dict[str, Any]:
        namespace, key = self._where(ctx)
        kv_type, value = _typed(ctx.render(self.value), self.kvType)
        ttl = properties.duration(ctx, "ttl", self.ttl) if self.ttl is not None else None
        ctx.services.kv_set(namespace, key, value, kv_type=kv_type, ttl=ttl, overwrite=self.overwrite)
        return {}


def _typed(value: Any, kv_type: KVType | None) -> tuple[KVType, Any]:
    """As Kestra stores it: rendered text is a STRING unless `kvType` says otherwise; a YAML number,
    boolean, list or map keeps its type."""
    if kv_type is not None:
        try:
            return kv_type, coerce(kv_type, value)
        except ValueError as exc:
            raise TaskFailure(f"value: not a {kv_type.value}: {exc}") from None
    if isinstance(value, str):
        return KVType.STRING, value
    return infer(json.dumps(value))


class Get(_KVTask):
    """The value of `key` as the output `value`; a missing key gives null, or fails with `errorOnMissing`."""

    TYPE = "io.kestra.plugin.core.kv.Get"

    errorOnMissing: bool = False

    def run(self, ctx: RunContext) -> dict[str, Any]:
        namespace, key = self._where(ctx)
        return {"value": ctx.services.kv_get(namespace, key, error_on_missing=self.errorOnMissing)}


class Delete(_KVTask):
    """Delete `key`; the output `deleted` says whether it was there (with `errorOnMissing`, it must be)."""

    TYPE = "io.kestra.plugin.core.kv.Delete"

    errorOnMissing: bool = False

    def run(self, ctx: RunContext) -> dict[str, Any]:
        namespace, key = self._where(ctx)
        deleted = ctx.services.kv_delete(namespace, key)
        if not deleted and self.errorOnMissing:
            raise TaskFailure(f"No value found for key '{key}' in namespace '{namespace}'")
        return {"deleted": deleted}


class GetKeys(TaskDefinition):
    """The live keys of the namespace, those starting with `prefix` if it is set, as the output `keys`."""

    TYPE = "io.kestra.plugin.core.kv.GetKeys"

    prefix: str | None = None
    namespace: NamespaceName | None = None

    def run(self, ctx: RunContext) -> dict[str, Any]:
        namespace = properties.namespace(ctx, self.namespace)
        prefix = properties.text(ctx, "prefix", self.prefix) if self.prefix is not None else ""
        return {"keys": [key for key in ctx.services.kv_keys(namespace) if key.startswith(prefix)]}


TASK_TYPES: tuple[type[TaskDefinition], ...] = (Set, Get, Delete, GetKeys)
