"""`POST /flows/validate`: every flow of a YAML stream checked, each with all its violations."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from flowhub.engine import yamlsource
from flowhub.engine.errors import EngineError, ErrorDetail, InvalidFlowError

from .flows import parse_source


@dataclass
class FlowValidation:
    index: int
    namespace: str | None = None
    flow: str | None = None
    errors: list[ErrorDetail] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """What the flow asks for that flowhub cannot run yet: it saves, but executions are refused."""

    @property
    def constraints(self) -> str | None:
        """Kestra's one-string summary of the violations, or None for a valid flow."""
        return ", ".join(map(str, self.errors)) or None


def flows_validate(*, source: str) -> list[FlowValidation]:
    results = []
    for index, (offset, text) in enumerate(yamlsource.split_documents(source)):
        result = FlowValidation(index=index, **_identity(text))
        try:
            parsed = parse_source(text)
        except InvalidFlowError as exc:
            result.errors = [_shifted(error, offset) for error in exc.errors]
        except EngineError as exc:
            result.errors = [ErrorDetail("$", str(exc))]
        else:
            result.warnings = [str(_shifted(gap, offset)) for gap in parsed.not_runnable]
        results.append(result)
    return results


def _shifted(error: ErrorDetail, offset: int) -> ErrorDetail:
    """`error` with its line counted from the start of the whole stream, not of its document."""
    return replace(error, line=error.line + offset) if error.line else error


def _identity(text: str) -> dict[str, str | None]:
    """The id and namespace a document claims, read leniently: it may be invalid."""
    try:
        document = yamlsource.load(text).data
    except EngineError:
        return {}
    if not isinstance(document, dict):
        return {}
    return {key: value for key, value in (("namespace", document.get("namespace")), ("flow", document.get("id")))
            if isinstance(value, str)}  # fmt: skip
