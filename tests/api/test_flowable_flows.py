"""Flowable tasks, errors and finally blocks, run by the executor with real services (the corpus' branching flow)."""

import pytest

from executions.models import TaskRun
from tests.compat.corpus import CORPUS

from .drive import run_to_end
from .helpers import YAML

BRANCHING = next(path for path in CORPUS if path.name == "04_branching.yml").read_text()
FINALLY = """\
id: guarded
namespace: acme
tasks:
  - id: fan
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - id: left
        type: io.kestra.plugin.core.debug.Return
        format: left
      - id: right
        type: io.kestra.plugin.core.execution.Fail
        condition: "{{ inputs.fail }}"
  - id: never
    type: io.kestra.plugin.core.log.Log
    message: not reached after a failure
errors:
  - id: alert
    type: io.kestra.plugin.core.log.Log
    message: "failed: {{ outputs.left.value }}"
finally:
  - id: cleanup
    type: io.kestra.plugin.core.log.Log
    message: cleaning up
inputs:
  - id: fail
    type: BOOLEAN
"""


PARENTS = {
    "csv": {"lenient_mode": "check_strict", "read_csv": "by_kind"},
    "json": {
        "strict_mode": "check_strict", "json_group": "by_kind",
        "read_json": "json_group", "reject_nested": "json_group", "json_failed": "json_group",
    },
    "parquet": {"lenient_mode": "check_strict", "unsupported": "by_kind"},
}  # fmt: skip


def execute(api, namespace, flow_id, **inputs):
    response = api.post(f"/api/v1/executions/{namespace}/{flow_id}", inputs, format="multipart")
    assert response.status_code == 200, response.content
    return run_to_end(response.json()["id"])


def states(execution) -> dict[str, str]:
    return dict(TaskRun.objects.filter(execution=execution).values_list("task_id", "state"))


@pytest.mark.parametrize(
    ("inputs", "final", "expected"),
    [
        (
            {"kind": "csv", "strict": "false"},
            "SUCCESS",
            {"check_strict": "SUCCESS", "lenient_mode": "SUCCESS", "by_kind": "SUCCESS", "read_csv": "SUCCESS"},
        ),
        (
            {"kind": "json", "strict": "true"},
            "FAILED",
            {
                "check_strict": "SUCCESS", "strict_mode": "SUCCESS", "by_kind": "FAILED", "json_group": "FAILED",
                "read_json": "SUCCESS", "reject_nested": "FAILED", "json_failed": "SUCCESS",
            },
        ),
        (
            {"kind": "parquet", "strict": "false"},
            "FAILED",
            {"check_strict": "SUCCESS", "lenient_mode": "SUCCESS", "by_kind": "FAILED", "unsupported": "FAILED"},
        ),
    ],
)  # fmt: skip
def test_the_corpus_branching_flow_runs_as_kestra_runs_it(api, inputs, final, expected):
    assert api.post("/api/v1/flows", BRANCHING, content_type=YAML).status_code == 200
    execution = execute(api, "company.team", "branching", **inputs)
    assert execution.state == final
    assert states(execution) == expected
    body = api.get(f"/api/v1/executions/{execution.id}").json()
    runs = {run["taskId"]: run for run in body["taskRunList"]}
    assert "parentTaskRunId" not in runs["check_strict"]
    assert runs["by_kind"]["outputs"]["value"] == inputs["kind"]
    nested = "read_csv" if inputs["kind"] == "csv" else next(iter(set(expected) - {"check_strict", "by_kind"}))
    assert runs[nested]["parentTaskRunId"] in {
        runs["by_kind"]["id"],
        runs["check_strict"]["id"],
        runs.get("json_group", {}).get("id"),
    }


def test_errors_then_finally_run_after_a_failure_and_the_flow_still_fails(api):
    api.post("/api/v1/flows", FINALLY, content_type=YAML)
    failed = execute(api, "acme", "guarded", fail="true")
    assert failed.state == "FAILED"
    assert states(failed) == {
        "fan": "FAILED", "left": "SUCCESS", "right": "FAILED", "alert": "SUCCESS", "cleanup": "SUCCESS",
    }  # fmt: skip
    messages = [line["message"] for line in api.get(f"/api/v1/logs/{failed.id}").json()]
    assert messages[-2:] == ["failed: left", "cleaning up"]
    passed = execute(api, "acme", "guarded", fail="false")
    assert passed.state == "SUCCESS"
    assert set(states(passed)) == {"fan", "left", "right", "never", "cleanup"}
