"""The compatibility corpus, run end to end: every flow of tests/compat/flows, on PostgreSQL with a real
web server, celery worker and beat over Redis and over RabbitMQ, must end as its expectation says.

One stack per broker: every flow is saved and set up first, all their runs are triggered at once,
then each test takes its flow's runs through their steps and checks how they ended.

Expectations: `tests/compat/expected/<flow stem>.yml`, one per flow (a test checks none is missing).

    setup:                          # all optional
      flows: [28_subflow_child]     # other corpus flows it needs (a Subflow's children), saved first
      kv:                           # namespace → key → value, stored typed as the value's JSON
        company.team: {region: eu}
      files:                        # namespace → path → content: namespace files
        company.team: {/scripts/clean.py: "print('clean')"}
      secrets:                      # namespace → name → value
        company.team: {API_TOKEN: s3cr3t}
    runs:                           # one execution each, triggered at once, in this order
      - inputs: {user: Ada}         # form fields; ${http} is the base URL of the runner's loopback
                                    #   HTTP server (tests/compat/echo.py), anywhere in the file
        files: {data: "id\\n1\\n"}  # FILE inputs: input id → the uploaded file's content
        labels: {env: prod}         # execution labels, as `?labels=env:prod`
        webhook: {body: {id: 7}}    # instead of the form: POST this JSON to the flow's Webhook trigger
        after: RUNNING              # trigger it only once the flow's run before it is in this state
        steps:                      # done in order once it runs; each does one thing:
          - wait: PAUSED            #   until the execution is in this state
          - resume: {ok: "true"}    #   POST …/resume with these form inputs
          - restart: {}             #   POST …/restart
          - replay: {taskId: load}  #   POST …/replay?taskRunId=<load's run>; the rest is about the new execution
        state: SUCCESS              # the final state
        history: [CREATED, RUNNING, SUCCESS]   # optional: the execution's whole state history
        taskRuns:                   # every task run, by `taskId`, or `taskId[value]` in a loop (nested:
          first: SUCCESS            #   `[outer][inner]`) → its state, or a list of states when several
          each[a]: SUCCESS          #   runs share the key. The multiset of runs must match exactly.
        outputs:                    # by the same keys: what the run's outputs hold (maps compared key by
          first: {value: Hello}     #   key, recursively: more keys may be there; lists in full)
        flowOutputs: {greeting: HI} # the execution's outputs, exactly
        logs:                       # each must match a log line: a text it contains, or
          - Hello, Ada              #   {message: <contained>, level: WARN, taskId: first}
        logsAbsent: [s3cr3t]        # no log line may contain these

A `!re <regex>` in an expected value stands for any text the regex matches in full (ids, dates, URIs).

A flow flowhub cannot play yet (what capabilities.py refuses, or a run only its webhook starts) is
skipped, with the reason.
"""

import pytest

from tests.compat.corpus import CORPUS
from tests.compat.echo import echo_server
from tests.compat.expectations import corpus_flows
from tests.compat.playback import not_runnable_why, play, prepare, skip_unless_runnable, trigger

pytestmark = pytest.mark.distributed

RUN_TIMEOUT = 120  # seconds: the whole corpus runs at once on two worker processes


@pytest.fixture(scope="module")
def echo_url():
    with echo_server() as url:
        yield url


@pytest.fixture(scope="module")
def triggered(stack, echo_url):
    """Every flow saved and set up, and every run of those flowhub can run triggered: the responses by flow."""
    api, _ = stack
    flows = {flow.stem: flow for flow in corpus_flows(echo_url)}
    prepare(api, flows.values())
    playable = {stem: flow for stem, flow in flows.items() if not_runnable_why(flow) is None}
    responses = {stem: trigger(api, flow, RUN_TIMEOUT) for stem, flow in playable.items()}
    return api, flows, responses


@pytest.mark.parametrize("stem", [path.stem for path in CORPUS])
def test_a_corpus_flow_runs_as_its_expectation_says(triggered, stem):
    api, flows, responses = triggered
    skip_unless_runnable(flows[stem])
    play(api, flows[stem], responses[stem], RUN_TIMEOUT)
