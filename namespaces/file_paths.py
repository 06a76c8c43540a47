"""Namespace-file paths: normalised to `/x/y` and confined to their namespace (DESIGN.md §8).

A path is namespace-relative; its leading `/` is optional and a trailing `/` (Kestra's mark of a
directory) is dropped. A path is refused, with the reason, if it is longer than 1,024 bytes, has
a NUL or another control character, a backslash, an empty segment (`a//b`, `//etc`), a `.` or
`..` segment or a name longer than 255 bytes (what a worker's file system takes when a script
task gets the namespace's files), or lies under `/_flows`, which Kestra reserves for flows.
Since no path can climb out of its namespace, neither can what is built from one: storage keys
(file_blobs.py), zip entries, a script's working directory.
"""

from __future__ import annotations

import unicodedata

from flowhub.engine.errors import ErrorDetail
from flowhub.exceptions import Invalid

ROOT = "/"
MAX_PATH_BYTES = 1024
MAX_NAME_BYTES = 255
FLOWS_DIRECTORY = "_flows"


def path_problem(raw: str) -> str | None:
    """Why `raw` is not an acceptable path, or None. `/_flows` is checked by `file_path`."""
    try:
        size = len(raw.encode("utf-8"))
    except UnicodeEncodeError:
        return "is not valid Unicode"
    if size > MAX_PATH_BYTES:
        return f"is longer than {MAX_PATH_BYTES} bytes"
    if "\x00" in raw:
        return "contains a NUL character"
    if any(unicodedata.category(character) == "Cc" for character in raw):
        return "contains a control character"
    if "\\" in raw:
        return "contains a backslash"
    for segment in _segments(raw):
        if segment == "":
            return "has an empty segment ('//')"
        if segment in (".", ".."):
            return f"has a '{segment}' segment"
        if len(segment.encode("utf-8")) > MAX_NAME_BYTES:
            return f"has a name longer than {MAX_NAME_BYTES} bytes"
    return None


def file_path(raw: str, *, field: str = "path") -> str:
    """`raw` normalised (`a/b/` gives `/a/b`, `` gives `/`); Invalid naming `field` if it is refused."""
    if problem := path_problem(raw):
        raise Invalid(f"invalid {field} '{raw[:100]}': {problem}", [ErrorDetail(field, problem)])
    segments = _segments(raw)
    if segments and segments[0] == FLOWS_DIRECTORY:
        raise Invalid(
            f"Forbidden path: {raw[:100]}",
            [ErrorDetail(field, f"paths under /{FLOWS_DIRECTORY} are reserved for flows")],
        )
    path = ROOT + "/".join(segments)
    if len(path.encode("utf-8")) > MAX_PATH_BYTES:  # the leading `/` added may tip it over
        raise Invalid(f"invalid {field}", [ErrorDetail(field, f"is longer than {MAX_PATH_BYTES} bytes")])
    return path


def parent_of(path: str) -> str:
    return path.rsplit("/", 1)[0] or ROOT


def name_of(path: str) -> str:
    return path.rsplit("/", 1)[1]


def ancestors(path: str) -> list[str]:
    """The directories above `path`, outermost first, without the root: `/a/b/c` gives `/a`, `/a/b`."""
    segments = path.strip("/").split("/")[:-1]
    return ["/" + "/".join(segments[: depth + 1]) for depth in range(len(segments))]


def _segments(raw: str) -> list[str]:
    inner = raw.removeprefix("/").removesuffix("/")
    return inner.split("/") if inner else []
