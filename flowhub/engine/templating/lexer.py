"""Pebble's tokens: the words of an expression between `{{ }}` or `{% %}`, each with its line.

String literals are read here, once, so that nothing later ever rewrites text inside quotes. As in
Pebble, a backslash only escapes the quote that delimits its string (`'it\\'s'`); every other
backslash is kept as written. A double-quoted string may interpolate: `"Hello #{name}"`.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateSyntaxError

OPERATOR = "operator"
NAME = "name"
NUMBER = "number"
STRING = "string"
INTERPOLATION = "interpolation"
PUNCTUATION = "punctuation"

_OPERATOR = re.compile(
    r"(?:is\s+not|not\s+in|contains|equals|and|or|not|is|in)(?!\w)|\?\?\?|\?\?|==|!=|>=|<=|\.\.|[<>+\-*/%|~]"
)
_NAME = re.compile(r"[^\W\d]\w*")
_LONG = re.compile(r"(\d+)L")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_SINGLE_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'", re.DOTALL)
_DOUBLE_QUOTED_TEXT = re.compile(r'(?:[^#"\\]|\\.|#(?!\{))*', re.DOTALL)
_PUNCTUATION = "()[]{}?:.,="
_CLOSING = {")": "(", "]": "[", "}": "{"}


@dataclass(frozen=True)
class Token:
    kind: str
    value: Any  # text; an int or float for numbers; a tuple of text and token lists for interpolations
    line: int


class Lines:
    """The line of any position in a source text."""

    def __init__(self, source: str):
        self._newlines = [index for index, char in enumerate(source) if char == "\n"]

    def of(self, position: int) -> int:
        return bisect_left(self._newlines, position) + 1


@dataclass(frozen=True)
class TagTokens:
    tokens: list[Token]
    end: int  # the position right after the closing delimiter
    trim: str  # "-" when the closing delimiter trims the whitespace after it


def tokenize(source: str, start: int, close: str, lines: Lines) -> TagTokens:
    """The tokens from `start` up to the delimiter `close` (`}}`, `%}`, or `}` ending an interpolation)."""
    return _Tokenizer(source, lines).run(start, close)


class _Tokenizer:
    def __init__(self, source: str, lines: Lines):
        self.source = source
        self.lines = lines

    def fail(self, message: str, position: int) -> TemplateSyntaxError:
        return TemplateSyntaxError(message, self.lines.of(position))

    def run(self, start: int, close: str) -> TagTokens:
        source, position = self.source, start
        tokens: list[Token] = []
        brackets: list[str] = []
        while True:
            while position < len(source) and source[position].isspace():
                position += 1
            if position >= len(source):
                raise self.fail(f"'{close}' expected: the expression is not closed", start)
            if not brackets and (trim := self.closing(position, close)) is not None:
                return TagTokens(tokens, position + len(trim + close), trim)
            token, position = self.next_token(position)
            self.track_brackets(token, brackets, position)
            tokens.append(token)

    def closing(self, position: int, close: str) -> str | None:
        """None when `close` does not start at `position`; else `-` when it is `-}}` or `-%}`, or ``."""
        if close != "}" and self.source.startswith("-" + close, position):
            return "-"
        return "" if self.source.startswith(close, position) else None

    def track_brackets(self, token: Token, brackets: list[str], position: int) -> None:
        if token.kind != PUNCTUATION:
            return
        if token.value in "([{":
            brackets.append(token.value)
        elif token.value in _CLOSING:
            if not brackets:
                raise self.fail(f"unexpected '{token.value}'", position - 1)
            if (opening := brackets.pop()) != _CLOSING[token.value]:
                raise self.fail(f"'{opening}' is not closed before '{token.value}'", position - 1)

    def next_token(self, position: int) -> tuple[Token, int]:
        source, line = self.source, self.lines.of(position)
        if match := _OPERATOR.match(source, position):
            return Token(OPERATOR, " ".join(match.group().split()), line), match.end()
        if match := _NAME.match(source, position):
            return Token(NAME, match.group(), line), match.end()
        if match := _LONG.match(source, position):
            return Token(NUMBER, int(match.group(1)), line), match.end()
        if match := _NUMBER.match(source, position):
            text = match.group()
            return Token(NUMBER, float(text) if "." in text else int(text), line), match.end()
        char = source[position]
        if char in _PUNCTUATION:
            return Token(PUNCTUATION, char, line), position + 1
        if match := _SINGLE_QUOTED.match(source, position):
            return Token(STRING, match.group(1).replace("\\'", "'"), line), match.end()
        if char == '"':
            return self.double_quoted(position)
        if char == "'":
            raise self.fail("the string is not closed", position)
        raise self.fail(f"unexpected character '{char}'", position)

    def double_quoted(self, start: int) -> tuple[Token, int]:
        """A double-quoted string; its `#{…}` parts are tokenized as expressions."""
        source, position = self.source, start + 1
        parts: list[str | list[Token]] = []
        while True:
            text = _DOUBLE_QUOTED_TEXT.match(source, position)
            assert text is not None  # the pattern matches the empty string
            if text.group():
                parts.append(text.group().replace('\\"', '"'))
            position = text.end()
            if source.startswith('"', position):
                break
            if not source.startswith("#{", position):
                raise self.fail("the string is not closed", start)
            inner = self.run(position + 2, "}")
            if not inner.tokens:
                raise self.fail("empty interpolation '#{}'", position)
            parts.append(inner.tokens)
            position = inner.end
        line = self.lines.of(start)
        texts = [part for part in parts if isinstance(part, str)]
        if len(texts) == len(parts):
            return Token(STRING, "".join(texts), line), position + 1
        return Token(INTERPOLATION, tuple(parts), line), position + 1
