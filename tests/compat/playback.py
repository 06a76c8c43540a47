"""Playing corpus expectations against a server: setup, triggers, steps, and checking each run's end.

The same procedure drives the end-to-end runner (real processes, over HTTP) and the fast one (the
API test client, calling the executor and worker steps itself); only the `Client` differs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, Protocol

import pytest

from flowhub.engine.tasks.triggers import Webhook

from .expectations import CorpusFlow, Step, mismatches, task_run_key

ENDED = frozenset({"SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED", "RETRIED"})
TASK_RUN_ENDED = ENDED | {"SKIPPED"}


class Response(Protocol):
    status_code: int
    content: bytes

    def json(self) -> Any: ...


class Client(Protocol):
    """A server as the playback sees it; paths are relative to `/api/v1`."""

    def create_flow(self, source: str) -> Response: ...
    def put_kv(self, namespace: str, key: str, json_text: str) -> Response: ...
    def upload_namespace_file(self, namespace: str, path: str, content: bytes) -> Response: ...
    def put_secret(self, namespace: str, name: str, value: str) -> Response: ...
    def start(
        self, namespace: str, flow_id: str, inputs: dict[str, str], files: dict[str, str], labels: dict[str, str]
    ) -> Response: ...
    def post(self, path: str, form: dict[str, str] | None = None, body: Any = None) -> Response: ...
    def execution(self, execution_id: str) -> dict[str, Any]: ...
    def logs(self, execution_id: str) -> list[dict[str, Any]]: ...
    def wait_until(
        self, execution_id: str, done: Callable[[dict[str, Any]], bool], what: str, timeout: float
    ) -> dict[str, Any]: ...


def prepare(client: Client, flows: Iterable[CorpusFlow]) -> None:
    """Save the flows, then what their expectations set up: KV entries, namespace files, secrets."""
    flows = list(flows)
    for flow in flows:
        _ok(client.create_flow(flow.source), f"saving {flow}")
    for flow in flows:
        setup = flow.expectation.setup
        for namespace, entries in setup.kv.items():
            for key, value in entries.items():
                _ok(client.put_kv(namespace, key, json.dumps(value)), f"{flow}: KV {namespace}/{key}")
        for namespace, files in setup.files.items():
            for path, content in files.items():
                _ok(client.upload_namespace_file(namespace, path, content.encode()), f"{flow}: file {path}")
        for namespace, secrets in setup.secrets.items():
            for name, value in secrets.items():
                _ok(client.put_secret(namespace, name, value), f"{flow}: secret {namespace}/{name}")


def trigger(client: Client, flow: CorpusFlow, timeout: float) -> list[Response]:
    """Start the flow's runs in order, each by its form or through the flow's webhook; a run with `after`
    waits for the run before it to be in that state."""
    parsed = flow.flow
    triggered: list[Response] = []
    for run in flow.expectation.runs:
        if run.after is not None and triggered:
            _ok(triggered[-1], f"triggering {flow}")
            client.wait_until(triggered[-1].json()["id"], _in_state(run.after), run.after, timeout)
        if run.webhook is None:
            triggered.append(client.start(parsed.namespace, parsed.id, run.inputs, run.files, run.labels))
        else:
            key = next(trigger.key for trigger in parsed.triggers if isinstance(trigger, Webhook))
            path = f"/executions/webhook/{parsed.namespace}/{parsed.id}/{key}"
            triggered.append(client.post(path, body=run.webhook["body"]))
    return triggered


def not_runnable_why(flow: CorpusFlow) -> str | None:
    """Why flowhub cannot play `flow` yet: what it refuses to run (capabilities.py); None when it can."""
    if flow.flow.not_runnable:
        return "; ".join(sorted({detail.detail for detail in flow.flow.not_runnable}))
    return None


def skip_unless_runnable(flow: CorpusFlow) -> None:
    """Skip a flow flowhub cannot play yet, with the reason."""
    if (why := not_runnable_why(flow)) is not None:
        pytest.skip(f"{flow}: {why}")


def play(client: Client, flow: CorpusFlow, triggered: list[Response], timeout: float) -> None:
    """Take each triggered run through its steps to its end, and check it is what the flow expects."""
    __tracebackhide__ = True
    for run, response in zip(flow.expectation.runs, triggered, strict=True):
        _ok(response, f"triggering {flow}")
        execution_id = response.json()["id"]
        history_seen = 0  # the end awaited is the one after the last step
        for step in run.steps:
            execution_id, history_seen = _do(client, flow, step, execution_id, timeout)
        execution = client.wait_until(execution_id, partial(_ended, flow, history_seen), "its end", timeout)
        logs = client.logs(execution_id)
        if problems := mismatches(flow.flow, run, execution, logs):
            shown = "\n".join(f"  {line['level']} {line.get('taskId', '-')}: {line['message']}" for line in logs[-40:])
            pytest.fail(f"{flow} ({execution_id}):\n- " + "\n- ".join(problems) + f"\nlogs:\n{shown}")


def _in_state(state: str) -> Callable[[dict[str, Any]], bool]:
    return lambda execution: execution["state"]["current"] == state


def _ended(flow: CorpusFlow, history_seen: int, execution: dict[str, Any]) -> bool:
    """Ended after the last step, and its `afterExecution` tasks too: they run once the state is final."""
    if execution["state"]["current"] not in ENDED or len(execution["state"]["histories"]) <= history_seen:
        return False
    after = {task.id for task in flow.flow.after_execution if not task.disabled}
    runs = execution.get("taskRunList", [])
    return after <= {run["taskId"] for run in runs if run["state"]["current"] in TASK_RUN_ENDED}


def _do(client: Client, flow: CorpusFlow, step: Step, execution_id: str, timeout: float) -> tuple[str, int]:
    """Do a step; the execution it leaves the run on, and how many states its history had then."""
    if step.wait is not None:
        execution = client.wait_until(execution_id, _in_state(step.wait), step.wait, timeout)
        return execution_id, len(execution["state"]["histories"])
    execution = client.execution(execution_id)
    seen = len(execution["state"]["histories"])
    if step.resume is not None:
        _ok(client.post(f"/executions/{execution_id}/resume", form=step.resume), "resume")
    elif step.restart is not None:
        _ok(client.post(f"/executions/{execution_id}/restart"), "restart")
    elif step.replay is not None:
        by_id = {run["id"]: run for run in execution["taskRunList"]}
        task_run = next(run for run in by_id.values() if task_run_key(run, by_id, flow.flow) == step.replay["taskId"])
        replayed = client.post(f"/executions/{execution_id}/replay?taskRunId={task_run['id']}")
        _ok(replayed, "replay")
        return replayed.json()["id"], 0
    return execution_id, seen


def _ok(response: Response, doing: str) -> None:
    assert 200 <= response.status_code < 300, f"{doing}: HTTP {response.status_code} {response.content[:1000]!r}"
