"""Editing a flow's YAML source in place: one top-level value changes, every other byte stays.

Used where flowhub itself changes a stored flow (enable/disable, duplicate): the user's comments,
order and layout survive, as they do in Kestra.
"""

from __future__ import annotations

import json

import yaml


def yaml_scalar(value: str | bool) -> str:
    """`value` written as a YAML scalar that reads back as exactly the same value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    try:
        if value and yaml.safe_load(value) == value and "\n" not in value:
            return value
    except yaml.YAMLError:
        pass
    return json.dumps(value)


def set_top_level(source: str, key: str, value: str | bool) -> str:
    """`source` with the top-level `key` set to `value` (added at the end when absent)."""
    text = yaml_scalar(value)
    document = yaml.compose(source, Loader=yaml.SafeLoader)
    if isinstance(document, yaml.MappingNode):
        for key_node, value_node in document.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                return source[: value_node.start_mark.index] + text + source[value_node.end_mark.index :]
    separator = "" if source.endswith("\n") or not source else "\n"
    return f"{source}{separator}{key}: {text}\n"
