"""Glob patterns over `/`-separated paths, as Kestra's `namespaceFiles.include`/`exclude` read them.

`*` and `?` stay within one path segment, `**` spans any number of them (`**/` may match none),
and `[abc]` is a character class. Patterns and paths are relative: a leading `/` is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache


@lru_cache(maxsize=256)
def compile_glob(pattern: str) -> re.Pattern[str]:
    source = pattern.lstrip("/")
    parts: list[str] = []
    index = 0
    while index < len(source):
        if source.startswith("**/", index):
            parts.append("(?:.*/)?")
            index += 3
        elif source.startswith("**", index):
            parts.append(".*")
            index += 2
        elif (character := source[index]) == "*":
            parts.append("[^/]*")
            index += 1
        elif character == "?":
            parts.append("[^/]")
            index += 1
        elif character == "[" and (end := source.find("]", index + 1)) > index + 1:
            parts.append("[" + source[index + 1 : end].replace("\\", "\\\\") + "]")
            index = end + 1
        else:
            parts.append(re.escape(character))
            index += 1
    return re.compile("".join(parts), re.DOTALL)


def selected(path: str, include: Sequence[str], exclude: Sequence[str]) -> bool:
    """Whether `path` matches one of `include` (all paths when it is empty) and none of `exclude`."""
    relative = path.lstrip("/")
    if include and not any(compile_glob(pattern).fullmatch(relative) for pattern in include):
        return False
    return not any(compile_glob(pattern).fullmatch(relative) for pattern in exclude)
