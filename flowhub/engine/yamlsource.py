"""Safe YAML loading that remembers where every value came from.

PyYAML builds a node graph in which an alias is a shared node, so expanding it is where a
"billion laughs" document explodes. We walk that graph ourselves, counting every node we
materialise and refusing documents that are too deep, too big or use duplicate keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from .errors import ErrorDetail, FlowTooLargeError, InvalidFlowError

Path = tuple[str | int, ...]

MAX_SOURCE_BYTES = 1024 * 1024
MAX_NODES = 100_000
MAX_DEPTH = 64
_COLLECTION_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})


@dataclass
class LoadedYaml:
    data: Any
    marks: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def position(self, path: Path) -> tuple[int | None, int | None]:
        """Line and column (1-based) of the value at `path`, or of its nearest located parent."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.marks:
                return self.marks[path[:end]]
        return None, None

    def error(self, path: Path, detail: str) -> ErrorDetail:
        line, column = self.position(path)
        return ErrorDetail(path=format_path(path), detail=detail, line=line, column=column)


def format_path(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "$"


def load(source: str) -> LoadedYaml:
    if len(source.encode("utf-8")) > MAX_SOURCE_BYTES:
        raise FlowTooLargeError(f"flow source is larger than {MAX_SOURCE_BYTES} bytes")
    try:
        node = yaml.compose(source, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        detail = " ".join(part for part in (exc.context, exc.problem) if part) or "invalid YAML"
        raise InvalidFlowError([ErrorDetail("$", f"invalid YAML: {detail}", line, column)]) from exc
    except yaml.YAMLError as exc:  # e.g. several documents where one is expected
        raise InvalidFlowError([ErrorDetail("$", f"invalid YAML: {exc}")]) from exc
    loaded = LoadedYaml(data=None)
    if node is not None:
        _refuse_alias_bombs(node)
        loaded.data = _Builder(loaded).build(node, (), 0)
    return loaded


_TOO_MANY_VALUES = f"document expands to more than {MAX_NODES} values"


def _refuse_alias_bombs(root: yaml.Node) -> None:
    """Refuse a document whose aliases expand past the limit before building any of it.

    The node graph shares an aliased node, so its expanded size is counted once per node: a
    "billion laughs" document is refused at the first top-level key that crosses the limit.
    """
    sizes: dict[int, int] = {}
    entries = root.value if isinstance(root, yaml.MappingNode) else [(None, root)]
    total = 1
    for key_node, value_node in entries:
        total += 1 + _expanded_size(value_node, sizes, 0)
        if total > MAX_NODES:
            path: Path = (key_node.value,) if isinstance(key_node, yaml.ScalarNode) else ()
            raise InvalidFlowError([_Builder._error(value_node, path, _TOO_MANY_VALUES)])


def _expanded_size(node: yaml.Node, sizes: dict[int, int], depth: int) -> int:
    if depth > MAX_DEPTH:
        return 1  # the builder refuses this depth with its own message
    if (known := sizes.get(id(node))) is not None:
        return known
    if isinstance(node, yaml.MappingNode):
        children = [child for pair in node.value for child in pair]
    elif isinstance(node, yaml.SequenceNode):
        children = node.value
    else:
        children = []
    size = 1
    for child in children:
        size += _expanded_size(child, sizes, depth + 1)
        if size > MAX_NODES:
            break
    sizes[id(node)] = size
    return size


class _Builder:
    def __init__(self, loaded: LoadedYaml):
        self.loaded = loaded
        self.count = 0
        self.constructor = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: Path, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise InvalidFlowError([self._error(node, path, _TOO_MANY_VALUES)])
        if depth > MAX_DEPTH:
            raise InvalidFlowError([self._error(node, path, f"document is nested deeper than {MAX_DEPTH} levels")])
        self.loaded.marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _COLLECTION_TAGS:
            raise InvalidFlowError([self._error(node, path, f"unsupported YAML tag '{node.tag}'")])
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, (*path, index), depth + 1) for index, child in enumerate(node.value)]
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            raise InvalidFlowError([self._error(node, path, f"invalid YAML value: {exc.problem}")]) from exc

    def _mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict[Any, Any]:
        self.constructor.flatten_mapping(node)  # resolves `<<` merge keys
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.build(key_node, path, depth + 1)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise InvalidFlowError([self._error(key_node, path, "mapping keys must be scalars")])
            # A key is the text written, as Kestra's YAML reader gives it: `true:` is "true", `1.0:` is "1.0".
            key = key if isinstance(key, str) else key_node.value
            if key in result:
                raise InvalidFlowError([self._error(key_node, (*path, key), f"duplicate key '{key}'")])
            result[key] = self.build(value_node, (*path, key), depth + 1)
        return result

    @staticmethod
    def _error(node: yaml.Node, path: Path, detail: str) -> ErrorDetail:
        return ErrorDetail(format_path(path), detail, node.start_mark.line + 1, node.start_mark.column + 1)


_DOCUMENT_SEPARATOR = re.compile(r"---[ \t]*(#.*)?")


def split_documents(source: str) -> list[tuple[int, str]]:
    """The documents of a `---`-separated stream, each with the number of lines before it.

    Splitting the text (rather than parsing the stream) keeps each document's source verbatim
    and lets errors be reported at their line in the whole stream.
    """
    documents: list[tuple[int, str]] = []
    start, lines = 0, source.splitlines(keepends=True)
    for number, line in enumerate(lines):
        if _DOCUMENT_SEPARATOR.fullmatch(line.rstrip("\r\n")):
            documents.append((start, "".join(lines[start:number])))
            start = number + 1
    documents.append((start, "".join(lines[start:])))
    return [(offset, text) for offset, text in documents if text.strip()]
