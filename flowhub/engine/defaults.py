"""`pluginDefaults` (legacy `taskDefaults`): property values shared by every task of a type family.

A default applies to each task whose type starts with its `type` (Kestra's prefix match): it
fills in what the task leaves out, and with `forced: true` it overrides what the task says.
Maps merge key by key; `id` and `type` are never taken from a default.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_NEVER_DEFAULTED = frozenset({"id", "type"})


class PluginDefault(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str = Field(min_length=1)
    values: dict[str, Any]
    forced: bool = False


def apply_defaults(task: dict[str, Any], defaults: Sequence[PluginDefault]) -> dict[str, Any]:
    type_name = task.get("type")
    if not isinstance(type_name, str):
        return task
    result = task
    for default in defaults:
        if not type_name.startswith(default.type):
            continue
        values = {key: value for key, value in default.values.items() if key not in _NEVER_DEFAULTED}
        result = _merge(result, values) if default.forced else _merge(values, result)
    return result


def _merge(base: dict[str, Any], winner: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in winner.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged
