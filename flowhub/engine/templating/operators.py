"""Pebble's operators that Jinja lacks or reads differently, as the translated templates call them.

The translation (translate.py) writes `a ?? b` as a call to the helper named COALESCE, and so on;
the code generator (environment.py) turns each argument of a lazy helper into a thunk, so that the
helper decides whether and when the argument is evaluated: `??` must catch the error of an
undefined left side and evaluate its right side only when needed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal, localcontext
from operator import add, mod, mul, sub, truediv
from typing import Any

import jinja2

from flowhub.engine.errors import TemplateError

from . import limits
from .predicates import is_empty
from .text import MapEntry, a_kind, java_text, require_defined, to_text

COALESCE = "__coalesce"
COALESCE_UNDEFINED = "__coalesce_undefined"
DEFINED = "__defined"
DEFAULT = "__default"
CONCAT = "__concat"
CONTAINS = "__contains"
RANGE = "__range"
ITERATE = "__iterate"

ARITHMETIC = frozenset({"+", "-", "*", "/", "%"})
_LONG = 2**64
_PLAIN_OPERATIONS: dict[str, Callable[[Any, Any], Any]] = {"+": add, "-": sub, "*": mul, "/": truediv, "%": mod}

Thunk = Callable[[], Any]
_LISTS = (list, tuple, set, frozenset)


def _evaluated(thunk: Thunk) -> tuple[bool, Any]:
    """`(True, value)`, or `(False, None)` when the expression refers to something undefined."""
    try:
        value = thunk()
    except jinja2.UndefinedError:
        return False, None
    if isinstance(value, jinja2.Undefined):
        return False, None
    return True, value


def coalesce(left: Thunk, right: Thunk) -> Any:
    """`a ?? b`: `b` when `a` is undefined or null."""
    defined, value = _evaluated(left)
    return value if defined and value is not None else right()


def coalesce_undefined(left: Thunk, right: Thunk) -> Any:
    """`a ??? b`: `b` only when `a` is undefined; a null `a` stays null."""
    defined, value = _evaluated(left)
    return value if defined else right()


def is_defined(value: Thunk) -> bool:
    """`a is defined`: Pebble counts a null value as not defined."""
    defined, result = _evaluated(value)
    return defined and result is not None


def default(value: Any, fallback: Any) -> Any:
    """The `default` filter: `fallback` when `value` is null, blank, or an empty list or map."""
    return fallback if is_empty(value) else value


def lazy_default(value: Thunk, fallback: Thunk) -> Any:
    """`a | default(b)`, which Pebble lets `a` be undefined for."""
    defined, result = _evaluated(value)
    return fallback() if not defined or is_empty(result) else result


def concat(*values: Any) -> str:
    """`a ~ b` and `"…#{a}…"`: the values' text, null written as nothing."""
    texts = [to_text(value) for value in values]
    limits.check_chars(sum(map(len, texts)), "a concatenated string")
    return "".join(texts)


def contains(container: Any, item: Any) -> bool:
    """`list contains x` (all of them when `x` is a list), `map contains key`, `text contains part`."""
    require_defined(container)
    require_defined(item)
    if container is None:
        return False
    if isinstance(container, Mapping):
        return _has(container, item)
    if isinstance(container, _LISTS):
        if isinstance(item, _LISTS):
            return all(element in container for element in item)
        return item in container
    if isinstance(container, str):
        return java_text(item) in container
    raise TemplateError(f"'contains' needs a list, a map or a string on its left, not {a_kind(container)}")


def _has(mapping: Mapping[Any, Any], key: Any) -> bool:
    try:
        return key in mapping
    except TypeError:  # an unhashable key (a list, a map) is in no map
        return False


