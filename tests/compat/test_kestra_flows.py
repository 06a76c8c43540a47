"""The corpus of flows in Kestra's syntax (tests/compat/flows): saved as written, given back byte for byte,
and covering the whole flow syntax. What each does when run: tests/compat/expected."""

from pathlib import Path

import pytest

from flowhub.engine.flowable import FlowableTask
from flowhub.engine.inputs import ValueType
from flowhub.engine.parser import parse_flow
from flowhub.engine.registry import TaskDefinition, TriggerDefinition
from namespaces.flows import task_registry
from tests.api.helpers import YAML

from .corpus import CORPUS


def _source(path: Path) -> str:
    return path.read_bytes().decode()


def _tasks(tasks) -> list[TaskDefinition]:
    """Every task of a tree, the flowable ones and all they hold."""
    found = []
    for task in tasks:
        found.append(task)
        for value in dict(task).values():
            children = value.values() if isinstance(value, dict) else [value]
            for child in children:
                if isinstance(child, tuple) and child and isinstance(child[0], TaskDefinition):
                    found.extend(_tasks(child))
                elif isinstance(child, tuple) and child and hasattr(child[0], "task"):  # a Dag's nodes
                    found.extend(_tasks([node.task for node in child]))
    return found


def _every_task(flows):
    return [task for flow in flows for task in _tasks(flow.tasks + flow.errors + flow.finally_ + flow.after_execution)]


def test_the_corpus_covers_the_whole_flow_syntax():
    flows = [parse_flow(_source(path), task_registry()) for path in CORPUS]
    assert len(flows) == 36
    input_types = {spec.type for flow in flows for spec in flow.inputs}
    assert input_types == set(ValueType)
    used = {type(task) for task in _every_task(flows)}
    task_types = {kind for kind in task_registry().types() if issubclass(kind, TaskDefinition)}
    assert task_types <= used
    trigger_types = {kind for kind in task_registry().types() if issubclass(kind, TriggerDefinition)}
    assert trigger_types <= {type(trigger) for flow in flows for trigger in flow.triggers}
    documents = [flow.document for flow in flows]
    for key in ("errors", "finally", "afterExecution", "pluginDefaults", "taskDefaults", "concurrency", "retry"):
        assert any(key in document for document in documents), key
    label_forms = {type(document["labels"]) for document in documents if "labels" in document}
    assert label_forms == {dict, list}
    assert any(task.type.startswith("io.kestra.core.") for flow in flows for task in _tasks(flow.tasks))


@pytest.mark.parametrize("path", CORPUS, ids=[path.stem for path in CORPUS])
def test_a_kestra_flow_is_accepted_as_written_and_returned_byte_for_byte(api, path):
    source = _source(path)
    parsed = parse_flow(source, task_registry())
    validated = api.post("/api/v1/flows/validate", source, content_type=YAML).json()
    assert [result["errors"] for result in validated] == [[]]

    created = api.post("/api/v1/main/flows", source, content_type=YAML)
    assert created.status_code == 200, created.content
    assert created.json()["source"] == source

    url = f"/api/v1/flows/{parsed.namespace}/{parsed.id}"
    assert api.get(f"{url}?source=true").json()["source"].encode() == path.read_bytes()
    as_json = api.get(url).json()
    assert "source" not in as_json
    assert [task["id"] for task in as_json["tasks"]] == [task.id for task in parsed.tasks]
    assert [trigger["id"] for trigger in as_json.get("triggers", [])] == [trigger.id for trigger in parsed.triggers]

    updated = api.put(url, source, content_type=YAML)
    assert updated.status_code == 200, updated.content
    assert api.get(f"{url}?source=true").json()["source"] == source


def test_the_corpus_uses_every_common_task_property():
    flows = [parse_flow(_source(path), task_registry()) for path in CORPUS]
    tasks = _every_task(flows)
    for name in ("description", "disabled", "timeout", "retry", "allowFailure", "allowWarning", "runIf"):
        assert any(getattr(task, name) for task in tasks), name
    retries = [task.retry for task in tasks if task.retry] + [
        flow.policies.retry for flow in flows if flow.policies.retry
    ]
    assert {retry.type for retry in retries} == {"constant", "exponential", "random"}
    for name in ("maxAttempt", "maxDuration", "warningOnRetry"):
        assert any(getattr(retry, name) for retry in retries), name
    flowables = [task for task in tasks if isinstance(task, FlowableTask)]
    assert any(task.errors for task in flowables) and any(task.finally_ for task in flowables)
    output_types = {spec.type for flow in flows for spec in flow.outputs}
    assert output_types >= {"STRING", "INT", "FLOAT", "BOOLEAN", "JSON", "FILE"}
