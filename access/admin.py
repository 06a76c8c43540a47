"""Tokens and role bindings in the admin. A token is added through the token service, like the API's: its
bindings checked the same way, its secret shown once on the page that answers the form, and kept nowhere."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminSplitDateTime
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.html import format_html

from flowhub.engine.errors import ErrorDetail
from flowhub.engine.namespaces import validate_namespace
from flowhub.exceptions import Forbidden, Invalid

from .models import ROLE_CHOICES, ApiToken, RoleBinding, TokenBinding
from .role_services import role_binding_create, role_binding_delete, role_binding_require_admin, role_binding_update
from .roles import Access, Role
from .selectors import access_of, namespace_q
from .token_selectors import token_list
from .tokens import NAME_MAX, token_create, token_revoke


class TokenAddForm(forms.Form):
    user = forms.ModelChoiceField(queryset=get_user_model()._default_manager.order_by("username"))
    name = forms.CharField(max_length=NAME_MAX, help_text="What the token is for.")
    expires_at = forms.SplitDateTimeField(
        label="Expires at", required=False, widget=AdminSplitDateTime, help_text="UTC. Empty: it never expires."
    )


class BindingForm(forms.Form):
    namespace = forms.CharField(required=False, max_length=150)
    role = forms.ChoiceField(choices=[("", "---------"), *ROLE_CHOICES], required=False)


BindingFormSet = forms.formset_factory(BindingForm, extra=3)


class BindingInline(admin.TabularInline):
    """A token's bindings, as created: changing them would bypass the checks of its creation."""

    model = TokenBinding
    fields = readonly_fields = ["namespace", "role"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "kind", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["kind", ("revoked_at", admin.EmptyFieldListFilter), ("expires_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["name", "prefix", "user__username"]
    fields = ["name", "user", "kind", "prefix", "created_by", "created_at", "expires_at", "last_used_at", "revoked_at"]
    readonly_fields = [field for field in fields if field != "name"]  # the digest is not even shown
    inlines = [BindingInline]
    actions = ["revoke_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiToken]:
        """The tokens /tokens shows the user: their own, those they created, those within their admin namespaces."""
        return token_list(caller=request.user, access=access_of(request.user))

    @admin.action(description="Revoke selected tokens")
    def revoke_selected(self, request: HttpRequest, tokens: QuerySet[ApiToken]) -> None:
        for token in tokens:
            token_revoke(token=token)
        messages.success(request, f"Revoked {len(tokens)} token(s).")

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        posted = request.POST if request.method == "POST" else None
        form = TokenAddForm(posted, initial={"user": request.user.pk})
        bindings = BindingFormSet(posted, prefix="bindings")
        if posted is not None and form.is_valid() and bindings.is_valid():
            rows = [index for index, row in enumerate(bindings.cleaned_data) if row.get("namespace") or row.get("role")]
            try:
                token, secret = token_create(
                    user=form.cleaned_data["user"],
                    name=form.cleaned_data["name"],
                    expires_at=form.cleaned_data["expires_at"],
                    bindings=[
                        (bindings.cleaned_data[index]["namespace"], bindings.cleaned_data[index]["role"])
                        for index in rows
                    ],
                    created_by=request.user,
                )
            except Invalid as exc:
                _show_errors(exc.errors, form, bindings, rows)
            else:
                return self._created(request, token, secret)
        context = {
            **self.admin_site.each_context(request),
            "title": "Add API token",
            "opts": self.opts,
            "form": form,
            "bindings": bindings,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/access/apitoken/add.html", context)

    def _created(self, request: HttpRequest, token: ApiToken, secret: str) -> HttpResponse:
        """The answer to the form itself shows the secret: a redirect would carry it in a cookie or the session."""
        self.log_addition(request, token, [{"added": {}}])
        messages.success(
            request, format_html("Token “{}” created. Its secret, shown this once: <code>{}</code>", token.name, secret)
        )
        context = {
            **self.admin_site.each_context(request),
            "title": "API token created",
            "opts": self.opts,
            "token": token,
        }
        return TemplateResponse(request, "admin/access/apitoken/created.html", context)


FORM_FIELDS = {"name": "name", "expiresAt": "expires_at"}


def _show_errors(errors: list[ErrorDetail], form: TokenAddForm, bindings: Any, rows: list[int]) -> None:
    """The service's errors on the form fields they name (`bindings[i].role` is the i-th filled row)."""
    for error in errors:
        field, _, rest = error.path.partition("[")
        if field == "bindings" and rest:
            index, _, name = rest.partition("].")
            bindings.forms[rows[int(index)]].add_error(name, error.detail)
        elif field in FORM_FIELDS:
            form.add_error(FORM_FIELDS[field], error.detail)
        else:
            form.add_error(None, str(error))


class RoleBindingForm(forms.ModelForm):
    access: Access  # the editing user's, set by RoleBindingAdmin.get_form

    class Meta:
        model = RoleBinding
        fields = ["user", "group", "namespace", "role"]

    def clean_namespace(self) -> str:
        namespace: str = self.cleaned_data["namespace"]
        if namespace and (problem := validate_namespace(namespace)):
            raise forms.ValidationError(problem)
        try:
            role_binding_require_admin(self.access, namespace)
        except Forbidden as error:
            raise forms.ValidationError(error.detail) from None
        return namespace


@admin.register(RoleBinding)
class RoleBindingAdmin(admin.ModelAdmin):
    form = RoleBindingForm
    list_display = ["user", "group", "namespace_shown", "role", "created_at"]
    list_filter = ["role", "group"]
    list_select_related = ["user", "group"]
    search_fields = ["namespace", "user__username", "group__name"]

    @admin.display(description="namespace", ordering="namespace")
    def namespace_shown(self, binding: RoleBinding) -> str:
        return binding.namespace or "(every namespace)"

    def get_queryset(self, request: HttpRequest) -> QuerySet[RoleBinding]:
        """The bindings of the namespaces the user administers."""
        return super().get_queryset(request).filter(namespace_q(access_of(request.user), Role.ADMIN))

    def get_readonly_fields(self, request: HttpRequest, obj: RoleBinding | None = None) -> list[str]:
        return ["user", "group", "namespace"] if obj is not None else []

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.access = access_of(request.user)
        return form

    def save_model(self, request: HttpRequest, obj: RoleBinding, form: Any, change: bool) -> None:
        """Through the role services: the same checks as /roles, and an audit row."""
        access = access_of(request.user)
        if change:
            role_binding_update(access=access, binding=obj, role=obj.role)
        else:
            created = role_binding_create(
                access=access,
                namespace=obj.namespace,
                role=obj.role,
                username=obj.user.get_username() if obj.user else None,
                group=obj.group.name if obj.group else None,
            )
            obj.pk = created.pk

    def delete_model(self, request: HttpRequest, obj: RoleBinding) -> None:
        role_binding_delete(access=access_of(request.user), binding=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[RoleBinding]) -> None:
        for binding in queryset:
            self.delete_model(request, binding)
