"""A loopback HTTP server for the corpus' `http.Request` flows: it answers each request with what it
received, as JSON (`method`, `path`, `query`, `headers` in lower case, `body`, and the parsed `form`);
`/status/<code>` answers with that code."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit


class _Echo(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        url = urlsplit(self.path)
        status = re.fullmatch(r"/status/(\d{3})", url.path)
        content_type = self.headers.get("Content-Type", "")
        echoed = {
            "method": self.command,
            "path": url.path,
            "query": parse_qs(url.query),
            "headers": {name.lower(): value for name, value in self.headers.items()},
            "body": raw.decode("utf-8", errors="replace"),
            "form": _form(content_type, raw),
        }
        answer = json.dumps(echoed).encode()
        self.send_response(int(status.group(1)) if status else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Echo-Method", self.command)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _form(content_type: str, raw: bytes) -> dict[str, str] | None:
    if content_type.startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(raw.decode()))
    if content_type.startswith("multipart/form-data"):
        message = message_from_bytes(f"Content-Type: {content_type}\r\n\r\n".encode() + raw, policy=HTTP)
        return {
            part.get_param("name", header="content-disposition"): part.get_content() for part in message.iter_parts()
        }
    return None


@contextmanager
def echo_server() -> Iterator[str]:
    """The server's base URL while it runs, in a thread of this process."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
