import pytest

from flowhub.engine import templating
from flowhub.engine.errors import TemplateError

CONTEXT = {
    "inputs": {"name": "ada", "n": 3, "flag": True},
    "outputs": {"ret": {"value": "x", "nested": {"a": [1, 2]}}},
}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("plain text", "plain text"),
        ("{{ inputs.name }}", "ada"),
        ("{{ inputs.name | upper }}", "ADA"),
        ("{{ outputs.ret.value }}-{{ inputs.n }}", "x-3"),
        ("{{ outputs.ret.nested }}", '{"a":[1,2]}'),
        ("{{ inputs.flag }}", "true"),
        ("{{ none }}", ""),
        ("{% if inputs.n > 2 %}big{% endif %}", "big"),
        ("line\n", "line\n"),
    ],
)
def test_rendering_follows_kestras_conventions(template, expected):
    assert templating.render(template, {**CONTEXT, "none": None}) == expected


@pytest.mark.parametrize(
    "template",
    ["{{ outputs.missing.value }}", "{{ nothing }}", "{{ inputs.name.nope }}"],
)
def test_undefined_variables_are_errors_not_empty_strings(template):
    with pytest.raises(TemplateError, match="unable to render"):
        templating.render(template, CONTEXT)


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ lipsum.__globals__['os'] }}",
        "{{ inputs.name.__class__ }}",
        "{{ render.__globals__ }}",
        "{{ ().__class__.__bases__[0].__subclasses__() }}",
    ],
)
def test_templates_cannot_reach_python_internals(template):
    with pytest.raises(TemplateError):
        templating.render(template, {**CONTEXT, "render": templating.render})


def test_syntax_errors_are_reported():
    assert templating.check_syntax("{{ inputs.name ") is not None
    assert templating.check_syntax("{{ inputs.name }}") is None
    with pytest.raises(TemplateError, match="invalid expression"):
        templating.render("{% if %}", CONTEXT)


def test_huge_output_is_refused():
    with pytest.raises(TemplateError, match="exceeds"):
        templating.render("{{ 'x' * 2000000 }}", CONTEXT)


def test_render_value_keeps_the_shape_of_lists_and_maps():
    value = {"a": ["{{ inputs.name }}", 1], "b": {"c": "{{ inputs.n }}"}}
    assert templating.render_value(value, CONTEXT) == {"a": ["ada", 1], "b": {"c": "3"}}


@pytest.mark.parametrize(
    "template",
    ["{{ vars.items.append(4) }}", "{{ vars.update({'x': 1}) }}", "{{ vars.items.pop() }}", "{{ vars.clear() }}"],
)
def test_templates_cannot_change_the_values_they_are_given(template):
    shared = {"items": [1, 2, 3]}
    with pytest.raises(TemplateError):
        templating.render(template, {"vars": shared})
    assert shared == {"items": [1, 2, 3]}
