"""A third-party task type, installed as a distribution with a `flowhub.tasks` entry point, runs in a flow."""

import sys
import textwrap

import pytest

from namespaces.flows import task_registry

from .drive import run_to_end
from .helpers import YAML

PLUGIN = '''
from typing import Any

from flowhub.engine.context import RunContext
from flowhub.engine.registry import TaskDefinition


class Shout(TaskDefinition):
    """Upper-case a rendered text."""

    TYPE = "com.example.tiny.Shout"
    ALIASES = ("com.example.tiny.Yell",)

    text: str

    def run(self, ctx: RunContext) -> dict[str, Any]:
        shouted = str(ctx.render(self.text)).upper()
        ctx.log("INFO", shouted)
        return {"shouted": shouted}
'''


@pytest.fixture
def installed_plugin(tmp_path, monkeypatch):
    """A distribution on sys.path, found by importlib.metadata exactly as a pip-installed one is."""
    (tmp_path / "tinyplugin").mkdir()
    (tmp_path / "tinyplugin" / "__init__.py").write_text(textwrap.dedent(PLUGIN))
    dist_info = tmp_path / "tinyplugin-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: tinyplugin\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text("[flowhub.tasks]\nshout = tinyplugin:Shout\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    task_registry.cache_clear()
    yield
    task_registry.cache_clear()
    sys.modules.pop("tinyplugin", None)


PLUGIN_FLOW = """\
id: plugged
namespace: acme
inputs:
  - id: who
    type: STRING
tasks:
  - id: shout
    type: com.example.tiny.Shout
    text: "hello {{ inputs.who }}"
  - id: again
    type: com.example.tiny.Yell
    text: "{{ outputs.shout.shouted }}!"
"""


def test_a_plugin_task_type_validates_and_runs(api, installed_plugin):
    assert api.post("/api/v1/flows", PLUGIN_FLOW, content_type=YAML).status_code == 200
    execution_id = api.post("/api/v1/executions/acme/plugged", {"who": "ada"}, format="multipart").json()["id"]
    run_to_end(execution_id)
    body = api.get(f"/api/v1/executions/{execution_id}").json()
    assert body["state"]["current"] == "SUCCESS"
    assert [run["outputs"] for run in body["taskRunList"]] == [{"shouted": "HELLO ADA"}, {"shouted": "HELLO ADA!"}]
    assert [log["message"] for log in api.get(f"/api/v1/logs/{execution_id}").json()] == ["HELLO ADA", "HELLO ADA!"]


def test_a_plugin_task_is_validated_by_its_own_schema(api, installed_plugin):
    broken = PLUGIN_FLOW.replace('    text: "hello {{ inputs.who }}"\n', "    txt: oops\n")
    body = api.post("/api/v1/flows", broken, content_type=YAML).json()
    assert [(e["path"], e["detail"]) for e in body["errors"]] == [
        ("tasks[0].text", "field required"),
        ("tasks[0].txt", "unknown property"),
    ]


def test_without_the_plugin_the_type_is_unknown(api):
    task_registry.cache_clear()
    body = api.post("/api/v1/flows", PLUGIN_FLOW, content_type=YAML).json()
    assert body["errors"][0]["detail"] == "invalid type: unknown task type 'com.example.tiny.Shout'"
