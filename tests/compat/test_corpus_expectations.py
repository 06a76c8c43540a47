"""Every corpus flow says what it must do when run (tests/compat/expected), naming only what the flow has."""

import pytest

from .corpus import CORPUS
from .expectations import EXPECTED, CorpusFlow, corpus_flows

FLOWS = corpus_flows()


def test_every_corpus_flow_has_an_expectation_and_every_expectation_a_flow():
    assert sorted(path.stem for path in EXPECTED.glob("*.yml")) == [path.stem for path in CORPUS]


def _task_ids(flow: CorpusFlow, keys) -> set[str]:
    """The task ids of `taskId[value]…` keys that the flow does not have."""
    unknown = set()
    for key in keys:
        task_id = key.split("[", 1)[0]
        try:
            flow.flow.task(task_id)
        except KeyError:
            unknown.add(task_id)
    return unknown


@pytest.mark.parametrize("flow", FLOWS, ids=str)
def test_an_expectation_names_only_what_its_flow_has(flow):
    inputs = {spec.id for spec in flow.flow.inputs}
    assert set(flow.expectation.setup.flows) <= {path.stem for path in CORPUS} - {flow.stem}
    for run in flow.expectation.runs:
        assert _task_ids(flow, run.task_runs) == set()
        assert set(run.outputs) <= set(run.task_runs), "outputs of task runs that are not expected"
        assert set(run.inputs) | set(run.files) <= inputs
        assert all(step.replay["taskId"] in run.task_runs for step in run.steps if step.replay is not None)
