"""Kestra's template context in running flows: parents, currentEachOutput(), envs, trigger, originalId, labels."""

from executions.models import Execution, TaskRun

from .drive import run_to_end
from .helpers import YAML

LOOPS = """\
id: loops
namespace: acme
tasks:
  - id: outer
    type: io.kestra.plugin.core.flow.ForEach
    values: ["a", "b"]
    tasks:
      - id: inner
        type: io.kestra.plugin.core.flow.ForEach
        values: ["1", "2"]
        tasks:
          - id: make
            type: io.kestra.plugin.core.debug.Return
            format: "{{ parents[0].taskrun.value }}-{{ taskrun.value }}"
          - id: use
            type: io.kestra.plugin.core.debug.Return
            format: "{{ currentEachOutput(outputs.make).value }}|{{ parent.taskrun.value }}|{{ parents | length }}"
"""


def start(api, source: str, flow_id: str) -> str:
    assert api.post("/api/v1/flows", source, content_type=YAML).status_code == 200
    return api.post(f"/api/v1/executions/acme/{flow_id}", {}, format="multipart").json()["id"]


def test_parents_and_current_each_output_follow_nested_loops(api):
    execution = run_to_end(start(api, LOOPS, "loops"))
    assert execution.state == "SUCCESS"
    uses = TaskRun.objects.filter(execution=execution, task_id="use").values_list("outputs", flat=True)
    assert sorted(outputs["value"] for outputs in uses) == ["a-1|a|2", "a-2|a|2", "b-1|b|2", "b-2|b|2"]


CONTEXT = """\
id: context
namespace: acme
tasks:
  - id: show
    type: io.kestra.plugin.core.debug.Return
    format: >-
      {{ envs.region }}|{{ trigger.body.order }}|{{ execution.originalId }}|{{ labels.team.name }}|{{
      labels.system.correlationId == execution.id }}
"""


def test_envs_trigger_original_id_and_nested_labels(api, monkeypatch):
    monkeypatch.setenv("ENV_REGION", "eu-west")
    execution_id = start(api, CONTEXT, "context")
    trigger = {"id": "hook", "type": "io.kestra.plugin.core.trigger.Webhook", "variables": {"body": {"order": 42}}}
    Execution.objects.filter(pk=execution_id).update(
        trigger=trigger,
        original_id="first-of-chain",
        labels=[{"key": "system.correlationId", "value": execution_id}, {"key": "team.name", "value": "data"}],
    )
    execution = run_to_end(execution_id)
    assert execution.state == "SUCCESS"
    show = TaskRun.objects.get(execution=execution)
    assert show.outputs == {"value": "eu-west|42|first-of-chain|data|true"}


MANUAL = """\
id: manual
namespace: acme
tasks:
  - id: show
    type: io.kestra.plugin.core.debug.Return
    format: "{{ trigger.date ?? 'manual' }}|{{ execution.originalId == execution.id }}|{{ envs.unset ?? '-' }}"
"""


def test_a_manual_execution_has_no_trigger_and_is_its_own_original(api):
    execution = run_to_end(start(api, MANUAL, "manual"))
    assert execution.state == "SUCCESS"
    assert TaskRun.objects.get(execution=execution).outputs == {"value": "manual|true|-"}
