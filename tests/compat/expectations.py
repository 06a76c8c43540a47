"""What each corpus flow must do when run: `tests/compat/expected/<flow stem>.yml`, read and compared.

The format is described at the top of tests/e2e/test_compat_corpus.py, the runner that plays it.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from flowhub.engine.model import Flow
from flowhub.engine.parser import parse_flow
from flowhub.engine.planner import LOOPS
from namespaces.flows import task_registry

from .corpus import CORPUS

EXPECTED = Path(__file__).parent / "expected"
HTTP_PLACEHOLDER = "${http}"
"""Stands, in an expectation file, for the base URL of the loopback HTTP server the runner starts."""

KESTRA_STATES = frozenset({
    "CREATED", "SUBMITTED", "RUNNING", "PAUSED", "RESTARTED", "KILLING", "SUCCESS", "WARNING", "FAILED", "KILLED",
    "CANCELLED", "QUEUED", "RETRYING", "RETRIED", "SKIPPED", "BREAKPOINT", "RESUBMITTED",
})  # fmt: skip


class Pattern:
    """`!re <regex>` in an expectation: any text the regex matches in full."""

    def __init__(self, regex: str):
        self.regex = re.compile(regex, re.DOTALL)

    def __repr__(self) -> str:
        return f"!re {self.regex.pattern!r}"


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!re", lambda loader, node: Pattern(loader.construct_scalar(node)))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True, populate_by_name=True)


def _state(value: str) -> str:
    if value not in KESTRA_STATES:
        raise ValueError(f"'{value}' is not one of Kestra's states")
    return value


class Setup(_Strict):
    flows: tuple[str, ...] = ()
    """Other corpus flows (by file stem) this one needs, a Subflow's children: loaded before it runs."""
    kv: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Namespace → key → value, stored typed as the value's JSON."""
    files: dict[str, dict[str, str]] = Field(default_factory=dict)
    """Namespace → path → text: namespace files."""
    secrets: dict[str, dict[str, str]] = Field(default_factory=dict)
    """Namespace → name → value."""


class Step(_Strict):
    """One thing done to a running execution; exactly one field is set."""

    wait: str | None = None
    resume: dict[str, str] | None = None
    restart: dict[str, Any] | None = None
    replay: dict[str, str] | None = None
    kill: dict[str, Any] | None = None

    @field_validator("wait")
    @classmethod
    def _known_state(cls, value: str | None) -> str | None:
        return None if value is None else _state(value)

    @model_validator(mode="after")
    def _one_thing(self) -> Step:
        if len(self.model_fields_set) != 1:
            raise ValueError(f"a step does one thing, not {sorted(self.model_fields_set) or 'nothing'}")
        return self

    @property
    def kind(self) -> str:
        return next(iter(self.model_fields_set))


