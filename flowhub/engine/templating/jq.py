"""The part of jq that templates use, for the `jq` filter: paths (`.a.b`, `.[0]`, `.a[]`, `.[1:3]`,
`."a key"`, `..`), `?`, pipes `|`, commas, comparisons, literals, `[…]`, and `length`, `keys`,
`not`, `select(f)`, `map(f)`.

The jq program itself is not used: it has no time limit a worker could enforce, and reads the
server's environment (`env`, `$ENV`) and files (`import`).
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

from . import limits
from .text import a_kind, plain_data

Program = Callable[[Any], list[Any]]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<field>\.[A-Za-z_][A-Za-z0-9_]*)
      | (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<symbol>\.\.|==|!=|<=|>=|[.\[\]():|,?<>])
    )""",
    re.VERBOSE,
)
_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_CONSTANTS = {"true": True, "false": False, "null": None}


class JqError(ValueError):
    pass


def jq(value: Any, expression: str) -> list[Any] | None:
    """Every result of the jq `expression` on `value` (a JSON text is parsed first), as a list."""
    if value is None:
        return None
    data = json.loads(value) if isinstance(value, str) else plain_data(value)
    return _compile(expression)(data)


def _compile(expression: str) -> Program:
    parser = _Parser(_tokens(expression), expression)
    program = parser.pipe()
    if parser.peek() is not None:
        raise JqError(f"unexpected '{parser.peek()}' in the jq expression '{expression}'")
    return program


