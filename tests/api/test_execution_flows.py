"""What a view of executions reads of flows at Kestra's paths: the last ended execution of flows, the namespaces and
flows one may start, and a flow as FlowForExecution."""

import pytest

from tests.engine.flows import HELLO

from .clients import error_paths, member
from .drive import run_to_end
from .helpers import YAML, assert_problem, flow

SHAPED = """\
id: shaped
namespace: acme.sales
description: Has a bit of everything.
labels:
  team: sales
inputs:
  - id: who
    type: STRING
    defaults: you
tasks:
  - id: check
    type: io.kestra.plugin.core.flow.If
    condition: "{{ inputs.who == 'you' }}"
    then:
      - id: agree
        type: io.kestra.plugin.core.log.Log
        message: "yes"
    else:
      - id: many
        type: io.kestra.plugin.core.flow.Sequential
        tasks:
          - id: refuse
            type: io.kestra.plugin.core.log.Log
            message: "no"
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: reason
        type: STRING
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: acme.sales
    flowId: hello
errors:
  - id: alert
    type: io.kestra.plugin.core.log.Log
    message: failed
finally:
  - id: bye
    type: io.kestra.plugin.core.log.Log
    message: bye
triggers:
  - id: nightly
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 3 * * *"
"""
DISABLED = flow("asleep", "acme.sales", "disabled: true\n")
OTHER = flow("other", "acme.other")


@pytest.fixture
def flows(api):
    for source in (HELLO, SHAPED, DISABLED, OTHER):
        assert api.post("/api/v1/flows", source, content_type=YAML).status_code == 200


def started(api, flow_path: str = "acme.sales/hello") -> str:
    return api.post(f"/api/v1/executions/{flow_path}", {}, format="multipart").json()["id"]


def ended(api, flow_path: str = "acme.sales/hello") -> str:
    execution_id = started(api, flow_path)
    assert run_to_end(execution_id).state == "SUCCESS"
    return execution_id


REFS = [
    {"namespace": "acme.other", "id": "other"},
    {"namespace": "acme.sales", "id": "shaped"},
    {"namespace": "acme.sales", "id": "hello"},
    {"namespace": "acme.sales", "id": "ghost"},
]


def test_latest_is_the_execution_of_each_flow_that_ended_last_in_the_order_asked(api, flows):
    first, second = started(api), started(api)
    assert run_to_end(second).state == "SUCCESS"
    assert run_to_end(first).state == "SUCCESS"
    started(api)  # not ended: not the latest
    other = ended(api, "acme.other/other")

    response = api.post("/api/v1/main/executions/latest", REFS, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert [(item["namespace"], item["flowId"], item["id"]) for item in body] == [
        ("acme.other", "other", other),
        ("acme.sales", "hello", first),
    ]
    assert set(body[1]) == {"id", "flowId", "namespace", "startDate", "status"}
    assert body[1]["status"] == "SUCCESS"
    assert body[1]["startDate"] == api.get(f"/api/v1/executions/{first}").json()["state"]["startDate"]


def test_latest_leaves_out_the_flows_out_of_the_caller_s_sight(api, flows):
    ended(api)
    ended(api, "acme.other/other")
    viewer = member("vic", {"acme.other": "viewer"})
    body = viewer.post("/api/v1/executions/latest", REFS, format="json").json()
    assert [item["flowId"] for item in body] == ["other"]
    assert api.post("/api/v1/executions/latest", [], format="json").json() == []


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"namespace": "acme.sales", "id": "hello"}, "non_field_errors"),
        ([{"namespace": "acme.sales"}], "0.id"),
        ([{"namespace": "acme.sales", "id": None}], "0.id"),
        ([{"namespace": "acme.sales", "id": "hello"}] * 1001, "non_field_errors"),
    ],
)
def test_latest_refuses_a_body_that_is_not_a_bounded_list_of_flows(api, flows, body, path):
    response = api.post("/api/v1/executions/latest", body, format="json")
    assert_problem(response, 400, "invalid-query-parameter")
    assert error_paths(response) == [path]


def test_the_executable_namespaces_are_those_holding_a_flow_the_caller_may_start(api, flows):
    assert api.get("/api/v1/executions/namespaces").json() == ["acme.other", "acme.sales"]
    ada = member("ada", {"acme.sales": "executor", "acme.other": "viewer"})
    assert ada.get("/api/v1/main/executions/namespaces").json() == ["acme.sales"]
    assert member("vic", {"acme": "viewer"}).get("/api/v1/executions/namespaces").json() == []


