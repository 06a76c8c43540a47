"""Namespace roles in the Django admin: a staff user sees the rows of the namespaces where they are a viewer
and changes, deletes or acts on those where they are an editor. Django's model permissions still apply first;
a superuser's access is every namespace, so nothing changes for them."""

from __future__ import annotations

from functools import reduce
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from flowhub.exceptions import Forbidden

from .roles import Access, Role
from .selectors import access_require, namespace_q, request_access


class NamespaceScopedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A ModelAdmin of namespaced rows. `namespace_field` is the ORM path from the model to its namespace's
    name (`namespace__id` through a foreign key to Namespace, `execution__namespace` through an execution).
    Models that are not reached through one namespace override `scope` and `reaches` together."""

    namespace_field = "namespace__id"

    def scope(self, queryset: QuerySet[Any], access: Access, role: Role) -> QuerySet[Any]:
        """The rows of `queryset` on which `access` holds `role`."""
        return queryset.filter(namespace_q(access, role, self.namespace_field))

    def reaches(self, access: Access, obj: Any, role: Role) -> bool:
        """Whether `access` holds `role` on `obj`."""
        return access.allows(self.namespace_of(obj), role)

    def namespace_of(self, obj: Model) -> str:
        """The namespace of `obj`, read along `namespace_field` (a foreign key's column, not its row, at the end)."""
        *path, last = self.namespace_field.split("__")
        if last == "id" and path:
            path[-1] += "_id"
        else:
            path.append(last)
        return str(reduce(getattr, path, obj))

    @admin.display(description="namespace")
    def namespace_name(self, obj: Model) -> str:
        """The namespace on a read-only page, where forms have their `namespace_name` field."""
        return self.namespace_of(obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return self.scope(super().get_queryset(request), request_access(request), Role.VIEWER)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) and self._reached(request, obj, Role.VIEWER)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._reached(request, obj, Role.EDITOR)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._reached(request, obj, Role.EDITOR)

    def _reached(self, request: HttpRequest, obj: Any, role: Role) -> bool:
        return obj is None or self.reaches(request_access(request), obj, role)

    def response_action(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        """Actions (bulk delete included) act on the selected rows the caller may edit, and no others."""
        return super().response_action(request, self.scope(queryset, request_access(request), Role.EDITOR))

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        return self.with_access(request, super().get_form(request, obj, change=change, **kwargs))

    def with_access(self, request: HttpRequest, form: type[forms.BaseForm]) -> Any:
        """`form`, made to check namespaces against the caller's access (see ScopedForm)."""
        return type(form.__name__, (form,), {"access": request_access(request)})

    def visible_or_404(self, request: HttpRequest, **lookup: Any) -> Any:
        """The row of a custom view: a 404 when the caller may not view it, as when it does not exist."""
        if not self.has_view_permission(request):
            raise Http404
        return get_object_or_404(self.get_queryset(request), **lookup)


class ScopedForm:
    """Mixed into an admin form that writes into a namespace it is given. The admin sets `access` to the
    caller's; the default is nobody's, so a form used without it refuses every namespace."""

    access: Access = Access()

    def editable(self, namespace: str) -> str:
        """`namespace`, or a validation error when the caller is not an editor there."""
        try:
            access_require(self.access, namespace, Role.EDITOR, hidden=False)
        except Forbidden as exc:
            raise forms.ValidationError(exc.detail) from None
        return namespace
