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
