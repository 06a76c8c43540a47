"""Kestra's Webhook trigger: which trigger a call's key opens, and what the flow sees of the request.

The flow sees `trigger.body` (a JSON object or array parsed, other text as it is, a binary body
base64-encoded; absent when the request has none), `trigger.headers` and `trigger.parameters` (the
query), both maps of a name to its list of values; header names are lower-cased, as HTTP/2 sends them.
A multipart/form-data body is no `trigger.body` but, as in Kestra, `trigger.parts` (its file parts,
stored: `{name, filename, contentType, size, uri}`) and `trigger.formFields` (its other fields, each a
list of values); an url-encoded body is its text as `trigger.body` and its fields as `trigger.formFields`.
"""

from __future__ import annotations

import base64
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import Message
from typing import Any

TEXT_TYPES = ("text/", "application/json", "application/xml", "application/x-www-form-urlencoded", "+json", "+xml")


def key_matches(trigger_key: str, given: str) -> bool:
    """The webhook key check, in constant time: a wrong key takes as long whatever it shares with the right one."""
    return hmac.compare_digest(trigger_key.strip().encode(), given.encode())


@dataclass(frozen=True)
class StoredPart:
    """A file part of a multipart/form-data call, its content already stored at `uri`."""

    name: str
    filename: str
    content_type: str
    """Empty when the caller sent none for the part: then the flow sees no `contentType`."""
    size: int
    uri: str

    def variables(self) -> dict[str, Any]:
        content_type = {"contentType": self.content_type} if self.content_type else {}
        return {"name": self.name, "filename": self.filename, **content_type, "size": self.size, "uri": self.uri}


def request_variables(
    body: bytes,
    content_type: str,
    headers: Mapping[str, list[str]],
    parameters: Mapping[str, list[str]],
    form_fields: Mapping[str, list[str]] | None = None,
    parts: Sequence[StoredPart] | None = None,
) -> dict[str, Any]:
    """`trigger` for an execution a webhook call starts: `parts` for a multipart/form-data call (which has no
    `body` then), `form_fields` for it and for an url-encoded one."""
    variables: dict[str, Any] = {"headers": dict(headers), "parameters": dict(parameters)}
    if parts is not None:
        variables["parts"] = [part.variables() for part in parts]
    elif body:
        variables["body"] = body_value(body, content_type)
    if form_fields is not None:
        variables["formFields"] = dict(form_fields)
    return variables


def body_value(body: bytes, content_type: str) -> Any:
    """A text body (by its content type, or none given) parsed as a JSON object or array if it is one,
    else as it is; any other body, or one that is not valid in its charset, base64-encoded."""
    media_type, charset = _media_type(content_type)
    if media_type and not any(marker in media_type for marker in TEXT_TYPES):
        return base64.b64encode(body).decode("ascii")
    try:
        text = body.decode(charset)
    except (UnicodeDecodeError, LookupError):
        return base64.b64encode(body).decode("ascii")
    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    return parsed if isinstance(parsed, dict | list) else text


def _media_type(content_type: str) -> tuple[str, str]:
    message = Message()
    message["content-type"] = content_type or "text/plain"
    return (message.get_content_type() if content_type else ""), str(message.get_param("charset") or "utf-8")
