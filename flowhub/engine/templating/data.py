"""JSON and YAML in templates: the `toJson`, `yaml` and `jq` filters, the `fromJson` and `yaml`
functions (a text parsed into maps and lists)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import yaml

from . import limits
from .jq import jq
from .text import plain_data, to_json


def to_json_filter(value: Any, includeNulls: bool = False) -> str:
    """`{{ outputs.t | toJson }}`; null map entries are left out unless `includeNulls=true`."""
    return to_json(value, include_nulls=bool(includeNulls))


class _IndentedSequences(yaml.SafeDumper):
    """Writes the items of a list indented under their key, as Kestra's YAML writer does."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


class _BoundedText(io.StringIO):
    def write(self, text: str) -> int:
        limits.check_chars(self.tell() + len(text), "the YAML text")
        return super().write(text)


def to_yaml(value: Any) -> str:
    """A value written as a YAML document (without its `---` marker); null is `null`."""
    if value is None:
        return "null"
    to_json(value, include_nulls=True)  # fails fast, as PyYAML would build the whole document before writing it
    stream = _BoundedText()
    yaml.dump(
        plain_data(value),
        stream,
        Dumper=_IndentedSequences,
        default_flow_style=False,
        sort_keys=False,
        allow_unicode=True,
        width=float("inf"),
    )
    return stream.getvalue().removesuffix("...\n")


def from_json(json_text: Any) -> Any:
    """`{{ fromJson(outputs.t.body).id }}`; null gives null."""
    if json_text is None:
        return None
    if not isinstance(json_text, str):
        raise TypeError("expects a JSON text")
    return json.loads(json_text)


def from_yaml(yaml_text: Any) -> Any:
    if yaml_text is None:
        return None
    if not isinstance(yaml_text, str):
        raise TypeError("expects a YAML text")
    return yaml.safe_load(yaml_text)


FILTERS: dict[str, Callable[..., Any]] = {
    "toJson": to_json_filter,
    "json": to_json_filter,
    "yaml": to_yaml,
    "jq": jq,
}
FUNCTIONS: dict[str, Callable[..., Any]] = {"fromJson": from_json, "json": from_json, "yaml": from_yaml}
