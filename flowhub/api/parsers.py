"""Request parsers beyond DRF's defaults."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from flowhub.engine.errors import ErrorDetail, FlowTooLargeError
from flowhub.engine.yamlsource import MAX_SOURCE_BYTES
from flowhub.exceptions import TooLarge


class BoundedTextParser(BaseParser):
    """A body kept as text, of which no more than the limit (plus one byte, to notice) is read."""

    what = "the body"

    def limit(self) -> int:
        raise NotImplementedError

    def too_large(self, limit: int) -> Exception:
        return TooLarge(f"{self.what} is larger than {limit} bytes")

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict[str, Any] | None = None) -> str:
        if stream is None:
            return ""
        limit = self.limit()
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise self.too_large(limit)
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(f"{self.what} is not valid {encoding}: {exc.reason} at byte {exc.start}") from exc


class YamlSourceParser(BoundedTextParser):
    """Flow YAML, kept as text: the source is stored verbatim, comments and all."""

    media_type = "application/x-yaml"
    what = "the YAML body"

    def limit(self) -> int:
        return MAX_SOURCE_BYTES

    def too_large(self, limit: int) -> Exception:
        return FlowTooLargeError(f"flow source is larger than {limit} bytes")


class YamlAliasParser(YamlSourceParser):
    media_type = "application/yaml"


class TextYamlParser(YamlSourceParser):
    media_type = "text/yaml"


class OctetStreamYamlParser(YamlSourceParser):
    """Raw bytes: what generated clients send when they cannot name a YAML media type."""

    media_type = "application/octet-stream"


YAML_PARSERS = [YamlSourceParser, YamlAliasParser, TextYamlParser, OctetStreamYamlParser]


class KVValueParser(BoundedTextParser):
    """A KV value as sent: the text is typed by the KV store (JSON first, then ISO dates, else text)."""

    media_type = "text/plain"
    what = "the value"

    def limit(self) -> int:
        return int(settings.FLOWHUB_KV_MAX_VALUE_BYTES)


class JsonKVValueParser(KVValueParser):
    media_type = "application/json"


KV_VALUE_PARSERS = [KVValueParser, JsonKVValueParser]


MAX_EXPRESSION_BYTES = 64 * 1024
"""An expression to debug is compiled for its one rendering, at about a second per 50 KiB and before the render's
time budget starts: far more than a flow's property needs, little enough that compiling one stays that short."""


class ExpressionParser(BoundedTextParser):
    """A Pebble expression to evaluate, as Kestra's eval endpoints take it."""

    media_type = "text/plain"
    what = "the expression"

    def limit(self) -> int:
        return MAX_EXPRESSION_BYTES

    def too_large(self, limit: int) -> Exception:
        return TooLarge(f"the expression is larger than {limit} bytes", [ErrorDetail("body", f"at most {limit} bytes")])


class OctetStreamExpressionParser(ExpressionParser):
    """Raw bytes: what generated clients send, as they cannot send text/plain."""

    media_type = "application/octet-stream"


EXPRESSION_PARSERS = [ExpressionParser, OctetStreamExpressionParser]


class BoundedJSONParser(BoundedTextParser):
    """JSON of at most the body limit (`FLOWHUB_MAX_BODY_BYTES`): DRF's own parser reads a body whole, whatever
    its size. NaN and Infinity, which no JSON column stores, are refused."""

    media_type = "application/json"
    what = "the JSON body"

    def limit(self) -> int:
        return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict[str, Any] | None = None) -> Any:
        text = super().parse(stream, media_type, parser_context)
        try:
            return json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"the JSON body is invalid: {exc}") from exc


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")
