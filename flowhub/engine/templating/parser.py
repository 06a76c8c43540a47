"""Pebble's expression grammar, parsed with Pebble's operator precedences into a small tree.

Precedence, loosest first: the ternary `c ? a : b`, `or` (10), `and` (15), `is`/`is not`/
`contains`/`in` (20), comparisons (30), `+ -` (40), `* / %` (60), `|` filters (100), `~` (110),
`..`/`??`/`???` (120), then unary `not - +` (500), which bind only to the value right after them:
`not a == b` is `(not a) == b` in Pebble, and here too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from jinja2 import TemplateSyntaxError

from .lexer import INTERPOLATION, NAME, NUMBER, OPERATOR, PUNCTUATION, STRING, Token

BINARY_PRECEDENCE = {
    "or": 10,
    "and": 15,
    "is": 20,
    "is not": 20,
    "contains": 20,
    "in": 20,
    "not in": 20,
    "==": 30,
    "equals": 30,
    "!=": 30,
    "<": 30,
    ">": 30,
    "<=": 30,
    ">=": 30,
    "+": 40,
    "-": 40,
    "*": 60,
    "/": 60,
    "%": 60,
    "|": 100,
    "~": 110,
    "..": 120,
    "??": 120,
    "???": 120,
}
UNARY_PRECEDENCE = {"not": 500, "-": 500, "+": 500}
_CONSTANTS: dict[str, Any] = {"true": True, "false": False, "null": None, "none": None}
_Element = TypeVar("_Element")


class Expr:
    """A node of an expression tree."""


@dataclass(frozen=True)
class Literal(Expr):
    value: Any


@dataclass(frozen=True)
class Name(Expr):
    name: str


@dataclass(frozen=True)
class Attribute(Expr):
    target: Expr
    name: str


@dataclass(frozen=True)
class Item(Expr):
    target: Expr
    key: Expr


@dataclass(frozen=True)
class Arguments:
    positional: tuple[Expr, ...] = ()
    named: tuple[tuple[str, Expr], ...] = ()


@dataclass(frozen=True)
class Call(Expr):
    function: Expr
    arguments: Arguments


@dataclass(frozen=True)
class Filter(Expr):
    value: Expr
    name: str
    arguments: Arguments
    line: int


@dataclass(frozen=True)
class Test(Expr):
    value: Expr
    name: str
    arguments: Arguments
    negated: bool
    line: int


@dataclass(frozen=True)
class Unary(Expr):
    operator: str
    operand: Expr


@dataclass(frozen=True)
class Binary(Expr):
    operator: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Ternary(Expr):
    condition: Expr
    then: Expr
    otherwise: Expr


@dataclass(frozen=True)
class ListLiteral(Expr):
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class MapLiteral(Expr):
    pairs: tuple[tuple[Expr, Expr], ...]


@dataclass(frozen=True)
class Interpolation(Expr):
    parts: tuple[Expr, ...]


class Parser:
    """Reads the tokens of one tag; `line` is where the tag starts, for errors at its end."""

    def __init__(self, tokens: Sequence[Token], line: int):
        self.tokens = tokens
        self.position = 0
        self.line = line

    # -- tokens

    def peek(self) -> Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def advance(self) -> Token:
        token = self.peek()
        if token is None:
            raise self.fail("the expression ends too early")
        self.position += 1
        return token

    def fail(self, message: str, token: Token | None = None) -> TemplateSyntaxError:
        return TemplateSyntaxError(message, token.line if token else self.line)

    def at(self, kind: str, value: Any = None) -> bool:
        token = self.peek()
        return token is not None and token.kind == kind and (value is None or token.value == value)

    def accept(self, kind: str, value: Any = None) -> bool:
        if self.at(kind, value):
            self.position += 1
            return True
        return False

    def expect(self, kind: str, value: Any = None) -> Token:
        token = self.peek()
        if token is None or not self.at(kind, value):
            wanted = f"'{value}'" if value is not None else f"a {kind}"
            raise self.fail(f"{wanted} expected, not {describe(token)}", token)
        self.position += 1
        return token

    def operator(self) -> str | None:
        token = self.peek()
        return str(token.value) if token is not None and token.kind == OPERATOR else None

    def name(self) -> str:
        return self.checked_name(self.expect(NAME))

    def checked_name(self, token: Token) -> str:
        if token.value.startswith("__"):
            raise self.fail(f"names starting with '__' are reserved: '{token.value}'", token)
        return str(token.value)

    def end(self) -> None:
        if (token := self.peek()) is not None:
            raise self.fail(f"unexpected {describe(token)}", token)

    # -- expressions

    def expression(self, min_precedence: int = 0) -> Expr:
        if (unary := self.operator()) in UNARY_PRECEDENCE:
            self.advance()
            left: Expr = Unary(unary, self.expression(UNARY_PRECEDENCE[unary]))
        else:
            left = self.postfix(self.primary())
        while (binary := self.operator()) is not None and BINARY_PRECEDENCE.get(binary, -1) >= min_precedence:
            left = self.binary(left, self.advance())
        if min_precedence == 0 and self.accept(PUNCTUATION, "?"):
            then = self.expression()
            self.expect(PUNCTUATION, ":")
            left = Ternary(left, then, self.expression())
        return left

    def binary(self, left: Expr, operator: Token) -> Expr:
        if operator.value in ("|", "is", "is not"):
            token = self.expect(NAME)
            name = self.checked_name(token)
            arguments = self.arguments() if self.at(PUNCTUATION, "(") else Arguments()
            if operator.value == "|":
                return Filter(left, name, arguments, token.line)
            return Test(left, name, arguments, operator.value == "is not", token.line)
        return Binary(operator.value, left, self.expression(BINARY_PRECEDENCE[operator.value] + 1))

    def primary(self) -> Expr:
        token = self.advance()
        if token.kind == NAME:
            name = self.checked_name(token)
            if name in _CONSTANTS:
                return Literal(_CONSTANTS[name])
            return Call(Name(name), self.arguments()) if self.at(PUNCTUATION, "(") else Name(name)
        if token.kind in (NUMBER, STRING):
            return Literal(token.value)
        if token.kind == INTERPOLATION:
            return Interpolation(tuple(self.interpolated(part, token.line) for part in token.value))
        if token.kind == PUNCTUATION and token.value == "(":
            inner = self.expression()
            self.expect(PUNCTUATION, ")")
            return inner
        if token.kind == PUNCTUATION and token.value == "[":
            return ListLiteral(tuple(self.sequence("]", self.expression)))
        if token.kind == PUNCTUATION and token.value == "{":
            return MapLiteral(tuple(self.sequence("}", self.pair)))
        raise self.fail(f"an expression expected, not {describe(token)}", token)

    def interpolated(self, part: str | list[Token], line: int) -> Expr:
        if isinstance(part, str):
            return Literal(part)
        parser = Parser(part, line)
        inner = parser.expression()
        parser.end()
        return inner

    def postfix(self, target: Expr) -> Expr:
        while True:
            if self.accept(PUNCTUATION, "."):
                if self.at(NUMBER):
                    target = Item(target, Literal(self.advance().value))
                    continue
                name = self.name()
                target = Attribute(target, name)
                if self.at(PUNCTUATION, "("):
                    target = Call(target, self.arguments())
            elif self.accept(PUNCTUATION, "["):
                key = self.expression()
                self.expect(PUNCTUATION, "]")
                target = Item(target, key)
            else:
                return target

    def pair(self) -> tuple[Expr, Expr]:
        key = self.expression()
        self.expect(PUNCTUATION, ":")
        return key, self.expression()

    def sequence(self, closing: str, element: Callable[[], _Element]) -> list[_Element]:
        """Comma-separated elements up to `closing`, which is consumed."""
        elements: list[_Element] = []
        while not self.accept(PUNCTUATION, closing):
            if elements:
                self.expect(PUNCTUATION, ",")
            elements.append(element())
        return elements

    def arguments(self) -> Arguments:
        self.expect(PUNCTUATION, "(")
        positional: list[Expr] = []
        named: list[tuple[str, Expr]] = []
        for name, value in self.sequence(")", self.argument):
            if name is not None:
                named.append((name, value))
            elif named:
                raise self.fail("a positional argument cannot follow a named one")
            else:
                positional.append(value)
        return Arguments(tuple(positional), tuple(named))

    def argument(self) -> tuple[str | None, Expr]:
        """A positional argument, or a named one: `name=value`."""
        following = self.tokens[self.position + 1] if self.position + 1 < len(self.tokens) else None
        if self.at(NAME) and following is not None and following.kind == PUNCTUATION and following.value == "=":
            name = self.name()
            self.advance()
            return name, self.expression()
        return None, self.expression()


def describe(token: Token | None) -> str:
    if token is None:
        return "the end of the expression"
    if token.kind in (STRING, INTERPOLATION):
        return "a string"
    return f"'{token.value}'"
