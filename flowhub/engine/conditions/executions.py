"""Conditions about the execution a trigger looks at, and about the trigger's own flow."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from flowhub.engine import templating
from flowhub.engine.states import State

from .base import CORE, OLD, ConditionContext, ConditionDefinition, label_pairs, names, render


class Expression(ConditionDefinition):
    """True unless the expression renders to nothing, blanks or `false`."""

    TYPE, ALIASES = names("Expression", old="VariableCondition")
    expression: str

    def holds(self, context: ConditionContext) -> bool:
        rendered = render(self.expression, context.variables).strip()
        return rendered not in ("", "false")


class ExecutionFlow(ConditionDefinition):
    """The execution is of this flow."""

    TYPE, ALIASES = names("ExecutionFlow")
    namespace: str
    flowId: str

    def holds(self, context: ConditionContext) -> bool:
        return (context.execution.namespace, context.execution.flow_id) == (self.namespace, self.flowId)


class Comparison(StrEnum):
    EQUALS = "EQUALS"
    PREFIX = "PREFIX"
    SUFFIX = "SUFFIX"


class ExecutionNamespace(ConditionDefinition):
    """The execution's namespace equals, starts or ends with `namespace` (`prefix: true` is PREFIX)."""

    TYPE, ALIASES = names("ExecutionNamespace")
    namespace: str
    comparison: Comparison | None = None
    prefix: bool = False

    def holds(self, context: ConditionContext) -> bool:
        actual = context.execution.namespace
        comparison = self.comparison or (Comparison.PREFIX if self.prefix else Comparison.EQUALS)
        if comparison == Comparison.PREFIX:
            return actual.startswith(self.namespace)
        if comparison == Comparison.SUFFIX:
            return actual.endswith(self.namespace)
        return actual == self.namespace


class ExecutionStatus(ConditionDefinition):
    """The execution's state is among `in` (when given) and not among `notIn`."""

    TYPE, ALIASES = names("ExecutionStatus")
    in_: tuple[State, ...] | None = Field(default=None, alias="in")
    notIn: tuple[State, ...] | None = None

    def holds(self, context: ConditionContext) -> bool:
        state = context.execution.state
        return (self.in_ is None or state in self.in_) and (self.notIn is None or state not in self.notIn)


class HasRetryAttempt(ConditionDefinition):
    """One of the execution's task runs had more than one attempt, and one of those ended in a state among
    `in` and not among `notIn`. Without `in`, no state is among it: it never holds, as in Kestra."""

    TYPE, ALIASES = names("HasRetryAttempt")
    in_: tuple[State, ...] | None = Field(default=None, alias="in")
    notIn: tuple[State, ...] | None = None

    def holds(self, context: ConditionContext) -> bool:
        allowed, refused = self.in_ or (), self.notIn or ()
        return any(
            state in allowed and state not in refused
            for attempts in context.execution.attempts()
            if len(attempts) > 1
            for state in attempts
        )


class ExecutionLabels(ConditionDefinition):
    """The execution has every one of these labels (a map, or Kestra's `[{key, value}]` list)."""

    TYPE, ALIASES = names("ExecutionLabels")
    labels: dict[str, Any] | list[dict[str, Any]]

    def holds(self, context: ConditionContext) -> bool:
        return all(context.execution.labels.get(key) == value for key, value in label_pairs(self.labels))


class ExecutionOutputs(ConditionDefinition):
    """The expression, with the execution's outputs as `trigger.outputs`, is true; false without outputs."""

    TYPE, ALIASES = names("ExecutionOutputs")
    expression: str

    def holds(self, context: ConditionContext) -> bool:
        if not context.execution.outputs:
            return False
        trigger = {**context.variables.get("trigger", {}), "outputs": dict(context.execution.outputs)}
        return templating.is_truthy(render(self.expression, {**context.variables, "trigger": trigger}))


class FlowCondition(ConditionDefinition):
    """The trigger's own flow is this one (deprecated in Kestra, kept for old flows)."""

    TYPE, ALIASES = CORE + "FlowCondition", (OLD + "FlowCondition",)
    namespace: str
    flowId: str

    def holds(self, context: ConditionContext) -> bool:
        return (context.flow_namespace, context.flow_id) == (self.namespace, self.flowId)


class FlowNamespaceCondition(ConditionDefinition):
    """The trigger's own flow is in this namespace, or below it with `prefix` (deprecated in Kestra)."""

    TYPE, ALIASES = CORE + "FlowNamespaceCondition", (OLD + "FlowNamespaceCondition",)
    namespace: str
    prefix: bool = False

    def holds(self, context: ConditionContext) -> bool:
        if self.prefix:
            return context.flow_namespace.startswith(self.namespace)
        return context.flow_namespace == self.namespace
