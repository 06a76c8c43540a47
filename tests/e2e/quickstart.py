"""The README's quick start, step by step over HTTP, as a user runs it with curl."""

from __future__ import annotations

import time
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
        # `files` with a None filename makes requests send multipart/form-data text parts, as `curl -F`.
        parts = {name: (None, value) for name, value in form.items()}
        return self.session.post(f"{self.base}/executions/{namespace}/{flow_id}", files=parts or None)

    def execution(self, execution_id: str) -> dict[str, Any]:
        response = self.session.get(f"{self.base}/executions/{execution_id}")
        response.raise_for_status()
        return response.json()

    def logs(self, execution_id: str) -> list[dict[str, Any]]:
        response = self.session.get(f"{self.base}/logs/{execution_id}")
        response.raise_for_status()
        return response.json()

    def wait_for_end(self, execution_id: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            execution = self.execution(execution_id)
            if execution["state"]["current"] in TERMINAL:
                return execution
            time.sleep(0.1)
        raise AssertionError(f"execution {execution_id} still {execution['state']['current']} after {timeout}s")


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
