"""Typed inputs for an execution, from what a caller supplied and what the flow declares."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from flowhub.engine import templating
from flowhub.engine.errors import ErrorDetail, InvalidInputsError, TemplateError

from .specs import InputSpec, OutputSpec
from .values import SCALAR_PARSERS, ValueType, parse_list, to_date, to_datetime, to_duration, to_time


def coerce(spec: InputSpec | OutputSpec, value: Any) -> Any:
    """The typed, JSON-safe value of `value` for `spec`, or ValueError with a message fit for a user."""
    if spec.type == ValueType.ARRAY:
        assert isinstance(spec, InputSpec) and spec.itemType is not None
        return [_array_item(spec.itemType, item) for item in parse_list(value)]
    if spec.type == ValueType.MULTISELECT:
        items = [SCALAR_PARSERS[ValueType.STRING](item) for item in parse_list(value)]
        if isinstance(spec, InputSpec):
            for item in items:
                _check_choice(spec, item)
        return items
    result = SCALAR_PARSERS[spec.type](value)
    if isinstance(spec, InputSpec):
        _check_bounds(spec, result)
    return result


def resolve(specs: tuple[InputSpec, ...], supplied: Mapping[str, Any]) -> dict[str, Any]:
    """Typed inputs for an execution, in dependency order; unknown names are ignored, as Kestra does.

    An input whose `dependsOn` inputs are not all enabled, or whose condition does not render to
    `true`, is disabled: left out, and not required.
    """
    errors: list[ErrorDetail] = []
    resolved: dict[str, Any] = {}
    enabled: set[str] = set()
    for spec in dependency_order(specs):
        if not _is_enabled(spec, enabled, resolved, errors):
            continue
        enabled.add(spec.id)
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
            errors.append(ErrorDetail(f"inputs.{spec.id}", f"{exc}, but received '{_shorten(value)}'"))
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
        for dependency in spec.dependsOn.inputs if spec.dependsOn else ():
            if dependency in by_id:
                place(by_id[dependency])
        ordered.append(spec)

    for spec in specs:
        place(spec)
    return ordered


def dependency_cycle(specs: tuple[InputSpec, ...]) -> list[str] | None:
    """The ids of a `dependsOn` cycle, if there is one."""
    by_id = {spec.id: spec for spec in specs}
    state: dict[str, str] = {}

    def visit(spec_id: str, path: list[str]) -> list[str] | None:
        if state.get(spec_id) == "done":
            return None
        if state.get(spec_id) == "visiting":
            return [*path[path.index(spec_id) :], spec_id]
        state[spec_id] = "visiting"
        spec = by_id[spec_id]
        for dependency in spec.dependsOn.inputs if spec.dependsOn else ():
            if dependency in by_id and (cycle := visit(dependency, [*path, spec_id])):
                return cycle
        state[spec_id] = "done"
        return None

    for spec in specs:
        if cycle := visit(spec.id, []):
            return cycle
    return None


def check_bounds_declared(spec: InputSpec) -> None:
    """Bounds are written as values of the input's own type; refuse ones that are not."""
    reader = _READERS.get(spec.type)
    for name in ("min", "max", "after", "before"):
        bound = getattr(spec, name)
        if bound is None:
            continue
        if reader is not None:
            try:
                reader(bound)
            except ValueError as exc:
                raise ValueError(f"'{name}' must be a {spec.type.lower()}: {exc}") from None
        elif isinstance(bound, str):
            raise ValueError(f"'{name}' must be a number")


def _is_enabled(spec: InputSpec, enabled: set[str], resolved: dict[str, Any], errors: list[ErrorDetail]) -> bool:
    if spec.dependsOn is None:
        return True
    if not all(dependency in enabled for dependency in spec.dependsOn.inputs):
        return False
    if spec.dependsOn.condition is None:
        return True
    try:
        return templating.render(spec.dependsOn.condition, {"inputs": resolved}).strip() == "true"
    except TemplateError as exc:
        errors.append(ErrorDetail(f"inputs.{spec.id}", f"dependsOn condition failed: {exc}"))
        return False


def _check_bounds(spec: InputSpec, value: Any) -> None:
    if spec.validator is not None and not re.fullmatch(spec.validator, value):
        raise ValueError(f"it must match the pattern '{spec.validator}'")
    if spec.type in (ValueType.ENUM, ValueType.SELECT):
        _check_choice(spec, value)
    comparable = _comparable(spec.type, value)
    for name, below in (("min", True), ("after", True), ("max", False), ("before", False)):
        bound = getattr(spec, name)
        if bound is None:
            continue
        limit = _comparable(spec.type, bound)
        if (comparable < limit) if below else (comparable > limit):
            word = {"min": "more than", "max": "less than", "after": "after", "before": "before"}[name]
            raise ValueError(f"it must be {word} {_number(bound)}")


_READERS: dict[ValueType, Callable[[Any], Any]] = {
    ValueType.DURATION: to_duration,
    ValueType.DATETIME: to_datetime,
    ValueType.DATE: to_date,
    ValueType.TIME: to_time,
}


def _comparable(kind: ValueType, value: Any) -> Any:
    """Values of date, time and duration types compare as such, not as text."""
    reader = _READERS.get(kind)
    return reader(value) if reader is not None else value


def _check_choice(spec: InputSpec, value: str) -> None:
    if value not in spec.choices and not spec.allowCustomValue:
        raise ValueError(f"it must match the values [{', '.join(spec.choices)}]")


def _array_item(item_type: ValueType, item: Any) -> Any:
    try:
        return SCALAR_PARSERS[item_type](item)
    except ValueError:
        raise ValueError(f"unable to parse array element as `{item_type}` on `{_shorten(item)}`") from None


def _assign(target: dict[str, Any], dotted_id: str, value: Any) -> None:
    *parents, leaf = dotted_id.split(".")
    for parent in parents:
        target = target.setdefault(parent, {})
    target[leaf] = value


def _declared_order(specs: tuple[InputSpec, ...], path: str) -> int:
    ids = [f"inputs.{spec.id}" for spec in specs]
    return ids.index(path) if path in ids else len(ids)


def _shorten(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 100 else text[:97] + "..."


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
