"""Pebble's and Kestra's filters on text.

A null input gives null, as in Pebble. Regular expressions (`split`, `replace(…, regexp=true)`) are
Java's, run by the `regex` package with a time limit, since a pathological pattern can otherwise
hold a worker for hours.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote_plus, unquote_plus

import regex  # type: ignore[import-untyped]

from . import limits
from .text import to_text

_JAVA_WHITESPACE = "".join(map(chr, range(33)))  # what Java's String.trim() removes
_JAVA_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_GROUP_REFERENCE = re.compile(r"\\(.)|\$(\d+)|\$\{(\w+)\}", re.DOTALL)


def upper(value: Any) -> str | None:
    return None if value is None else to_text(value).upper()


def lower(value: Any) -> str | None:
    return None if value is None else to_text(value).lower()


def trim(value: Any) -> str | None:
    return None if value is None else to_text(value).strip(_JAVA_WHITESPACE)


def capitalize(value: Any) -> str | None:
    """The first letter upper-cased, the rest left as it is."""
    if value is None:
        return None
    text = to_text(value)
    return text[:1].title() + text[1:]


def title(value: Any) -> str | None:
    """The first letter of every word upper-cased, the rest left as it is."""
    if value is None:
        return None
    words = re.split(r"(\s+)", to_text(value))
    return "".join(word[:1].title() + word[1:] for word in words)


def abbreviate(value: Any, length: int) -> str | None:
    """At most `length` characters, the last three replaced by `...` when the text is cut."""
    if value is None:
        return None
    if length < 0:
        raise ValueError("the length must be 0 or more")
    text = to_text(value)
    if len(text) < length or len(text) <= 3:
        return text
    return text[:length] if length <= 3 else text[: length - 3] + "..."


def replace(value: Any, replace_pairs: Any, new: Any = None, count: int = -1, regexp: bool = False) -> Any:
    """Kestra's `replace({'old': 'new', …}, regexp=false)`, applied to every string inside lists and
    maps; Jinja's `replace('old', 'new'[, count])` is accepted too."""
    if value is None:
        return None
    if isinstance(replace_pairs, Mapping) and new is None:
        pairs = [(to_text(pattern), to_text(replacement)) for pattern, replacement in replace_pairs.items()]
        return _each_string(value, lambda text: _replace_all(text, pairs, regexp))
    if isinstance(replace_pairs, str) and isinstance(new, str):
        return _replaced(to_text(value), replace_pairs, new, count)
    raise TypeError("expects a map of replacements, like replace({'old': 'new'})")


def _each_string(value: Any, change: Callable[[str], str]) -> Any:
    if isinstance(value, Mapping):
        return {key: _each_string(item, change) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_each_string(item, change) for item in value]
    return change(to_text(value))


def _replace_all(text: str, pairs: list[tuple[str, str]], regexp: bool) -> str:
    for old, new in pairs:
        text = _regex_replaced(text, old, new) if regexp else _replaced(text, old, new)
    return text


def _replaced(text: str, old: str, new: str, count: int = -1) -> str:
    occurrences = text.count(old) if count < 0 else min(count, text.count(old))
    limits.check_chars(len(text) + occurrences * (len(new) - len(old)), "the replaced text")
    return text.replace(old, new, count)


def _regex_replaced(text: str, pattern: str, replacement: str) -> str:
    produced = 0

    def substitute(match: Any) -> str:
        nonlocal produced
        piece = _java_group_references(replacement, match)
        produced += len(piece)
        limits.check_chars(len(text) + produced, "the replaced text")
        return piece

    return str(regex.sub(pattern, substitute, text, timeout=limits.REGEX_SECONDS))


def _java_group_references(replacement: str, match: Any) -> str:
    """Java's replacement syntax: `$1` and `${name}` for groups, a backslash quotes the next character."""

    def reference(found: re.Match[str]) -> str:
        escaped, number, name = found.groups()
        if escaped is not None:
            return str(escaped)
        group = match.group(int(number) if number is not None else name)
        return "" if group is None else str(group)

    return str(_GROUP_REFERENCE.sub(reference, replacement))


def split(value: Any, delimiter: str, limit: int = 0) -> list[str] | None:
    """Java's `String.split(regex, limit)`: trailing empty parts are dropped when `limit` is 0."""
    if value is None:
        return None
    text = to_text(value)
    parts: list[str] = []
    start, matched = 0, False
    for match in regex.finditer(delimiter, text, timeout=limits.REGEX_SECONDS):
        if limit > 0 and len(parts) == limit - 1:
            break
        if match.end() == 0:  # a zero-width match at the start makes no empty first part
            continue
        parts.append(text[start : match.start()])
        start, matched = match.end(), True
    parts.append(text[start:])
    while limit == 0 and matched and parts and not parts[-1]:
        parts.pop()
    return parts