def inclusive_range(start: Any, end: Any, step: Any = 1) -> list[Any]:
    """`a..b` and `range(a, b, step)`: Pebble's ranges include their end; numbers or single letters."""
    for value in (start, end, step):
        require_defined(value)
    if not _is_number(step) or int(step) == 0:
        raise TemplateError("the step of a range must be a number other than 0")
    step = int(step)
    if _is_number(start) and _is_number(end):
        return _bounded_range(int(start), int(end), step)
    if isinstance(start, str) and isinstance(end, str) and len(start) == len(end) == 1:
        return [chr(code) for code in _bounded_range(ord(start), ord(end), step)]
    raise TemplateError(f"a range needs two numbers or two single letters, not {a_kind(start)} and {a_kind(end)}")


def _bounded_range(start: int, end: int, step: int) -> list[int]:
    if (end - start) * step < 0:
        return []
    limits.check_items(abs(end - start) // abs(step) + 1, "a range")
    return list(range(start, end + (1 if step > 0 else -1), step))


def iterate(value: Any) -> Iterator[Any]:
    """What `{% for x in value %}` walks: a list's items, a map's entries (`x.key`, `x.value`),
    nothing for null."""
    require_defined(value)
    if value is None:
        return
    if isinstance(value, Mapping):
        value = [MapEntry(key, item) for key, item in value.items()]
    elif isinstance(value, str) or not isinstance(value, Iterable):
        raise TemplateError(f"a for loop needs a list or a map, not {a_kind(value)}")
    for item in value:
        limits.check_time()
        yield item


def arithmetic(operator: str, left: Any, right: Any) -> Any:
    """Pebble's `+ - * / %`: `+` joins text when either side is a string and extends a list;
    otherwise numbers only, integers as Java longs (`5 / 2` is 2, `-7 % 3` is -1)."""
    require_defined(left)
    require_defined(right)
    if operator == "+" and (isinstance(left, str) or isinstance(right, str)):
        return concat(java_text(left), java_text(right))
    if operator == "+" and isinstance(left, list):
        extra = list(right) if isinstance(right, _LISTS) else [right]
        limits.check_items(len(left) + len(extra), "a list")
        return [*left, *extra]
    if not (_is_number(left) and _is_number(right)):
        raise TemplateError(f"invalid operands for '{operator}': {a_kind(left)} and {a_kind(right)}")
    try:
        if isinstance(left, Decimal) or isinstance(right, Decimal):
            return _decimal_arithmetic(operator, _decimal(left), _decimal(right))
        if isinstance(left, float) or isinstance(right, float):
            return _float_arithmetic(operator, float(left), float(right))
        return _long_arithmetic(operator, left, right)
    except ZeroDivisionError:
        raise TemplateError(f"division by zero in '{operator}'") from None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(repr(value))


def _decimal_arithmetic(operator: str, left: Decimal, right: Decimal) -> Decimal:
    with localcontext() as context:
        context.prec = 34  # Java's MathContext.DECIMAL128, as Pebble computes BigDecimals
        result: Decimal = _PLAIN_OPERATIONS[operator](left, right)
    return result


def _float_arithmetic(operator: str, left: float, right: float) -> float:
    return math.fmod(left, right) if operator == "%" else float(_PLAIN_OPERATIONS[operator](left, right))


def _long_arithmetic(operator: str, left: int, right: int) -> int:
    if operator == "/":
        quotient = abs(left) // abs(right)
        result = quotient if (left < 0) == (right < 0) else -quotient
    elif operator == "%":
        remainder = abs(left) % abs(right)
        result = remainder if left >= 0 else -remainder
    else:
        result = _PLAIN_OPERATIONS[operator](left, right)
    return (result + _LONG // 2) % _LONG - _LONG // 2  # Java's long wraps around


HELPERS: dict[str, Callable[..., Any]] = {
    COALESCE: coalesce,
    COALESCE_UNDEFINED: coalesce_undefined,
    DEFINED: is_defined,
    DEFAULT: lazy_default,
    CONCAT: concat,
    CONTAINS: contains,
    RANGE: inclusive_range,
    ITERATE: iterate,
}
LAZY_HELPERS = frozenset({COALESCE, COALESCE_UNDEFINED, DEFINED, DEFAULT})
