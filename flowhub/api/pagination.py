"""Kestra's paging: `page` (from 1), `size`, repeated `sort=field:asc|desc`.

Answers `{"results": [...], "total": N}` with `X-Total-Count` and RFC 8288 `Link` headers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from rest_framework.request import Request
from rest_framework.response import Response

from flowhub.engine.errors import ErrorDetail

from .problems import Problem

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class PageRequest:
    page: int
    size: int
    ordering: tuple[str, ...]


def page_request(params: QueryDict, sortable: Mapping[str, str], default: Sequence[str]) -> PageRequest:
    """Read and check paging parameters; `sortable` maps wire field names to ORM fields.

    A malformed page or size is a bad query (400); a sort on a field the list cannot sort by is 422, as Kestra
    answers it."""
    errors: list[ErrorDetail] = []
    page = _positive_int(params, "page", 1, errors)
    size = _positive_int(params, "size", DEFAULT_PAGE_SIZE, errors)
    if size > MAX_PAGE_SIZE:
        errors.append(ErrorDetail("size", f"must be at most {MAX_PAGE_SIZE}"))
    if errors:
        raise Problem(400, "invalid-query-parameter", "Invalid query parameter", "invalid paging", errors)
    ordering: list[str] = []
    for value in params.getlist("sort"):
        field, _, direction = value.partition(":")
        direction = direction or "asc"
        if field not in sortable or direction not in ("asc", "desc"):
            known = ", ".join(sorted(sortable))
            errors.append(ErrorDetail("sort", f"'{value}' is not field:asc|desc with a field among {known}"))
        else:
            ordering.append(("-" if direction == "desc" else "") + sortable[field])
    if errors:
        raise Problem(422, "invalid-sort", "Invalid sort", "invalid sort", errors)
    return PageRequest(page=page, size=size, ordering=tuple(ordering or default))


def paged_response(
    request: Request, queryset: QuerySet[Any], paging: PageRequest, serialize: Callable[[list[Any]], list[Any]]
) -> Response:
    total = queryset.count()
    start = (paging.page - 1) * paging.size
    rows = list(queryset.order_by(*paging.ordering)[start : start + paging.size])
    response = Response({"results": serialize(rows), "total": total})
    response["X-Total-Count"] = str(total)
    if links := _links(request, paging, total):
        response["Link"] = links
    return response


def _links(request: Request, paging: PageRequest, total: int) -> str:
    last = max(1, math.ceil(total / paging.size))
    pages = {"first": 1, "last": last}
    if paging.page > 1:
        pages["prev"] = min(paging.page - 1, last)
    if paging.page < last:
        pages["next"] = paging.page + 1
    links = []
    for relation, number in pages.items():
        params = request.query_params.copy()
        params["page"] = str(number)
        params["size"] = str(paging.size)
        links.append(f'<{request.build_absolute_uri(request.path)}?{params.urlencode()}>; rel="{relation}"')
    return ", ".join(links)


def _positive_int(params: QueryDict, name: str, default: int, errors: list[ErrorDetail]) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < 1:
        errors.append(ErrorDetail(name, f"must be a whole number from 1, got '{raw}'"))
        return default
    return int(raw)
