"""Request parsers beyond DRF's defaults."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from flowhub.engine.errors import FlowTooLargeError
from flowhub.engine.yamlsource import MAX_SOURCE_BYTES


class YamlSourceParser(BaseParser):
    """Flow YAML, kept as text: the source is stored verbatim, comments and all."""

    media_type = "application/x-yaml"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict[str, Any] | None = None) -> str:
        if stream is None:
            return ""
        raw = stream.read(MAX_SOURCE_BYTES + 1)
        if len(raw) > MAX_SOURCE_BYTES:
            raise FlowTooLargeError(f"flow source is larger than {MAX_SOURCE_BYTES} bytes")
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(f"the YAML body is not valid {encoding}: {exc.reason} at byte {exc.start}") from exc


class YamlAliasParser(YamlSourceParser):
    media_type = "application/yaml"


class TextYamlParser(YamlSourceParser):
    media_type = "text/yaml"


class OctetStreamYamlParser(YamlSourceParser):
    """Raw bytes: what generated clients send when they cannot name a YAML media type."""

    media_type = "application/octet-stream"


YAML_PARSERS = [YamlSourceParser, YamlAliasParser, TextYamlParser, OctetStreamYamlParser]
