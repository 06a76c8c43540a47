"""Flow YAML → validated `Flow`, with every error tied to its path and YAML line.

Validation collects as many errors as it can in one pass, so a user fixes a flow in one round.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

import pydantic
from pydantic_core import PydanticCustomError

from . import capabilities, yamlsource
from .defaults import PluginDefault, apply_defaults
from .errors import ErrorDetail, InvalidFlowError
from .flowable import BRANCH_PARSER, CHILDREN_REPORTED
from .inputs import DeclarationError, InputSpec, OutputSpec, dependency_cycles
from .inputs.specs import Declaration
from .model import Flow, Policies
from .namespaces import validate_namespace
from .registry import Plugin, Registry, TaskDefinition, TriggerDefinition
from .yamlsource import LoadedYaml, Path, format_path

Model = TypeVar("Model", bound=pydantic.BaseModel)
Spec = TypeVar("Spec", bound=Declaration)
PluginModel = TypeVar("PluginModel", bound=Plugin)

FLOW_ID_PATTERN = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9._-]*")
FLOW_ID_MAX = 100

SUPPORTED_KEYS = frozenset(
    {
        "id", "namespace", "revision", "description", "labels", "inputs", "variables", "tasks", "errors", "finally",
        "afterExecution", "outputs", "triggers", "concurrency", "disabled", "retry", "pluginDefaults", "taskDefaults",
    }
)  # fmt: skip
# Kestra keys whose meaning flowhub does not have yet: refusing them beats ignoring them.
NOT_YET_SUPPORTED_KEYS = frozenset({"sla", "checks", "listeners", "workerSelector"})
TASK_LISTS = ("tasks", "errors", "finally", "afterExecution")
POLICIES = ("concurrency", "retry")


def parse_flow(source: str, registry: Registry) -> Flow:
    loaded = yamlsource.load(source)
    document = loaded.data
    if not isinstance(document, dict):
        kind = "empty" if document is None else type(document).__name__
        raise InvalidFlowError([loaded.error((), f"a flow must be a YAML mapping, got {kind}")])
    return _FlowValidator(loaded, registry).validate(document)


class _FlowValidator:
    def __init__(self, loaded: LoadedYaml, registry: Registry):
        self.loaded = loaded
        self.registry = registry
        self.errors: list[ErrorDetail] = []
        self.gaps: list[tuple[Path, str]] = []
        self.defaults: tuple[PluginDefault, ...] = ()
        self.task_ids: list[tuple[str, Path]] = []
        self.flow_id = ""
        self.namespace = ""

    def fail(self, path: Path, detail: str) -> None:
        self.errors.append(self.loaded.error(path, detail))

    def validate(self, document: dict[str, Any]) -> Flow:
        for key in document:
            if key in NOT_YET_SUPPORTED_KEYS:
                self.fail((key,), f"'{key}' is not supported by flowhub yet")
            elif key not in SUPPORTED_KEYS:
                self.fail((key,), "unknown property")
        self.flow_id = self._flow_id(document.get("id"))
        self.namespace = self._namespace(document.get("namespace"))
        description = self._optional(document, "description", str, "a string")
        disabled = self._optional(document, "disabled", bool, "a boolean") or False
        variables = self._optional(document, "variables", dict, "a mapping") or {}
        labels = self._labels(document.get("labels"))
        inputs = self._specs(document, "inputs", InputSpec)
        self._dependencies(document, inputs)
        outputs = self._specs(document, "outputs", OutputSpec)
        policies = self._model(Policies, {key: document[key] for key in POLICIES if key in document}, ())
        self.defaults = self._plugin_defaults(document)
        tasks, errors, finally_, after_execution = (self._task_list(document, key) for key in TASK_LISTS)
        triggers = self._triggers(document.get("triggers"))
        self._duplicate_task_ids()
        if self.errors:
            raise InvalidFlowError(self.errors)
        return Flow(
            id=self.flow_id,
            namespace=self.namespace,
            tasks=tasks,
            description=description,
            labels=labels,
            inputs=inputs,
            outputs=outputs,
            variables=variables,
            disabled=disabled,
            errors=errors,
            finally_=finally_,
            after_execution=after_execution,
            triggers=triggers,
            policies=policies or Policies(),
            not_runnable=tuple(
                sorted((self.loaded.error(path, detail) for path, detail in self.gaps), key=lambda gap: gap.line or 0)
            ),
            document=document,
        )

    def _flow_id(self, value: Any) -> str:
        if value is None:
            self.fail(("id",), "field required")
        elif not isinstance(value, str) or not FLOW_ID_PATTERN.fullmatch(value) or len(value) > FLOW_ID_MAX:
            self.fail(
                ("id",),
                f"must be 1 to {FLOW_ID_MAX} letters, digits, '.', '_' or '-', starting with a letter or digit",
            )
        else:
            return value
        return ""

    def _namespace(self, value: Any) -> str:
        if value is None:
            self.fail(("namespace",), "field required")
            return ""
        if not isinstance(value, str):
            self.fail(("namespace",), "must be a string")
            return ""
        if problem := validate_namespace(value):
            self.fail(("namespace",), problem)
            return ""
        return value

    def _optional(self, document: dict[str, Any], key: str, kind: type, described: str) -> Any:
        value = document.get(key)
        if value is not None and not isinstance(value, kind):
            self.fail((key,), f"must be {described}")
            return None
        return value

    def _labels(self, value: Any) -> dict[str, str]:
        if value is None:
            return {}
        pairs: list[tuple[Path, Any, Any]]
        if isinstance(value, dict):
            pairs = [(("labels", key), key, item) for key, item in value.items()]
        elif isinstance(value, list) and all(isinstance(item, dict) for item in value):
            pairs = [(("labels", index), item.get("key"), item.get("value")) for index, item in enumerate(value)]
        else:
            self.fail(("labels",), "must be a mapping or a list of {key, value}")
            return {}
        labels: dict[str, str] = {}
        for path, key, item in pairs:
            if not isinstance(key, str) or not key or item is None or isinstance(item, (dict, list)):
                self.fail(path, "a label needs a non-empty key and a scalar value")
            elif key.startswith("system.") and key != "system.readOnly":
                self.fail(path, "system labels can only be set by flowhub itself")
            else:
                labels[key] = _scalar_text(item)
        return labels

    def _model_list(self, document: dict[str, Any], key: str, model: type[Model]) -> list[tuple[Path, Model]]:
        """The valid items of a list of mappings at `key`, each with its path; the others reported."""
        value = document.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail((key,), "must be a list")
            return []
        valid: list[tuple[Path, Model]] = []
        for index, item in enumerate(value):
            path: Path = (key, index)
            if not isinstance(item, dict):
                self.fail(path, "must be a mapping")
                continue
            if key == "inputs" and "name" in item and "id" not in item:  # `name`: inputs' old word for id
                item = {("id" if name == "name" else name): field for name, field in item.items()}
            if (parsed := self._model(model, item, path)) is not None:
                valid.append((path, parsed))
        return valid

    def _specs(self, document: dict[str, Any], key: str, model: type[Spec]) -> tuple[Spec, ...]:
        specs: list[Spec] = []
        seen: set[str] = set()
        entries: list[tuple[Path, Spec]] = self._model_list(document, key, model)
        for where, spec in entries:
            if spec.id in seen:
                self.fail((*where, "id"), f"duplicate {key[:-1]} id '{spec.id}'")
            elif key == "inputs" and (group := _nesting_clash(spec.id, seen)):
                # Dotted ids nest (`inputs.a.b`): `a` cannot be both a value and the group holding `a.b`.
                self.fail((*where, "id"), f"input ids '{group[0]}' and '{group[1]}' clash: one nests in the other")
            seen.add(spec.id)
            specs.append(spec)
        return tuple(specs)

    def _dependencies(self, document: dict[str, Any], inputs: tuple[InputSpec, ...]) -> None:
        """Every `dependsOn` names a declared input, and no input depends on itself, even indirectly.

        The messages are Kestra's, so a user searching for them finds its documentation.
        """
        position = {
            item.get("id", item.get("name")): index
            for index, item in enumerate(document.get("inputs") or [])
            if isinstance(item, dict)
        }
        cycles = dependency_cycles(inputs)
        for spec in inputs:
            where: Path = ("inputs", position[spec.id], "dependsOn")
            for dependency in spec.dependsOn.inputs if spec.dependsOn else ():
                if dependency not in position:
                    self.fail(where, f"Input with id '{spec.id}' depends on a non-existent input '{dependency}'.")
            if cycle := cycles.get(spec.id):
                self.fail(where, f"Cycle dependency detected for input with id '{spec.id}': [{', '.join(cycle)}]")

    def _plugin_defaults(self, document: dict[str, Any]) -> tuple[PluginDefault, ...]:
        """`pluginDefaults`, or its legacy name `taskDefaults` (both together are ambiguous)."""
        if "pluginDefaults" in document and "taskDefaults" in document:
            self.fail(("taskDefaults",), "use pluginDefaults or its old name taskDefaults, not both")
            return ()
        key = "taskDefaults" if "taskDefaults" in document else "pluginDefaults"
        return tuple(default for _, default in self._model_list(document, key, PluginDefault))

    def _task_list(self, document: dict[str, Any], key: str) -> tuple[TaskDefinition, ...]:
        """One of the flow's own task lists: `tasks` (required, not empty), `errors`, `finally`, `afterExecution`."""
        value = document.get(key)
        if value is None:
            if key == "tasks":
                self.fail((key,), "field required")
            return ()
        try:
            return self.tasks(value, (key,), required=key == "tasks")
        except PydanticCustomError:
            return ()
        except ValueError as exc:
            self.fail((key,), str(exc))
            return ()

    def tasks(self, value: Any, path: Path, *, required: bool) -> tuple[TaskDefinition, ...]:
        """The tasks of a list at `path`: a `BranchParser` for flowable tasks' branches."""
        if not isinstance(value, list):
            raise ValueError("must be a list of tasks")
        if required and not value:
            raise ValueError("must be a non-empty list of tasks")
        tasks = [self._task(item, (*path, index)) for index, item in enumerate(value)]
        valid = tuple(task for task in tasks if task is not None)
        if len(valid) < len(tasks):
            raise PydanticCustomError(CHILDREN_REPORTED, "a task in this list is invalid")
        return valid

    def task(self, value: Any, path: Path) -> TaskDefinition:
        if (task := self._task(value, path)) is None:
            raise PydanticCustomError(CHILDREN_REPORTED, "this task is invalid")
        return task

    def _task(self, item: Any, path: Path) -> TaskDefinition | None:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            self.task_ids.append((item["id"], path))
        task = self._plugin(item, path, self.registry.task, "task")
        if task is None:
            return None
        for problem in task.flow_problems(self.namespace, self.flow_id):
            self.fail(path, problem)
        if task.disabled:  # a disabled task never runs, nor do its children
            self.gaps = [(where, detail) for where, detail in self.gaps if where[: len(path)] != path]
        else:
            self.gaps.extend(((*path, *where), detail) for where, detail in capabilities.task_gaps(task))
        return task

    def _duplicate_task_ids(self) -> None:
        """Task ids are unique in the whole flow: every branch, `errors`, `finally` and `afterExecution`.

        Checked once all tasks are read, in document order, so "first used" means first on the page.
        """
        first_use: dict[str, Path] = {}
        for task_id, path in sorted(self.task_ids, key=lambda claim: self.loaded.position(claim[1])):
            if (first := first_use.setdefault(task_id, path)) != path:
                self.fail((*path, "id"), f"duplicate task id '{task_id}', first used at {format_path(first)}")

    def _triggers(self, value: Any) -> tuple[TriggerDefinition, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail(("triggers",), "must be a list of triggers")
            return ()
        triggers: list[TriggerDefinition] = []
        for index, item in enumerate(value):
            trigger = self._plugin(item, ("triggers", index), self.registry.trigger, "trigger")
            if trigger is None:
                continue
            if any(other.id == trigger.id for other in triggers):
                self.fail(("triggers", index, "id"), f"duplicate trigger id '{trigger.id}'")
            triggers.append(trigger)
        return tuple(triggers)

    def _plugin(
        self, item: Any, path: Path, resolve: Callable[[str], type[PluginModel] | None], kind: str
    ) -> PluginModel | None:
        """A task or trigger: its type looked up by name, its properties (after pluginDefaults) checked."""
        if not isinstance(item, dict):
            self.fail(path, f"a {kind} must be a mapping")
            return None
        type_name = item.get("type")
        if not isinstance(type_name, str):
            self.fail((*path, "type"), "field required" if type_name is None else "must be a string")
            return None
        plugin_type = resolve(type_name)
        if plugin_type is None:
            other = self.registry.resolve(type_name)
            reason = f"'{type_name}' is a {other.KIND.value} type" if other else f"unknown {kind} type '{type_name}'"
            self.fail((*path, "type"), f"invalid type: {reason}")
            return None
        context = {BRANCH_PARSER: _Branches(self, path)}
        return self._model(plugin_type, apply_defaults(item, self.defaults), path, context)

    def _model(
        self, model: type[Model], item: dict[str, Any], path: Path, context: dict[str, Any] | None = None
    ) -> Model | None:
        try:
            return model.model_validate(item, context=context)
        except pydantic.ValidationError as exc:
            failures: dict[Path, list[str]] = {}
            for error in exc.errors():
                if error["type"] == CHILDREN_REPORTED:
                    continue
                location = (*path, *_data_location(item, error["loc"]), *_declaration_property(error))
                messages = failures.setdefault(location, [])
                if (message := _pydantic_message(error)) not in messages:
                    messages.append(message)
            for location, messages in failures.items():
                self.fail(location, " or ".join(messages))
            return None


class _Branches:
    """The `BranchParser` a flowable task at `path` sees: its children's paths start from its own."""

    def __init__(self, validator: _FlowValidator, path: Path):
        self.validator = validator
        self.path = path

    def tasks(self, value: Any, where: Path, *, required: bool) -> tuple[TaskDefinition, ...]:
        return self.validator.tasks(value, (*self.path, *where), required=required)

    def task(self, value: Any, where: Path) -> TaskDefinition:
        return self.validator.task(value, (*self.path, *where))


def _nesting_clash(input_id: str, others: set[str]) -> tuple[str, str] | None:
    for other in others:
        if other.startswith(f"{input_id}.") or input_id.startswith(f"{other}."):
            return other, input_id
    return None


def _data_location(data: Any, loc: tuple[Any, ...]) -> Path:
    """The part of a pydantic error location that names real keys and indexes.

    Union types insert their branch names (`str`, `list[str]`) into the location; a key that is
    missing or unknown still names the property the user has to fix.
    """
    located: list[str | int] = []
    for position, part in enumerate(loc):
        if isinstance(data, dict) and isinstance(part, str):
            if part not in data and position < len(loc) - 1:
                continue  # a tagged union's branch name, such as `constant` for a retry
            located.append(part)
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int):
            located.append(part)
            data = data[part] if part < len(data) else None
        else:
            break
    return tuple(located)


def _declaration_property(error: Any) -> Path:
    """The property a whole-declaration check blames (an input's `defaults`, say), to point at its line."""
    cause = error.get("ctx", {}).get("error")
    return (cause.property_name,) if isinstance(cause, DeclarationError) else ()


def _pydantic_message(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "field required"
    if kind == "extra_forbidden":
        return "unknown property"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind == "too_short":
        return f"must have at least {error['ctx']['min_length']} item(s)"
    return str(error["msg"]).replace("Input should be", "must be")


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