def slugify(value: Any) -> str | None:
    """Lower-case ASCII words joined by dashes: accents dropped, other signs removed."""
    if value is None:
        return None
    dashed = re.sub(r"\s", "-", to_text(value))
    slug = re.sub(r"[^a-zA-Z0-9_-]", "", unicodedata.normalize("NFD", dashed)).replace("_", "-")
    return re.sub(r"-{2,}", "-", slug).strip("-").lower()


def substring_before(value: Any, separator: str) -> str | None:
    if value is None:
        return None
    text = to_text(value)
    index = text.find(separator) if separator else 0
    return text if index < 0 else text[:index]


def substring_after(value: Any, separator: str) -> str | None:
    if value is None:
        return None
    text = to_text(value)
    index = text.find(separator)
    return "" if index < 0 else text[index + len(separator) :]


def substring_before_last(value: Any, separator: str) -> str | None:
    if value is None:
        return None
    text = to_text(value)
    index = text.rfind(separator) if separator else -1
    return text if index < 0 else text[:index]


def substring_after_last(value: Any, separator: str) -> str | None:
    if value is None:
        return None
    text = to_text(value)
    index = text.rfind(separator) if separator else -1
    return "" if index < 0 else text[index + len(separator) :]


def starts_with(value: Any, prefix: Any) -> bool:
    return to_text(value).startswith(to_text(prefix))


def ends_with(value: Any, suffix: Any) -> bool:
    return to_text(value).endswith(to_text(suffix))


_ESCAPES = {"single": ("'", "\\'"), "double": ('"', '\\"'), "shell": ("'", "'\\''")}


def escape_char(value: Any, type: str) -> Any:
    """Escapes the quotes of `type` (`single`, `double` or `shell`) in every string inside `value`."""
    if value is None:
        return None
    if str(type).lower() not in _ESCAPES:
        raise ValueError("the type must be 'single', 'double' or 'shell'")
    quote, escaped = _ESCAPES[str(type).lower()]
    return _each_string(value, lambda text: _replaced(text, quote, escaped))


def url_encode(value: Any) -> str | None:
    """As Java's URLEncoder: a space is `+`, only letters, digits and `*-._` are kept as they are."""
    return None if value is None else quote_plus(to_text(value), safe="*").replace("~", "%7E")


def url_decode(value: Any) -> str | None:
    return None if value is None else unquote_plus(to_text(value))


def base64_encode(value: Any) -> str | None:
    return None if value is None else base64.b64encode(to_text(value).encode()).decode("ascii")


def base64_decode(value: Any) -> str | None:
    return None if value is None else base64.b64decode(to_text(value), validate=True).decode()


def _digest(algorithm: str) -> Callable[[Any], str | None]:
    def digest(value: Any) -> str | None:
        return None if value is None else hashlib.new(algorithm, to_text(value).encode()).hexdigest()

    return digest


def indent(value: Any, amount: int, prefix: str = " ") -> str | None:
    """Every line but the first indented by `amount` times `prefix`."""
    if value is None:
        return None
    text = to_text(value)
    return _indented(text, _line_separator(text), amount, prefix) if text else text


def nindent(value: Any, amount: int, prefix: str = " ") -> str | None:
    """A line break, then every line indented by `amount` times `prefix`."""
    if value is None:
        return None
    text = to_text(value)
    newline = _line_separator(text)
    return _indented(newline + text, newline, amount, prefix) if text else text


def _indented(text: str, newline: str, amount: int, prefix: str) -> str:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise ValueError("the amount must be an integer, 0 or more")
    limits.check_chars(len(text) + text.count(newline) * len(prefix) * amount, "the indented text")
    return text.replace(newline, newline + prefix * amount)


def _line_separator(text: str) -> str:
    return next((separator for separator in ("\r\n", "\n\r", "\n", "\r") if separator in text), "\n")


def string(value: Any) -> str | None:
    """A value as text; a numeric string is written as Java's BigDecimal writes it (`1e3` is `1E+3`)."""
    if value is None:
        return None
    if isinstance(value, str):
        return str(Decimal(value)) if _JAVA_DECIMAL.fullmatch(value) else value
    return to_text(value)


FILTERS: dict[str, Callable[..., Any]] = {
    "upper": upper,
    "lower": lower,
    "trim": trim,
    "capitalize": capitalize,
    "title": title,
    "abbreviate": abbreviate,
    "replace": replace,
    "split": split,
    "slugify": slugify,
    "substringBefore": substring_before,
    "substringAfter": substring_after,
    "substringBeforeLast": substring_before_last,
    "substringAfterLast": substring_after_last,
    "startsWith": starts_with,
    "endsWith": ends_with,
    "escapeChar": escape_char,
    "urlencode": url_encode,
    "urldecode": url_decode,
    "base64encode": base64_encode,
    "base64decode": base64_decode,
    "md5": _digest("md5"),
    "sha1": _digest("sha1"),
    "sha256": _digest("sha256"),
    "sha512": _digest("sha512"),
    "indent": indent,
    "nindent": nindent,
    "string": string,
}
