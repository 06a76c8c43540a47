"""Debugging an expression in an execution (Kestra's `eval`): rendered now, as a task of it renders its properties.

The template is the caller's, so it reaches what both they and the flow's saver may (reach.Reach), and each
value `secret()` gave is masked in what is answered, as a task's logs mask it. A rendering that fails is an
answer too, not an error of the request: Kestra's `{"error", "stackTrace"}`.
"""

from __future__ import annotations

from dataclasses import dataclass

from access.roles import Access
from flowhub.engine import templating
from flowhub.engine.errors import ErrorDetail, TemplateError
from flowhub.engine.functions import RevealedSecrets
from flowhub.exceptions import Invalid
from namespaces.flows import parsed_revision

from .run_context import current_template_context
from .selectors import execution_get, task_run_get
from .store import template_functions

MAX_CAUSES = 20


@dataclass(frozen=True)
class Evaluation:
    """What an expression gave: its `result`, or the `error` that stopped it and the chain of its causes."""

    result: str | None = None
    error: str | None = None
    stack_trace: str | None = None


def expression_evaluate(
    *, execution_id: str, expression: str, caller: Access, task_run_id: str | None = None
) -> Evaluation:
    """`expression` rendered in the execution as it stands, with what the task run `task_run_id` sees when given
    (`task`, `taskrun`, `parent`), else with the execution's context alone. NotFound names an unknown execution
    or task run; Invalid an empty expression."""
    if task_run_id is None:
        execution, task_run = execution_get(execution_id=execution_id), None
    else:
        task_run = task_run_get(execution_id=execution_id, task_run_id=task_run_id)
        execution = task_run.execution
    if not expression.strip():
        detail = "required: the expression to evaluate, as text/plain"
        raise Invalid("there is no expression to evaluate", [ErrorDetail("body", detail)])
    revealed = RevealedSecrets()
    functions = template_functions(execution, revealed, caller)
    context = current_template_context(execution, parsed_revision(execution.flow_revision), functions, task_run)
    try:
        return Evaluation(result=revealed.mask(templating.render(expression, context, cache=False)))
    except TemplateError as error:
        return Evaluation(error=revealed.mask(str(error)), stack_trace=revealed.mask(_causes(error)))


def _causes(error: BaseException) -> str:
    """The error and what caused it, one a line, as a stack trace names them; no frame of the server's code."""
    lines: list[str] = []
    current: BaseException | None = error
    while current is not None and len(lines) < MAX_CAUSES:
        lines.append(f"{'Caused by: ' if lines else ''}{type(current).__name__}: {current}")
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return "\n".join(lines)