def test_the_executable_flows_of_a_namespace_leave_out_disabled_and_deleted_ones(api, flows):
    assert api.delete("/api/v1/flows/acme.sales/hello").status_code == 204
    response = api.get("/api/v1/executions/namespaces/acme.sales/flows")
    assert response.status_code == 200, response.content
    assert [(item["id"], item["disabled"]) for item in response.json()] == [("shaped", False)]
    assert "source" not in response.json()[0]
    assert api.get("/api/v1/executions/namespaces/acme.empty/flows").json() == []


def test_the_executable_flows_need_the_executor_role_there(api, flows):
    path = "/api/v1/executions/namespaces/acme.sales/flows"
    assert_problem(member("vic", {"acme.sales": "viewer"}).get(path), 403, "forbidden")
    assert_problem(member("outsider", {"acme.other": "executor"}).get(path), 404, "not-found")


def test_a_flow_for_an_execution_is_its_structure_without_its_source(api, flows):
    response = api.get("/api/v1/executions/flows/acme.sales/shaped")
    assert response.status_code == 200, response.content
    body = response.json()
    assert "source" not in body
    assert (body["id"], body["namespace"], body["revision"], body["disabled"], body["deleted"]) == (
        "shaped",
        "acme.sales",
        1,
        False,
        False,
    )
    assert body["description"] == "Has a bit of everything."
    assert body["labels"] == [{"key": "team", "value": "sales"}]
    assert body["inputs"] == [{"id": "who", "type": "STRING", "defaults": "you"}]
    assert body["tasks"] == [
        {
            "id": "check",
            "type": "io.kestra.plugin.core.flow.If",
            "tasks": [
                {"id": "agree", "type": "io.kestra.plugin.core.log.Log"},
                {
                    "id": "many",
                    "type": "io.kestra.plugin.core.flow.Sequential",
                    "tasks": [{"id": "refuse", "type": "io.kestra.plugin.core.log.Log"}],
                },
            ],
        },
        {
            "id": "wait",
            "type": "io.kestra.plugin.core.flow.Pause",
            "inputs": [{"id": "reason", "type": "STRING", "required": True}],
        },
        {
            "id": "call",
            "type": "io.kestra.plugin.core.flow.Subflow",
            "subflowId": {"namespace": "acme.sales", "flowId": "hello"},
        },
    ]
    assert body["errors"] == [{"id": "alert", "type": "io.kestra.plugin.core.log.Log"}]
    assert body["finally"] == [{"id": "bye", "type": "io.kestra.plugin.core.log.Log"}]
    assert body["afterExecution"] == []
    assert body["triggers"] == [{"id": "nightly", "type": "io.kestra.plugin.core.trigger.Schedule"}]


def test_a_flow_for_an_execution_at_a_revision(api, flows):
    assert api.put("/api/v1/flows/acme.sales/hello", HELLO + "disabled: true\n", content_type=YAML).status_code == 200
    assert api.get("/api/v1/executions/flows/acme.sales/hello").json()["revision"] == 2
    first = api.get("/api/v1/executions/flows/acme.sales/hello?revision=1").json()
    assert (first["revision"], first["disabled"]) == (1, False)
    assert_problem(api.get("/api/v1/executions/flows/acme.sales/hello?revision=3"), 404, "not-found")
    assert_problem(api.get("/api/v1/executions/flows/acme.sales/ghost"), 404, "not-found")
    bad = api.get("/api/v1/executions/flows/acme.sales/hello?revision=0")
    assert_problem(bad, 400, "invalid-query-parameter")
    assert error_paths(bad) == ["revision"]
    outsider = member("outsider", {"acme.other": "executor"})
    assert_problem(outsider.get("/api/v1/executions/flows/acme.sales/hello"), 404, "not-found")


def test_the_flow_of_an_execution_is_the_revision_it_runs_even_once_deleted(api, flows):
    execution_id = ended(api)
    assert api.put("/api/v1/flows/acme.sales/hello", HELLO + "disabled: true\n", content_type=YAML).status_code == 200
    assert api.delete("/api/v1/flows/acme.sales/hello").status_code == 204

    body = api.get(f"/api/v1/main/executions/{execution_id}/flow").json()

    assert (body["id"], body["revision"], body["disabled"], body["deleted"]) == ("hello", 1, False, True)
    assert [task["id"] for task in body["tasks"]] == ["greet", "answer"]
    assert_problem(api.get("/api/v1/executions/nope/flow"), 404, "not-found")
    outsider = member("outsider", {"acme.other": "executor"})
    assert_problem(outsider.get(f"/api/v1/executions/{execution_id}/flow"), 404, "not-found")
