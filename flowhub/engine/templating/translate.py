"""Pebble templates written as Jinja2 templates that the sandbox compiles.

Text and comments are copied as they are. Each `{{ … }}` and `{% … %}` is tokenized (lexer.py),
parsed with Pebble's grammar (parser.py) and written back as a fully parenthesized Jinja
expression, in which Pebble's own operators become calls of the helpers of operators.py. Each tag
keeps its line breaks, each filter and test name its line, so that Jinja's errors (an unknown
filter) name the line of the original.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from jinja2 import TemplateSyntaxError

from . import operators
from .lexer import NAME, OPERATOR, PUNCTUATION, Lines, TagTokens, tokenize
from .parser import (
    Arguments,
    Attribute,
    Binary,
    Call,
    Expr,
    Filter,
    Interpolation,
    Item,
    ListLiteral,
    Literal,
    MapLiteral,
    Name,
    Parser,
    Ternary,
    Test,
    Unary,
)

_OPENING = re.compile(r"\{([{%#])(-?)")
_RAW_START = re.compile(r"\s*(raw|verbatim)\s*(-?)%\}")
_RAW_END = {name: re.compile(r"\{%(-?)\s*end" + name + r"\s*(-?)%\}") for name in ("raw", "verbatim")}
_COMMENT_END = re.compile(r"#\}")
_JINJA_OPERATORS = {
    "equals": "==",
    **{same: same for same in ("==", "!=", "<", ">", "<=", ">=", "and", "or", "in", "not in", "+", "-", "*", "/", "%")},
}
_HELPER_OPERATORS = {
    "??": operators.COALESCE,
    "???": operators.COALESCE_UNDEFINED,
    "~": operators.CONCAT,
    "contains": operators.CONTAINS,
    "..": operators.RANGE,
}
# Pebble's loop counts from 0 where Jinja's counts from 1.
_PEBBLE_LOOP = {"index": "index0", "revindex": "revindex0"}


def to_jinja(source: str, filters: Collection[str], tests: Collection[str]) -> str:
    """The Jinja2 source that renders `source` as Pebble would; a filter or a test that is not in
    `filters` or `tests` is a syntax error, wherever it is (Jinja lets one inside an `if` pass)."""
    return _Translation(source, filters, tests).run()


@dataclass
class _Translation:
    source: str
    filters: Collection[str]
    tests: Collection[str]

    def __post_init__(self) -> None:
        self.lines = Lines(self.source)
        self.output: list[str] = []
        self.open_loops = 0
        self.line = 1  # the line the Jinja code written so far ends on

    def fail(self, message: str, position: int) -> TemplateSyntaxError:
        return TemplateSyntaxError(message, self.lines.of(position))

    def run(self) -> str:
        position = 0
        while match := _OPENING.search(self.source, position):
            self.output.append(self.source[position : match.start()])
            kind, trim = match.groups()
            if kind == "#":
                position = self.comment(match.start())
            elif kind == "{":
                position = self.print_tag(match.end(), trim)
            else:
                position = self.block_tag(match.end(), trim)
        self.output.append(self.source[position:])
        return "".join(self.output)

    def comment(self, start: int) -> int:
        end = _COMMENT_END.search(self.source, start + 2)
        if end is None:
            raise self.fail("the comment is not closed", start)
        self.output.append(self.source[start : end.end()])
        return end.end()

    def print_tag(self, start: int, trim: str) -> int:
        tag = tokenize(self.source, start, "}}", self.lines)
        parser = Parser(tag.tokens, self.lines.of(start))
        if not tag.tokens:
            raise parser.fail("an expression is expected between '{{' and '}}'")
        expression = parser.expression()
        parser.end()
        self.line = self.lines.of(start)
        self.emit("{{", trim, self.expression(expression), tag)
        return tag.end

    def block_tag(self, start: int, trim: str) -> int:
        if raw := _RAW_START.match(self.source, start):
            return self.raw_block(start, trim, raw)
        tag = tokenize(self.source, start, "%}", self.lines)
        parser = Parser(tag.tokens, self.lines.of(start))
        name = parser.expect(NAME).value
        self.line = self.lines.of(start)
        self.emit("{%", trim, self.statement(name, parser), tag)
        return tag.end

    def raw_block(self, start: int, trim: str, raw: re.Match[str]) -> int:
        name, inner_trim = raw.groups()
        end = _RAW_END[name].search(self.source, raw.end())
        if end is None:
            raise self.fail(f"the '{name}' block is not closed by 'end{name}'", start)
        end_trim, end_inner_trim = end.groups()
        body = self.source[raw.end() : end.start()]
        self.output.append(f"{{%{trim} raw {inner_trim}%}}{body}{{%{end_trim} endraw {end_inner_trim}%}}")
        return end.end()

    def emit(self, opening: str, trim: str, code: str, tag: TagTokens) -> None:
        closing = "}}" if opening == "{{" else "%}"
        line_breaks = self.break_to(self.lines.of(tag.end))
        self.output.append(f"{opening}{trim} {code} {line_breaks}{tag.trim}{closing}")

    def break_to(self, line: int) -> str:
        """The line breaks that bring the Jinja code written so far down to `line`."""
        breaks = "\n" * max(0, line - self.line)
        self.line = max(self.line, line)
        return breaks

    def statement(self, name: str, parser: Parser) -> str:
        if name in ("if", "elseif", "elif"):
            code = f"{'if' if name == 'if' else 'elif'} {self.expression(parser.expression())}"
        elif name == "for":
            code = self.for_loop(parser)
        elif name == "set":
            target = parser.name()
            parser.expect(PUNCTUATION, "=")
            code = f"set {target} = {self.expression(parser.expression())}"
        elif name == "filter":
            code = "filter " + "|".join(self.filter_chain(parser))
        elif name in ("else", "endif", "endfor", "endfilter"):
            if name == "endfor":
                self.open_loops = max(0, self.open_loops - 1)
            code = name
        else:
            raise parser.fail(f"unknown tag '{name}'", parser.tokens[0])
        parser.end()
        return code

    def for_loop(self, parser: Parser) -> str:
        targets = [parser.name()]
        while parser.accept(PUNCTUATION, ","):
            targets.append(parser.name())
        parser.expect(OPERATOR, "in")
        iterable = self.expression(parser.expression())
        self.open_loops += 1
        return f"for {', '.join(targets)} in {operators.ITERATE}({iterable})"

    def filter_chain(self, parser: Parser) -> list[str]:
        chain = []
        while True:
            token = parser.expect(NAME)
            name = self.known(parser.checked_name(token), self.filters, "filter", token.line)
            arguments = parser.arguments() if parser.at(PUNCTUATION, "(") else Arguments()
            chain.append(f"{name}{self.optional_arguments(arguments)}")
            if not parser.accept(OPERATOR, "|"):
                return chain

    # -- expressions

    def expression(self, node: Expr) -> str:
        """`node` as Jinja: every compound part is parenthesized, so Jinja's own precedences never matter."""
        match node:
            case Literal(value=value):
                return _literal(value)
            case Name(name=name):
                return name
            case Attribute(target=Name(name="loop"), name=name) if self.open_loops and name in _PEBBLE_LOOP:
                return f"loop.{_PEBBLE_LOOP[name]}"
            case Attribute(target=target, name=name):
                return f"{self.expression(target)}.{name}"
            case Item(target=target, key=key):
                return f"{self.expression(target)}[{self.expression(key)}]"
            case Call(function=function, arguments=arguments):
                return f"{self.expression(function)}{self.arguments(arguments)}"
            case Filter(value=value, name="default", arguments=Arguments(positional=(fallback,), named=())):
                return self.helper(operators.DEFAULT, value, fallback)
            case Filter(value=value, name=name, arguments=arguments, line=line):
                filtered, name = self.expression(value), self.known(name, self.filters, "filter", line)
                return f"(({filtered})|{self.break_to(line)}{name}{self.optional_arguments(arguments)})"
            case Test(value=value, name="defined", arguments=Arguments(positional=(), named=()), negated=negated):
                defined = self.helper(operators.DEFINED, value)
                return f"(not {defined})" if negated else defined
            case Test(value=value, name=name, arguments=arguments, negated=negated, line=line):
                tested, name = self.expression(value), self.known(name, self.tests, "test", line)
                is_ = "is not" if negated else "is"
                return f"(({tested}) {self.break_to(line)}{is_} {name}{self.optional_arguments(arguments)})"
            case Unary(operator=operator, operand=operand):
                return f"({operator} {self.expression(operand)})"
            case Binary(operator=operator, left=left, right=right) if operator in _HELPER_OPERATORS:
                return self.helper(_HELPER_OPERATORS[operator], left, right)
            case Binary(operator=operator, left=left, right=right):
                return f"({self.expression(left)} {_JINJA_OPERATORS[operator]} {self.expression(right)})"
            case Ternary(condition=condition, then=then, otherwise=otherwise):
                return f"({self.expression(then)} if {self.expression(condition)} else {self.expression(otherwise)})"
            case ListLiteral(items=items):
                return f"[{', '.join(map(self.expression, items))}]"
            case MapLiteral(pairs=pairs):
                return "{" + ", ".join(f"{self.expression(k)}: {self.expression(v)}" for k, v in pairs) + "}"
            case Interpolation(parts=parts):
                return self.helper(operators.CONCAT, *parts)
        raise AssertionError(f"unexpected expression node {node!r}")

    def known(self, name: str, names: Collection[str], kind: str, line: int) -> str:
        if name not in names:
            raise TemplateSyntaxError(f"unknown {kind} '{name}'", line)
        return name

    def helper(self, name: str, *arguments: Expr) -> str:
        return f"{name}({', '.join(map(self.expression, arguments))})"

    def optional_arguments(self, arguments: Arguments) -> str:
        """The arguments of a filter or a test, which may have none."""
        return self.arguments(arguments) if arguments != Arguments() else ""

    def arguments(self, arguments: Arguments) -> str:
        parts = [self.expression(value) for value in arguments.positional]
        parts += [f"{name}={self.expression(value)}" for name, value in arguments.named]
        return f"({', '.join(parts)})"


def _literal(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r")
        return f"'{escaped}'"
    return repr(value)
