from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q

from flowhub.engine.ids import new_id

from .roles import Role

ROLE_CHOICES = [(role.label, role.label) for role in Role]
NAMESPACE_HELP = "A namespace prefix: the binding reaches it and every namespace below it. Blank: every namespace."


class RoleBinding(models.Model):
    """A user or a group holds a role on a namespace prefix and everything below it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="role_bindings"
    )
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="role_bindings")
    namespace = models.CharField(max_length=150, blank=True, help_text=NAMESPACE_HELP)
    role = models.CharField(max_length=8, choices=ROLE_CHOICES)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["namespace", "role", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, group__isnull=True) | Q(user__isnull=True, group__isnull=False),
                name="role_binding_user_xor_group",
            ),
            models.UniqueConstraint(fields=["user", "namespace"], name="role_binding_unique_user_namespace"),
            models.UniqueConstraint(fields=["group", "namespace"], name="role_binding_unique_group_namespace"),
        ]

    def __str__(self) -> str:
        return f"{self.user or self.group} is {self.role} of {self.namespace or 'every namespace'}"


class ApiToken(models.Model):
    """A bearer credential (`fh_…`) acting for its user. Only the secret's SHA-256 is kept."""

    class Kind(models.TextChoices):
        API = "api", "API token"
        SESSION = "session", "Session (auth/login)"

    id = models.CharField(primary_key=True, max_length=22, default=new_id, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=7, choices=Kind.choices, default=Kind.API)
    prefix = models.CharField(max_length=12, help_text="The secret's first characters, to tell tokens apart.")
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the secret, hex.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class TokenBinding(models.Model):
    """Narrows a token to a role on a namespace prefix; a token without bindings acts with its owner's roles."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="bindings")
    namespace = models.CharField(max_length=150, blank=True, help_text=NAMESPACE_HELP)
    role = models.CharField(max_length=8, choices=ROLE_CHOICES)

    class Meta:
        ordering = ["namespace", "id"]
        constraints = [models.UniqueConstraint(fields=["token", "namespace"], name="token_binding_unique_namespace")]

    def __str__(self) -> str:
        return f"{self.role} of {self.namespace or 'every namespace'}"
