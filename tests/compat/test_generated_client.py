"""A client generated from flowhub's own OpenAPI schema by openapi-python-client works unedited."""

import importlib
import subprocess
import sys

import pytest
import requests

from tests.e2e.conftest import EMBEDDED_ADMIN
from tests.e2e.quickstart import HELLO

pytestmark = pytest.mark.embedded

PACKAGE = "flowhub_generated_client"


@pytest.fixture
def generated(embedded, tmp_path, monkeypatch):
    _, base_url, _ = embedded
    schema = tmp_path / "schema.json"
    schema.write_bytes(requests.get(f"{base_url}/api/schema/?format=json", timeout=10).content)
    result = subprocess.run(
        [
            sys.executable, "-m", "openapi_python_client", "generate", "--path", str(schema),
            "--meta", "none", "--output-path", str(tmp_path / PACKAGE),
        ],
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Endpoint will not be generated" not in result.stdout + result.stderr, result.stdout
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [module for module in sys.modules if module.startswith(PACKAGE)]:
        del sys.modules[name]
    client_module = importlib.import_module(PACKAGE)
    client = client_module.Client(
        base_url=base_url, httpx_args={"auth": EMBEDDED_ADMIN}, raise_on_unexpected_status=True
    )
    return client, lambda name: importlib.import_module(f"{PACKAGE}.{name}")


def test_the_quick_start_through_the_generated_client(generated):
    client, module = generated
    File = module("types").File
    flow = module("api.flows.create_flow").sync(client=client, body=File(payload=HELLO.encode(), file_name="hello.yml"))
    assert (flow.id, flow.namespace, flow.revision) == ("hello", "acme.sales", 1)

    inputs = module("models.create_execution_files_body").CreateExecutionFilesBody.from_dict({"name": "Ada"})
    created = module("api.executions.create_execution").sync(
        client=client, namespace="acme.sales", flow_id="hello", body=inputs
    )
    assert created.state.current == "CREATED"

    get_execution = module("api.executions.get_execution")
    execution = get_execution.sync(client=client, execution_id=created.id)
    for _ in range(300):
        if execution.state.current in ("SUCCESS", "FAILED"):
            break
        execution = get_execution.sync(client=client, execution_id=created.id)
    assert execution.state.current == "SUCCESS"
    assert execution.inputs.to_dict() == {"name": "Ada"}
    answer = next(run for run in execution.task_run_list if run.task_id == "answer")
    assert answer.outputs.to_dict() == {"value": "ADA"}

    expression = File(payload=b"{{ outputs.answer.value }} for {{ inputs.name }}")
    evaluated = module("api.executions.eval_task_run_expression").sync(
        client=client, execution_id=created.id, task_run_id=answer.id, body=expression
    )
    assert evaluated.result == "ADA for Ada"

    logs = module("api.logs.list_logs_from_execution").sync(client=client, execution_id=created.id)
    assert [log.message for log in logs] == ["Hello, Ada!"]
    health = module("api.health.get_health").sync(client=client)
    assert health.status.value == "up"
