"""Typed inputs for an execution, from what a caller supplied and what the flow declares."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flowhub.engine import graphs, templating
from flowhub.engine.errors import ErrorDetail, InvalidInputsError, TemplateError

from .rules import coerce, shorten
from .specs import InputSpec
from .values import ValueType

_MASK = "******"


def resolve(specs: tuple[InputSpec, ...], supplied: Mapping[str, Any]) -> dict[str, Any]:
    """Typed inputs for an execution, in dependency order; unknown names are ignored, as Kestra does.

    An input is disabled, so left out and not required, when one of its `dependsOn` inputs is
    disabled or has no value, or when its condition does not render to `true`.
    """
    errors: list[ErrorDetail] = []
    resolved: dict[str, Any] = {}
    present: set[str] = set()
    for spec in dependency_order(specs):
        if not _is_enabled(spec, present, resolved, errors):
            continue
        value = supplied.get(spec.id)
        if value is None or (value == "" and spec.type != ValueType.STRING):
            value = spec.defaults
        if value is None:
            if spec.required:
                errors.append(ErrorDetail(f"inputs.{spec.id}", "missing required input"))
            continue
        try:
            _assign(resolved, spec.id, coerce(spec, value))
        except ValueError as exc:
            shown = _MASK if spec.type == ValueType.SECRET else shorten(value)
            errors.append(ErrorDetail(f"inputs.{spec.id}", f"{exc}, but received '{shown}'"))
        else:
            present.add(spec.id)
    if errors:
        raise InvalidInputsError(sorted(errors, key=lambda error: _declared_order(specs, error.path)))
    return resolved


def dependency_order(specs: tuple[InputSpec, ...]) -> list[InputSpec]:
    """Declaration order, each input after those it depends on (the parser has refused cycles)."""
    by_id = {spec.id: spec for spec in specs}
    ordered: list[InputSpec] = []
    placed: set[str] = set()

    def place(spec: InputSpec) -> None:
        if spec.id in placed:
            return
        placed.add(spec.id)
        for dependency in _dependencies(spec):
            if dependency in by_id:
                place(by_id[dependency])
        ordered.append(spec)

    for spec in specs:
        place(spec)
    return ordered


def dependency_cycles(specs: tuple[InputSpec, ...]) -> dict[str, list[str]]:
    """Each input on a `dependsOn` cycle, with that cycle's ids starting from it, in declaration order."""
    return graphs.cycles({spec.id: _dependencies(spec) for spec in specs})


def _dependencies(spec: InputSpec) -> tuple[str, ...]:
    return spec.dependsOn.inputs if spec.dependsOn else ()


def _is_enabled(spec: InputSpec, present: set[str], resolved: dict[str, Any], errors: list[ErrorDetail]) -> bool:
    if spec.dependsOn is None:
        return True
    if not all(dependency in present for dependency in spec.dependsOn.inputs):
        return False
    if spec.dependsOn.condition is None:
        return True
    try:
        return templating.render(spec.dependsOn.condition, {"inputs": resolved}).strip() == "true"
    except TemplateError as exc:
        errors.append(ErrorDetail(f"inputs.{spec.id}", f"dependsOn condition failed: {exc}"))
        return False


def _assign(target: dict[str, Any], dotted_id: str, value: Any) -> None:
    *parents, leaf = dotted_id.split(".")
    for parent in parents:
        target = target.setdefault(parent, {})
    target[leaf] = value


def value_at(values: Mapping[str, Any], dotted_id: str) -> Any:
    """The value `resolve` gave the input `dotted_id` (`a.b` is held as `{"a": {"b": …}}`); None when none."""
    found: Any = values
    for part in dotted_id.split("."):
        found = found.get(part) if isinstance(found, Mapping) else None
    return found


def _declared_order(specs: tuple[InputSpec, ...], path: str) -> int:
    ids = [f"inputs.{spec.id}" for spec in specs]
    return ids.index(path) if path in ids else len(ids)