class Run(_Strict):
    inputs: dict[str, str] = Field(default_factory=dict)
    files: dict[str, str] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)
    webhook: dict[str, Any] | None = None
    after: str | None = None
    """Trigger this run only once the flow's previous run is in this state (RUNNING: so that it queues)."""
    steps: tuple[Step, ...] = ()
    state: str
    history: tuple[str, ...] | None = None
    task_runs: dict[str, str | list[str]] = Field(alias="taskRuns")
    outputs: dict[str, dict[str, Any]] = Field(default_factory=dict)
    flow_outputs: dict[str, Any] | None = Field(default=None, alias="flowOutputs")
    logs: tuple[str | dict[str, str], ...] = ()
    logs_absent: tuple[str, ...] = Field(default=(), alias="logsAbsent")

    @field_validator("state", "after")
    @classmethod
    def _known_state(cls, value: str | None) -> str | None:
        return None if value is None else _state(value)

    @field_validator("history")
    @classmethod
    def _known_states(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return None if value is None else tuple(map(_state, value))

    @field_validator("task_runs")
    @classmethod
    def _known_run_states(cls, value: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        for states in value.values():
            for state in [states] if isinstance(states, str) else states:
                _state(state)
        return value


class Expectation(_Strict):
    setup: Setup = Field(default_factory=Setup)
    runs: tuple[Run, ...] = Field(min_length=1)


class CorpusFlow:
    """A corpus flow with what it must do."""

    def __init__(self, path: Path, http_url: str):
        self.path = path
        self.stem = path.stem
        self.source = path.read_text()
        self.flow: Flow = parse_flow(self.source, task_registry())
        text = (EXPECTED / f"{self.stem}.yml").read_text().replace(HTTP_PLACEHOLDER, http_url)
        self.expectation = Expectation.model_validate(yaml.load(text, _Loader))

    def __repr__(self) -> str:
        return self.stem


def corpus_flows(http_url: str = "http://127.0.0.1:9") -> list[CorpusFlow]:
    return [CorpusFlow(path, http_url) for path in CORPUS]


def task_run_key(run: dict[str, Any], runs_by_id: dict[str, dict[str, Any]], flow: Flow) -> str:
    """`taskId`, with `[value]` for each loop the run is in, outermost first: `combo[eu][small]`."""
    values: list[str] = []
    current = run
    while (parent := runs_by_id.get(current.get("parentTaskRunId", ""))) is not None:
        if isinstance(flow.task(parent["taskId"]), LOOPS):
            values.insert(0, current["value"])
        current = parent
    return run["taskId"] + "".join(f"[{value}]" for value in values)


def mismatches(flow: Flow, run: Run, execution: dict[str, Any], logs: list[dict[str, Any]]) -> list[str]:
    """How the ended `execution` (and its `logs`) differs from what `run` expects; empty when it does not."""
    found: list[str] = []
    state = execution["state"]["current"]
    if state != run.state:
        found.append(f"state: expected {run.state}, got {state}")
    history = [entry["state"] for entry in execution["state"]["histories"]]
    if run.history is not None and tuple(history) != run.history:
        found.append(f"history: expected {list(run.history)}, got {history}")
    task_runs = execution.get("taskRunList", [])
    by_id = {task_run["id"]: task_run for task_run in task_runs}
    keyed = [(task_run_key(task_run, by_id, flow), task_run) for task_run in task_runs]
    found += _task_run_mismatches(
        run.task_runs, Counter((key, task_run["state"]["current"]) for key, task_run in keyed)
    )
    for key, expected in run.outputs.items():
        matching = [task_run for run_key, task_run in keyed if run_key == key]
        if len(matching) != 1:
            found.append(f"outputs.{key}: expected one task run '{key}', found {len(matching)}")
        else:
            found += _differences(expected, matching[0].get("outputs", {}), f"outputs.{key}", subset=True)
    if run.flow_outputs is not None:
        found += _differences(run.flow_outputs, execution.get("outputs", {}), "flowOutputs", subset=False)
    found += _log_mismatches(run, logs)
    return found


def _task_run_mismatches(expected: dict[str, str | list[str]], actual: Counter[tuple[str, str]]) -> list[str]:
    wanted = Counter(
        (key, state) for key, states in expected.items() for state in ([states] if isinstance(states, str) else states)
    )
    missing, unexpected = sorted((wanted - actual).elements()), sorted((actual - wanted).elements())
    if not (missing or unexpected):
        return []
    return [f"taskRuns: expected but not found {missing}; found but not expected {unexpected}"]


def _differences(expected: Any, actual: Any, where: str, *, subset: bool) -> list[str]:
    """Where `actual` differs from `expected`; with `subset`, a map may hold more keys than expected."""
    if isinstance(expected, Pattern):
        if isinstance(actual, str) and expected.regex.fullmatch(actual):
            return []
        return [f"{where}: expected text matching {expected!r}, got {actual!r}"]
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = [f"{where}.{key}: missing" for key in expected if key not in actual]
        if not subset:
            found += [f"{where}.{key}: not expected, got {actual[key]!r}" for key in actual if key not in expected]
        for key in expected.keys() & actual.keys():
            found += _differences(expected[key], actual[key], f"{where}.{key}", subset=subset)
        return found
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [
            problem
            for index, (wanted, got) in enumerate(zip(expected, actual, strict=True))
            for problem in _differences(wanted, got, f"{where}[{index}]", subset=subset)
        ]
    if expected == actual and type(expected) is type(actual):
        return []
    return [f"{where}: expected {expected!r}, got {actual!r}"]


def _log_mismatches(run: Run, logs: list[dict[str, Any]]) -> list[str]:
    found = []
    for wanted in run.logs:
        criteria = {"message": wanted} if isinstance(wanted, str) else wanted
        if not any(_log_matches(line, criteria) for line in logs):
            found.append(f"logs: no line matches {criteria}")
    for text in run.logs_absent:
        found += [f"logs: '{text}' appears in {line['message']!r}" for line in logs if text in line["message"]]
    return found


def _log_matches(line: dict[str, Any], criteria: dict[str, str]) -> bool:
    return all(
        (value in line.get(name, "")) if name == "message" else line.get(name) == value
        for name, value in criteria.items()
    )
