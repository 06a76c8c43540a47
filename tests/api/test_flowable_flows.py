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


FOR_EACH = next(path for path in CORPUS if path.name == "05_for_each.yml").read_text()


def test_the_corpus_loops_run_once_per_value_with_indexed_outputs(api):
    assert api.post("/api/v1/flows", FOR_EACH, content_type=YAML).status_code == 200
    execution = execute(api, "company.team.loops", "for_each")
    assert execution.state == "SUCCESS"
    combos = TaskRun.objects.filter(execution=execution, task_id="combo")
    assert sorted(run.outputs["value"] for run in combos) == [
        f"{region}-{size}" for region in ("apac", "eu", "us") for size in ("large", "small")
    ]
    assert {(run.value, run.parent.value) for run in combos} >= {("small", "eu"), ("large", "apac")}
    logged = [line["message"] for line in api.get(f"/api/v1/logs/{execution.id}").json()]
    assert logged == ["item a", "item b", "parallel x at 0", "parallel y at 1"]
    summary = TaskRun.objects.get(execution=execution, task_id="summary")
    assert summary.outputs == {"values": {"count": 6, "regions": ["eu", "us", "apac"]}}


def test_a_later_task_reads_a_loop_s_outputs_by_value(api):
    source = (
        "id: indexed\nnamespace: acme\ntasks:\n"
        "  - id: each\n    type: io.kestra.plugin.core.flow.ForEach\n    values: [a, b]\n    tasks:\n"
        "      - id: shout\n        type: io.kestra.plugin.core.debug.Return\n"
        '        format: "{{ taskrun.value | upper }}{{ taskrun.iteration }}"\n'
        "  - id: read\n    type: io.kestra.plugin.core.debug.Return\n"
        "    format: \"{{ outputs.shout['a'].value }}+{{ outputs.shout.b.value }}\"\n"
    )
    api.post("/api/v1/flows", source, content_type=YAML)
    execution = execute(api, "acme", "indexed")
    assert execution.state == "SUCCESS"
    assert TaskRun.objects.get(execution=execution, task_id="read").outputs == {"value": "A0+B1"}
    runs = api.get(f"/api/v1/executions/{execution.id}").json()["taskRunList"]
    assert [(run["taskId"], run.get("value")) for run in runs] == [
        ("each", None), ("shout", "a"), ("shout", "b"), ("read", None)
    ]  # fmt: skip


def test_a_condition_and_a_run_if_inside_a_loop_see_the_iteration_s_value(api):
    source = (
        "id: conditions\nnamespace: acme\ntasks:\n"
        "  - id: each\n    type: io.kestra.plugin.core.flow.ForEach\n    values: [a, b]\n    tasks:\n"
        "      - id: branch\n        type: io.kestra.plugin.core.flow.If\n"
        "        condition: \"{{ taskrun.value == 'b' and taskrun.iteration == 1 }}\"\n        then:\n"
        "          - id: inner\n            type: io.kestra.plugin.core.debug.Return\n"
        '            format: "{{ parent.taskrun.value }}"\n'
        "      - id: only_a\n        type: io.kestra.plugin.core.log.Log\n        message: a\n"
        "        runIf: \"{{ taskrun.value == 'a' }}\"\n"
    )
    api.post("/api/v1/flows", source, content_type=YAML)
    execution = execute(api, "acme", "conditions")
    assert execution.state == "SUCCESS"
    runs = TaskRun.objects.filter(execution=execution)
    assert {(run.task_id, run.value): run.state for run in runs if run.task_id != "each"} == {
        ("branch", "a"): "SUCCESS", ("branch", "b"): "SUCCESS", ("inner", "b"): "SUCCESS",
        ("only_a", "a"): "SUCCESS", ("only_a", "b"): "SKIPPED",
    }  # fmt: skip
    assert runs.get(task_id="inner").outputs == {"value": "b"}


DAG = next(path for path in CORPUS if path.name == "06_dag.yml").read_text()


def test_the_corpus_dag_runs_each_task_once_what_it_depends_on_has_ended(api):
    assert api.post("/api/v1/flows", DAG, content_type=YAML).status_code == 200
    execution = execute(api, "company.team", "dag")
    assert execution.state == "SUCCESS"
    runs = {run.task_id: run for run in TaskRun.objects.filter(execution=execution)}
    assert {task_id: run.state for task_id, run in runs.items()} == dict.fromkeys(
        ["pipeline", "download", "clean", "profile", "publish"], "SUCCESS"
    )
    assert {run.parent_id for task_id, run in runs.items() if task_id != "pipeline"} == {runs["pipeline"].id}
    assert runs["download"].ended_at <= min(runs["clean"].created_at, runs["profile"].created_at)
    assert max(runs["clean"].ended_at, runs["profile"].ended_at) <= runs["publish"].created_at
    assert [line["message"] for line in api.get(f"/api/v1/logs/{execution.id}").json()] == [
        "profiling",
        "clean raw.csv",
    ]


def test_a_failed_dag_node_starts_nothing_more_and_the_dag_s_errors_run(api):
    source = DAG.replace("format: raw.csv", 'format: "{{ outputs.nowhere.value }}"') + (
        "    errors:\n      - id: handler\n        type: io.kestra.plugin.core.log.Log\n        message: dag failed\n"
    )
    api.post("/api/v1/flows", source, content_type=YAML)
    execution = execute(api, "company.team", "dag")
    assert execution.state == "FAILED"
    assert states(execution) == {"pipeline": "FAILED", "download": "FAILED", "handler": "SUCCESS"}
