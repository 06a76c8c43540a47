"""The compatibility corpus through the API test client, the executor and worker steps called here one
after the other: the same expectations as tests/e2e/test_compat_corpus.py, quicker to debug."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.compat.corpus import CORPUS
from tests.compat.echo import echo_server
from tests.compat.expectations import corpus_flows
from tests.compat.playback import play, prepare, skip_unless_runnable, trigger

from .drive import drive_until
from .helpers import YAML


class DrivenClient:
    """The playback's client over the API test client; waiting for an execution drives it."""

    def __init__(self, api):
        self.api = api

    def create_flow(self, source: str):
        return self.api.post("/api/v1/flows", source, content_type=YAML)

    def put_kv(self, namespace: str, key: str, json_text: str):
        return self.api.put(f"/api/v1/namespaces/{namespace}/kv/{key}", json_text, content_type="application/json")

    def upload_namespace_file(self, namespace: str, path: str, content: bytes):
        upload = SimpleUploadedFile(path.rsplit("/", 1)[-1], content)
        url = f"/api/v1/namespaces/{namespace}/files?{urlencode({'path': path})}"
        return self.api.post(url, {"fileContent": upload}, format="multipart")

    def put_secret(self, namespace: str, name: str, value: str):
        return self.api.post(f"/api/v1/namespaces/{namespace}/secrets", {"key": name, "value": value}, format="json")

    def start(self, namespace: str, flow_id: str, inputs: dict, files: dict, labels: dict):
        form = {**inputs, **{name: SimpleUploadedFile(f"{name}.txt", text.encode()) for name, text in files.items()}}
        query = urlencode([("labels", f"{key}:{value}") for key, value in labels.items()])
        return self.api.post(f"/api/v1/executions/{namespace}/{flow_id}?{query}", form, format="multipart")

    def post(self, path: str, form: dict | None = None, body: Any = None):
        if body is not None:  # a webhook call: with a User-Agent, as every real HTTP client sends one
            return self.api.post(f"/api/v1{path}", body, format="json", HTTP_USER_AGENT="corpus-playback")
        return self.api.post(f"/api/v1{path}", form or {}, format="multipart")

    def execution(self, execution_id: str) -> dict[str, Any]:
        return self.api.get(f"/api/v1/executions/{execution_id}").json()

    def logs(self, execution_id: str) -> list[dict[str, Any]]:
        return self.api.get(f"/api/v1/logs/{execution_id}").json()

    def wait_until(self, execution_id: str, done: Callable[[dict], bool], what: str, timeout: float) -> dict:
        drive_until(lambda: done(self.execution(execution_id)), timeout)
        return self.execution(execution_id)


@pytest.fixture(scope="module")
def flows():
    with echo_server() as url:
        yield {flow.stem: flow for flow in corpus_flows(url)}


# Committed as they happen, as in production: a running attempt's heartbeat reads its run over a connection
# of its own, and stops the task once it cannot find it RUNNING.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("stem", [path.stem for path in CORPUS])
def test_a_corpus_flow_runs_as_its_expectation_says(api, flows, stem):
    flow = flows[stem]
    skip_unless_runnable(flow)
    client = DrivenClient(api)
    prepare(client, [*(flows[name] for name in flow.expectation.setup.flows), flow])
    play(client, flow, trigger(client, flow, timeout=60), timeout=60)