def _tokens(expression: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while expression[position:].strip():
        match = _TOKEN.match(expression, position)
        if match is None or match.lastgroup is None:
            raise JqError(f"the jq expression '{expression}' is not supported at '{expression[position:].strip()}'")
        tokens.append((match.lastgroup, match.group(match.lastgroup)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], expression: str):
        self.tokens = tokens
        self.position = 0
        self.expression = expression

    def peek(self) -> str | None:
        return self.tokens[self.position][1] if self.position < len(self.tokens) else None

    def kind(self) -> str | None:
        return self.tokens[self.position][0] if self.position < len(self.tokens) else None

    def take(self, text: str | None = None) -> str:
        token = self.peek()
        if token is None or (text is not None and token != text):
            raise JqError(f"'{text or 'a term'}' expected in the jq expression '{self.expression}'")
        self.position += 1
        return token

    def accept(self, text: str) -> bool:
        if self.peek() == text and self.kind() == "symbol":
            self.position += 1
            return True
        return False

    def pipe(self) -> Program:
        program = self.comma()
        while self.accept("|"):
            program = _then(program, self.comma())
        return program

    def comma(self) -> Program:
        program = self.comparison()
        while self.accept(","):
            program = _both(program, self.comparison())
        return program

    def comparison(self) -> Program:
        left = self.postfix()
        if self.peek() in _COMPARISONS:
            return _compared(left, _COMPARISONS[self.take()], self.postfix())
        return left

    def postfix(self) -> Program:
        program = self.term()
        while True:
            if self.kind() == "field":
                program = _then(program, _field(self.take()[1:]))
            elif self.accept("."):
                if self.kind() == "string":
                    program = _then(program, _field(json.loads(self.take())))
                else:
                    self.take("[")
                    program = _then(program, self.brackets())
            elif self.accept("["):
                program = _then(program, self.brackets())
            elif self.accept("?"):
                program = _optional(program)
            else:
                return program

    def brackets(self) -> Program:
        """What follows `[` after a value: `]`, `n]`, `"key"]` or `from:to]`."""
        if self.accept("]"):
            return _each
        start = None if self.peek() == ":" else self.pipe()
        if self.accept(":"):
            end = None if self.peek() == "]" else self.pipe()
            self.take("]")
            return _slice(start, end)
        self.take("]")
        assert start is not None
        return _index(start)

    def term(self) -> Program:
        kind, word = self.kind(), self.take()
        if kind == "field":
            return _field(word[1:])
        if word == ".":
            return _then(_identity, _field(json.loads(self.take()))) if self.kind() == "string" else _identity
        if word == "..":
            return _recurse
        if kind in ("number", "string"):
            return _constant(json.loads(word))
        if word in _CONSTANTS:
            return _constant(_CONSTANTS[word])
        if word == "(":
            program = self.pipe()
            self.take(")")
            return program
        if word == "[":
            if self.accept("]"):
                return _constant([])
            program = self.pipe()
            self.take("]")
            return _collected(program)
        if word in _BUILTINS:
            return _BUILTINS[word]
        if word in _WITH_ARGUMENT:
            self.take("(")
            argument = self.pipe()
            self.take(")")
            return _WITH_ARGUMENT[word](argument)
        raise JqError(f"'{word}' is not supported in the jq expression '{self.expression}'")


def _checked(results: list[Any]) -> list[Any]:
    limits.check_items(len(results), "the jq results")
    return results


def _identity(value: Any) -> list[Any]:
    return [value]


def _constant(constant: Any) -> Program:
    return lambda value: [constant]


def _then(first: Program, second: Program) -> Program:
    return lambda value: _checked([result for item in first(value) for result in second(item)])


def _both(first: Program, second: Program) -> Program:
    return lambda value: _checked(first(value) + second(value))


def _field(name: str) -> Program:
    def field(value: Any) -> list[Any]:
        if value is None:
            return [None]
        if not isinstance(value, Mapping):
            raise JqError(f'cannot index {a_kind(value)} with "{name}"')
        return [value.get(name)]

    return field


def _index(key: Program) -> Program:
    def index(value: Any) -> list[Any]:
        results: list[Any] = []
        for position in key(value):
            if value is None:
                results.append(None)
            elif isinstance(position, str):
                results.extend(_field(position)(value))
            elif isinstance(value, list) and isinstance(position, (int, float)):
                results.append(value[int(position)] if -len(value) <= int(position) < len(value) else None)
            else:
                raise JqError(f"cannot index {a_kind(value)} with {a_kind(position)}")
        return results

    return index


def _slice(start: Program | None, end: Program | None) -> Program:
    def sliced(value: Any) -> list[Any]:
        if value is None:
            return [None]
        if not isinstance(value, (list, str)):
            raise JqError(f"cannot slice {a_kind(value)}")
        low = start(value)[0] if start else None
        high = end(value)[0] if end else None
        return [value[None if low is None else int(low) : None if high is None else int(high)]]

    return sliced


def _each(value: Any) -> list[Any]:
    if isinstance(value, list):
        return list(value)
    if isinstance(value, Mapping):
        return list(value.values())
    raise JqError(f"cannot iterate over {a_kind(value)}")


def _recurse(value: Any) -> list[Any]:
    results = [value]
    for child in value if isinstance(value, list) else value.values() if isinstance(value, Mapping) else ():
        results.extend(_recurse(child))
    return _checked(results)


def _optional(program: Program) -> Program:
    def optional(value: Any) -> list[Any]:
        try:
            return program(value)
        except JqError:
            return []

    return optional


def _compared(left: Program, compare: Callable[[Any, Any], bool], right: Program) -> Program:
    def compared(value: Any) -> list[Any]:
        lefts, rights = left(value), right(value)
        limits.check_items(len(lefts) * len(rights), "the jq results")
        try:
            return [compare(one, other) for other in rights for one in lefts]
        except TypeError as error:
            raise JqError(str(error)) from None

    return compared


def _collected(program: Program) -> Program:
    return lambda value: [program(value)]


def _truthy(value: Any) -> bool:
    return value is not None and value is not False


def _length(value: Any) -> list[Any]:
    if value is None:
        return [0]
    if isinstance(value, bool):
        raise JqError("a boolean has no length")
    if isinstance(value, (int, float)):
        return [abs(value)]
    return [len(value)]


def _keys(value: Any) -> list[Any]:
    if isinstance(value, Mapping):
        return [sorted(value)]
    if isinstance(value, list):
        return [list(range(len(value)))]
    raise JqError(f"{a_kind(value)} has no keys")


def _select(condition: Program) -> Program:
    return lambda value: [value for result in condition(value) if _truthy(result)]


def _mapped(program: Program) -> Program:
    return lambda value: [_checked([result for item in _each(value) for result in program(item)])]


_BUILTINS: dict[str, Program] = {
    "length": _length,
    "keys": _keys,
    "not": lambda value: [not _truthy(value)],
}
_WITH_ARGUMENT: dict[str, Callable[[Program], Program]] = {"select": _select, "map": _mapped}
