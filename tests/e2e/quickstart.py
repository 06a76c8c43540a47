"""The README's quick start, step by step over HTTP, as a user runs it with curl."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

HELLO = (Path(__file__).resolve().parents[2] / "examples" / "hello.yml").read_text()
TERMINAL = {"SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED"}


class Api:
    def __init__(self, base_url: str, user: str, password: str):
        self.base = base_url.rstrip("/") + "/api/v1"
        self.session = requests.Session()
        self.session.auth = (user, password)

    def create_flow(self, source: str) -> requests.Response:
        return self.session.post(f"{self.base}/flows", data=source, headers={"Content-Type": "application/x-yaml"})

    def trigger(self, namespace: str, flow_id: str, **form: str) -> requests.Response:
        return self.start(namespace, flow_id, form)

    def start(
        self,
        namespace: str,
        flow_id: str,
        inputs: dict[str, str],
        files: dict[str, str] | None = None,
        labels: dict[str, str] | None = None,
    ) -> requests.Response:
        """Start an execution with form inputs and FILE inputs (input id → content), as `curl -F` does."""
        # `files` with a None filename makes requests send multipart/form-data text parts.
        parts = {name: (None, value) for name, value in inputs.items()}
        parts.update({name: (f"{name}.txt", content) for name, content in (files or {}).items()})
        query = [("labels", f"{key}:{value}") for key, value in (labels or {}).items()]
        return self.session.post(f"{self.base}/executions/{namespace}/{flow_id}", params=query, files=parts or None)

    def post(self, path: str, form: dict[str, str] | None = None, body: Any = None) -> requests.Response:
        parts = {name: (None, value) for name, value in (form or {}).items()}
        return self.session.post(f"{self.base}{path}", files=parts or None, json=body)

    def put_kv(self, namespace: str, key: str, json_text: str) -> requests.Response:
        headers = {"Content-Type": "application/json"}
        return self.session.put(f"{self.base}/namespaces/{namespace}/kv/{key}", data=json_text, headers=headers)

    def upload_namespace_file(self, namespace: str, path: str, content: bytes) -> requests.Response:
        url = f"{self.base}/namespaces/{namespace}/files"
        return self.session.post(url, params={"path": path}, files={"fileContent": (path.rsplit("/", 1)[-1], content)})

    def put_secret(self, namespace: str, name: str, value: str) -> requests.Response:
        return self.session.post(f"{self.base}/namespaces/{namespace}/secrets", json={"key": name, "value": value})

    def execution(self, execution_id: str) -> dict[str, Any]:
        response = self.session.get(f"{self.base}/executions/{execution_id}")
        response.raise_for_status()
        return response.json()

    def logs(self, execution_id: str) -> list[dict[str, Any]]:
        response = self.session.get(f"{self.base}/logs/{execution_id}")
        response.raise_for_status()
        return response.json()

    def wait_until(
        self, execution_id: str, done: Callable[[dict[str, Any]], bool], what: str, timeout: float = 60
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            execution = self.execution(execution_id)
            if done(execution):
                return execution
            time.sleep(0.1)
        raise AssertionError(
            f"execution {execution_id} still {execution['state']['current']}, not {what}, after {timeout}s"
        )

    def wait_for_end(self, execution_id: str, timeout: float = 60) -> dict[str, Any]:
        return self.wait_until(
            execution_id, lambda execution: execution["state"]["current"] in TERMINAL, "ended", timeout
        )


def run_quickstart(api: Api) -> dict[str, Any]:
    """Create the hello flow, trigger it with a form input, wait, and check what the README promises."""
    created = api.create_flow(HELLO)
    assert created.status_code == 200, created.text
    assert created.json()["revision"] == 1
    triggered = api.trigger("acme.sales", "hello", name="Ada")
    assert triggered.status_code == 200, triggered.text
    execution = api.wait_for_end(triggered.json()["id"])
    assert execution["state"]["current"] == "SUCCESS", execution
    answer = next(run for run in execution["taskRunList"] if run["taskId"] == "answer")
    assert answer["outputs"] == {"value": "ADA"}
    assert [log["message"] for log in api.logs(execution["id"])] == ["Hello, Ada!"]
    return execution


BROKEN = """\
id: broken
namespace: acme.sales
tasks:
  - id: ret
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.missing.value }}"
"""


def run_failing_flow(api: Api) -> None:
    assert api.create_flow(BROKEN).status_code == 200
    execution = api.wait_for_end(api.trigger("acme.sales", "broken").json()["id"])
    assert execution["state"]["current"] == "FAILED"
    errors = [log for log in api.logs(execution["id"]) if log["level"] == "ERROR"]
    assert len(errors) == 1 and "outputs.missing.value" in errors[0]["message"]
