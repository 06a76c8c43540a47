"""Pebble's and Kestra's filters on lists and maps. A null input gives null, as in Pebble."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from . import limits
from .operators import default
from .text import MapEntry, a_kind, java_text, to_json

_LISTS = (list, tuple, set, frozenset)


def _list(value: Any) -> list[Any]:
    """The items of a list, or of what Jinja's `map` and `select` give."""
    if isinstance(value, (str, Mapping)) or not isinstance(value, Iterable):
        raise TypeError(f"expects a list, not {a_kind(value)}")
    return list(value)


def keys(value: Any) -> list[Any] | None:
    """A map's keys, or a list's indexes."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return list(value)
    return list(range(len(_list(value))))


def values(value: Any) -> list[Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise TypeError(f"expects a map, not {a_kind(value)}")
    return list(value.values())


def flatten(value: Any) -> list[Any] | None:
    """The items of the inner lists, one level deep."""
    if value is None:
        return None
    items = _list(value)
    inner = [item if isinstance(item, _LISTS) else [item] for item in items]
    limits.check_items(sum(map(len, inner)), "the flattened list")
    return [element for group in inner for element in group]


def first(value: Any) -> Any:
    """The first item of a list, or the first letter of a string."""
    if value is None:
        return None
    if isinstance(value, str):
        return value[:1] or None
    items = _list(value)
    return items[0] if items else None


def last(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return value[-1:] or None
    items = _list(value)
    return items[-1] if items else None


def join(value: Any, separator: str | None = None) -> str | None:
    if value is None:
        return None
    texts = [java_text(item) for item in _list(value)]
    glue = "" if separator is None else separator
    limits.check_chars(sum(map(len, texts)) + len(glue) * max(0, len(texts) - 1), "the joined text")
    return glue.join(texts)


def sort(value: Any) -> list[Any] | None:
    return None if value is None else sorted(_list(value))


def rsort(value: Any) -> list[Any] | None:
    return None if value is None else sorted(_list(value), reverse=True)


def reverse(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return value[::-1]
    return _list(value)[::-1]


def slice_(value: Any, fromIndex: int = 0, toIndex: int | None = None) -> Any:
    """Items (or letters) from `fromIndex` up to, not including, `toIndex`."""
    if value is None:
        return None
    sequence = value if isinstance(value, str) else _list(value)
    end = len(sequence) if toIndex is None else toIndex
    if fromIndex < 0:
        raise ValueError("fromIndex must be 0 or more")
    if end > len(sequence):
        raise ValueError(f"toIndex must be at most the length, {len(sequence)}")
    if toIndex is not None and fromIndex >= end:
        raise ValueError("toIndex must be greater than fromIndex")
    return sequence[fromIndex:end]


def merge(value: Any, items: Any) -> Any:
    """Two maps merged (the second wins), or two lists concatenated; the left side decides the type."""
    if value is None or items is None:
        if value is None and items is None:
            raise ValueError("both values to merge are null")
        return items if value is None else value
    if isinstance(value, Mapping):
        extra = items if isinstance(items, Mapping) else {item: item for item in _list(items)}
        limits.check_items(len(value) + len(extra), "the merged map")
        return {**value, **extra}
    additions = [MapEntry(*entry) for entry in items.items()] if isinstance(items, Mapping) else _list(items)
    limits.check_items(len(_list(value)) + len(additions), "the merged list")
    return [*_list(value), *additions]


def chunk(value: Any, size: int) -> list[list[Any]] | None:
    """The list cut into lists of `size` items, the last one shorter."""
    if value is None:
        return None
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError("the size must be an integer, 1 or more")
    items = _list(value)
    return [items[start : start + size] for start in range(0, len(items), size)]


def distinct(value: Any) -> list[Any] | None:
    """The items without repeats, in their first order."""
    if value is None:
        return None
    seen: set[Any] = set()
    unique = []
    for item in _list(value):
        key = to_json(item, include_nulls=True, sort_keys=True) if isinstance(item, (Mapping, *_LISTS)) else item
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


def length(value: Any) -> int:
    """Letters of a string, items of a list or a map; 0 for null."""
    if isinstance(value, (str, Mapping, *_LISTS)):
        return len(value)
    return 0


FILTERS: dict[str, Callable[..., Any]] = {
    "keys": keys,
    "values": values,
    "flatten": flatten,
    "first": first,
    "last": last,
    "join": join,
    "sort": sort,
    "rsort": rsort,
    "reverse": reverse,
    "slice": slice_,
    "merge": merge,
    "chunk": chunk,
    "distinct": distinct,
    "default": default,
    "length": length,
}
