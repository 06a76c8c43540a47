"""Kestra's `http.Request`: one HTTP request with httpx, its response as outputs.

The response body is read up to `options.maxContentLength` bytes (at most `MAX_RESPONSE_BYTES`): it
becomes an output, which is stored with the task run.
"""

from __future__ import annotations

import json
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any

import httpx
from pydantic import Field

from flowhub.engine.context import RunContext
from flowhub.engine.errors import TaskFailure
from flowhub.engine.fields import Duration, Strict
from flowhub.engine.registry import TaskDefinition

from . import properties

MAX_RESPONSE_BYTES = 10 * 1024 * 1024
CONNECT_TIMEOUT = timedelta(seconds=30)
READ_TIMEOUT = timedelta(minutes=5)  # Kestra's default `readIdleTimeout`


class Method(StrEnum):
    GET = "GET"
    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    DELETE = "DELETE"
    HEAD = "HEAD"
    OPTIONS = "OPTIONS"


def _uri_problem(uri: str) -> str | None:
    if not uri.startswith(("http://", "https://")):
        return "must be an http:// or https:// URL"
    return None


class Timeouts(Strict):
    connectTimeout: Duration | None = None
    readIdleTimeout: Duration | None = None


class Options(Strict):
    """Kestra's request options, in its older flat form (`readTimeout`, …) and its newer one (`timeout`)."""

    connectTimeout: Duration | None = None
    readTimeout: Duration | None = None
    readIdleTimeout: Duration | None = None
    timeout: Timeouts | None = None
    followRedirects: bool = True
    allowFailed: bool = False
    maxContentLength: int = Field(default=MAX_RESPONSE_BYTES, ge=1, le=MAX_RESPONSE_BYTES)
    basicAuthUser: str | None = None
    basicAuthPassword: str | None = None


class SslOptions(Strict):
    insecureTrustAllCertificates: bool = False


class Request(TaskDefinition):
    """Send an HTTP request; outputs `uri`, `code`, `headers` (name → list of values) and `body` (text).

    A response code of 400 or more fails the task unless `allowFailed` (or `options.allowFailed`) is set.
    """

    TYPE = "io.kestra.plugin.core.http.Request"
    ALIASES = ("io.kestra.plugin.fs.http.Request",)

    uri: Annotated[str, properties.checked_when_literal(_uri_problem)] = Field(examples=["https://example.com"])
    method: Method = Method.GET
    headers: dict[str, str] | None = None
    body: str | None = None
    formData: dict[str, Any] | None = None
    contentType: str | None = None
    options: Options = Field(default_factory=Options)
    sslOptions: SslOptions | None = None
    allowFailed: bool = False

    def run(self, ctx: RunContext) -> dict[str, Any]:
        uri = properties.text(ctx, "uri", self.uri, _uri_problem)
        headers = {
            properties.text(ctx, "headers", name): properties.text(ctx, f"headers.{name}", value)
            for name, value in (self.headers or {}).items()
        }
        if self.contentType is not None:
            headers["Content-Type"] = properties.text(ctx, "contentType", self.contentType)
        options = self.options
        auth = None
        if options.basicAuthUser is not None:
            password = options.basicAuthPassword or ""
            auth = httpx.BasicAuth(
                properties.text(ctx, "options.basicAuthUser", options.basicAuthUser),
                properties.text(ctx, "options.basicAuthPassword", password),
            )
        request: dict[str, Any] = {"headers": headers, "auth": auth}
        if self.body is not None:
            request["content"] = properties.text(ctx, "body", self.body).encode("utf-8")
        elif self.formData is not None:
            form = {name: _form_value(ctx.render(value)) for name, value in self.formData.items()}
            if headers.get("Content-Type", "").startswith("multipart/form-data"):
                del headers["Content-Type"]  # httpx writes it with the boundary
                request["files"] = {name: (None, value) for name, value in form.items()}
            else:
                request["data"] = form
        with httpx.Client(
            timeout=self._timeout(ctx),
            follow_redirects=options.followRedirects,
            verify=not (self.sslOptions and self.sslOptions.insecureTrustAllCertificates),
        ) as client:
            try:
                with client.stream(self.method.value, uri, **request) as response:
                    body = _read(response, options.maxContentLength)
            except httpx.HTTPError as exc:
                raise TaskFailure(f"request to {uri} failed: {type(exc).__name__}: {exc}") from None
        if response.status_code >= 400 and not (self.allowFailed or options.allowFailed):
            raise TaskFailure(f"Failed http request with response code '{response.status_code}'")
        response_headers: dict[str, list[str]] = {}
        for name, value in response.headers.raw:
            response_headers.setdefault(name.decode("latin-1"), []).append(value.decode("latin-1"))
        return {
            "uri": str(response.request.url),
            "code": response.status_code,
            "headers": response_headers,
            "body": _text(body, response.charset_encoding) if body else None,
        }

    def _timeout(self, ctx: RunContext) -> httpx.Timeout:
        options, nested = self.options, self.options.timeout or Timeouts()
        connect = [("timeout.connectTimeout", nested.connectTimeout), ("connectTimeout", options.connectTimeout)]
        read = [
            ("timeout.readIdleTimeout", nested.readIdleTimeout),
            ("readTimeout", options.readTimeout),
            ("readIdleTimeout", options.readIdleTimeout),
        ]
        return httpx.Timeout(_seconds(ctx, read, READ_TIMEOUT), connect=_seconds(ctx, connect, CONNECT_TIMEOUT))


def _seconds(ctx: RunContext, candidates: list[tuple[str, str | None]], default: timedelta) -> float:
    """The first of the options `candidates` that is set, rendered, in seconds; else `default`."""
    for name, value in candidates:
        if value is not None:
            return properties.duration(ctx, f"options.{name}", value).total_seconds()
    return default.total_seconds()


def _form_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _text(body: bytes, charset: str | None) -> str:
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return body.decode("utf-8", errors="replace")


def _read(response: httpx.Response, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise TaskFailure(f"the response body is larger than {limit} bytes (options.maxContentLength)")
        chunks.append(chunk)
    return b"".join(chunks)


TASK_TYPES: tuple[type[TaskDefinition], ...] = (Request,)
