"""Flow sources shared by the engine tests."""

HELLO = """\
id: hello
namespace: acme.sales
description: Greets someone.
labels:
  team: sales
inputs:
  - id: name
    type: STRING
    defaults: world
variables:
  greeting: Hello
tasks:
  - id: greet
    type: io.kestra.plugin.core.log.Log
    message: "{{ vars.greeting }}, {{ inputs.name }}!"
  - id: answer
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.name | upper }}"
outputs:
  - id: shout
    type: STRING
    value: "{{ outputs.answer.value }}"
"""


LOG_BODY = "    type: io.kestra.plugin.core.log.Log\n    message: hi\n"

NOT_RUNNABLE_TASK = (
    "  - id: dir\n    type: io.kestra.plugin.core.flow.WorkingDirectory\n    cache: {patterns: [x]}\n    tasks:\n"
    "      - id: inside\n        type: io.kestra.plugin.core.log.Log\n        message: hi\n"
)
"""A task flowhub parses but cannot run yet (a WorkingDirectory's `cache`): its `cache` is on its third line."""
NOT_RUNNABLE_DETAIL = "flowhub does not apply a task's 'cache' yet"


def billion_laughs() -> str:
    """A flow whose aliases would expand to 9 * 6^9 (about 90 million) values."""
    lines = ["id: lol", "namespace: acme", 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{n}: &a{n} [*a{n - 1}, *a{n - 1}, *a{n - 1}, *a{n - 1}, *a{n - 1}, *a{n - 1}]" for n in range(1, 10)]
    return "\n".join(lines) + "\ntasks:\n  - id: t\n" + LOG_BODY


def five_megabytes() -> str:
    """A valid-looking flow of 75,000 tasks, over 5 MB."""
    return "id: big\nnamespace: acme\ntasks:\n" + "".join(f"  - id: t{n}\n" + LOG_BODY for n in range(75_000))
