"""Outputs at the Kestra seed's and Kestra 2.0's paths, labels of an ended execution, progress on its JSON."""

import pytest

from executions import executor, worker
from executions.models import Execution, TaskRun
from tests.engine.flows import HELLO

from .drive import run_to_end
from .helpers import YAML, assert_problem

LOOPED = """\
id: looped
namespace: acme
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: ["a", "b"]
    tasks:
      - id: upper
        type: io.kestra.plugin.core.debug.Return
        format: "{{ taskrun.value | upper }}"
  - id: quiet
    type: io.kestra.plugin.core.log.Log
    message: done
"""


@pytest.fixture
def hello(api) -> str:
    """An execution of acme.sales/hello that ended well."""
    api.post("/api/v1/flows", HELLO, content_type=YAML)
    execution_id = api.post("/api/v1/executions/acme.sales/hello?labels=env:dev", {"name": "ada"},
                            format="multipart").json()["id"]  # fmt: skip
    run_to_end(execution_id)
    return execution_id


def test_a_task_run_s_outputs_at_the_seed_s_path_and_kestra_2_s(api, hello):
    answer = TaskRun.objects.get(execution_id=hello, task_id="answer")
    for path in (
        f"/api/v1/executions/{hello}/taskruns/{answer.id}/outputs",
        f"/api/v1/outputs/tasks/{hello}/{answer.id}",
    ):
        response = api.get(path)
        assert response.status_code == 200, response.content
        assert response.json() == {"value": "ADA"}
    assert api.get(f"/api/v1/main/outputs/executions/{hello}").json() == {"shout": "ADA"}


def test_the_task_runs_with_outputs_are_listed_with_their_loop_value(api):
    api.post("/api/v1/flows", LOOPED, content_type=YAML)
    execution_id = api.post("/api/v1/executions/acme/looped", {}, format="multipart").json()["id"]
    run_to_end(execution_id)
    listed = api.get(f"/api/v1/outputs/tasks/{execution_id}").json()
    runs = {run.value: run.id for run in TaskRun.objects.filter(execution_id=execution_id, task_id="upper")}
    loop = TaskRun.objects.get(execution_id=execution_id, task_id="each")
    assert sorted(listed, key=lambda item: (item["taskId"], item.get("value", ""))) == [
        {"taskId": "each", "taskRunId": loop.id, "inline": True},  # its values
        {"taskId": "upper", "taskRunId": runs["a"], "value": "a", "iteration": 0, "inline": True},
        {"taskId": "upper", "taskRunId": runs["b"], "value": "b", "iteration": 1, "inline": True},
    ]
    assert api.get(f"/api/v1/outputs/tasks/{execution_id}/{runs['b']}").json() == {"value": "B"}


def test_unknown_executions_and_task_runs_are_404(api, hello):
    answer = TaskRun.objects.get(execution_id=hello, task_id="answer")
    for path in (
        "/api/v1/outputs/executions/nope",
        "/api/v1/outputs/tasks/nope",
        f"/api/v1/outputs/tasks/nope/{answer.id}",
        f"/api/v1/outputs/tasks/{hello}/nope",
        f"/api/v1/executions/{hello}/taskruns/nope/outputs",
        f"/api/v1/executions/nope/taskruns/{answer.id}/outputs",
    ):
        assert_problem(api.get(path), 404, "not-found")


def test_labels_replace_the_non_system_labels_of_an_ended_execution(api, hello):
    response = api.post(f"/api/v1/executions/{hello}/labels", [{"key": "reviewed", "value": "yes"}], format="json")
    assert response.status_code == 200, response.content
    labels = {label["key"]: label["value"] for label in response.json()["labels"]}
    assert labels == {"reviewed": "yes", "system.correlationId": hello}
    again = api.post(
        f"/api/v1/main/executions/{hello}/actions/labels",
        [{"key": "a", "value": "1"}, {"key": "a", "value": "2"}, {"key": "system.correlationId", "value": "c"}],
        format="json",
    ).json()
    assert again["labels"] == [{"key": "system.correlationId", "value": "c"}, {"key": "a", "value": "2"}]
    search = api.get("/api/v1/executions/search?labels=a:2").json()
    assert [found["id"] for found in search["results"]] == [hello]


def test_labels_of_an_execution_that_runs_are_409(api, hello):
    running = api.post("/api/v1/executions/acme.sales/hello", {}, format="multipart").json()["id"]
    assert_problem(api.post(f"/api/v1/executions/{running}/labels", [], format="json"), 409, "conflict")


@pytest.mark.parametrize(
    ("body", "status", "slug"),
    [
        ([{"key": "system.restarted", "value": "true"}], 422, "validation-failed"),
        ([{"key": "x"}], 400, "invalid-query-parameter"),
        ([{"key": "", "value": "v"}], 400, "invalid-query-parameter"),
        ({"key": "x", "value": "y"}, 400, "invalid-query-parameter"),
        ([{"key": f"k{n}", "value": "v"} for n in range(101)], 400, "invalid-query-parameter"),
    ],
)
def test_bad_labels_are_refused_and_change_nothing(api, hello, body, status, slug):
    before = Execution.objects.get(pk=hello).labels
    assert_problem(api.post(f"/api/v1/executions/{hello}/labels", body, format="json"), status, slug)
    assert Execution.objects.get(pk=hello).labels == before
    assert_problem(api.post("/api/v1/executions/nope/labels", [], format="json"), 404, "not-found")


def test_progress_follows_the_execution_from_created_to_its_end(api):
    api.post("/api/v1/flows", LOOPED, content_type=YAML)
    execution_id = api.post("/api/v1/executions/acme/looped", {}, format="multipart").json()["id"]

    def progress() -> dict:
        return api.get(f"/api/v1/executions/{execution_id}").json()["progress"]

    assert progress() == {"total": 2, "done": 0, "percent": 0, "current": []}
    executor.execution_advance(execution_id=execution_id)  # the loop starts with its two iterations
    assert progress() == {"total": 4, "done": 0, "percent": 0, "current": []}
    first = TaskRun.objects.filter(execution_id=execution_id, task_id="upper").order_by("iteration").first()
    worker.task_run_execute(task_run_id=first.id, worker_id="test-worker")
    assert progress() == {"total": 4, "done": 1, "percent": 25, "current": []}
    run_to_end(execution_id)
    assert progress() == {"total": 4, "done": 4, "percent": 100, "current": []}
