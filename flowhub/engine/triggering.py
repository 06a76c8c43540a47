"""What every trigger does to start an execution: the variables its expressions see, and its `inputs` and
`labels` rendered with them."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from . import templating
from .conditions import ExecutionFacts, label_pairs
from .context import env_variables, nested_labels
from .errors import EngineError, ErrorDetail

if TYPE_CHECKING:
    from .model import Flow

FROM_LABEL = "system.from"
"""Kestra's label saying what started an execution; a trigger's executions carry `trigger`."""


class TriggerRenderError(EngineError):
    """A trigger's inputs or labels did not render; `errors` names each."""

    def __init__(self, errors: list[ErrorDetail]):
        self.errors = errors
        super().__init__("; ".join(map(str, errors)))


def trigger_context(
    flow: Flow,
    execution: ExecutionFacts,
    trigger: dict[str, Any],
    functions: Mapping[str, Callable[..., Any]],
) -> dict[str, Any]:
    """What a trigger's conditions, inputs and labels see: the flow owning the trigger, its variables,
    `trigger` (what fired it), the labels of the execution they are about, `envs` and the functions."""
    return {
        **functions,
        "flow": {"id": flow.id, "namespace": flow.namespace},
        "vars": flow.variables,
        "labels": nested_labels(execution.labels),
        "envs": env_variables(os.environ),
        "trigger": trigger,
    }


def rendered_inputs(inputs: Mapping[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """A trigger's `inputs`, every expression in them rendered; each failure is named `inputs.<id>`."""
    rendered: dict[str, Any] = {}
    errors: list[ErrorDetail] = []
    for name, value in inputs.items():
        try:
            rendered[name] = templating.render_value(value, context)
        except EngineError as error:
            errors.append(ErrorDetail(f"inputs.{name}", str(error)))
    if errors:
        raise TriggerRenderError(errors)
    return rendered


def rendered_labels(
    labels: Mapping[str, Any] | list[dict[str, Any]] | None, context: dict[str, Any]
) -> list[tuple[str, str]]:
    """A trigger's `labels` (a map or Kestra's `[{key, value}]` list) as (key, value) pairs, values rendered."""
    pairs: list[tuple[str, str]] = []
    errors: list[ErrorDetail] = []
    for key, value in label_pairs(labels or {}):
        try:
            pairs.append((key, templating.render(value, context)))
        except EngineError as error:
            errors.append(ErrorDetail(f"labels.{key}", str(error)))
    if errors:
        raise TriggerRenderError(errors)
    return pairs
