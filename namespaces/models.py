from django.conf import settings
from django.db import models


class Namespace(models.Model):
    """A dot-separated namespace (`acme.sales`); parents exist as rows of their own."""

    id = models.CharField(primary_key=True, max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.id


class Flow(models.Model):
    """A flow's identity within its namespace; its definitions are its revisions."""

    namespace = models.ForeignKey(Namespace, on_delete=models.PROTECT, related_name="flows")
    flow_id = models.CharField("flow id", max_length=100)
    current = models.ForeignKey(
        "FlowRevision", on_delete=models.PROTECT, null=True, related_name="+", verbose_name="current revision"
    )
    deleted = models.BooleanField(default=False)
    labels = models.JSONField(default=dict, blank=True, help_text="the current revision's labels, for search")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["namespace_id", "flow_id"]
        constraints = [models.UniqueConstraint(fields=["namespace", "flow_id"], name="flow_unique_per_namespace")]

    def __str__(self) -> str:
        return f"{self.namespace_id}.{self.flow_id}"


class FlowRevision(models.Model):
    """One saved version of a flow's YAML, verbatim. Executions pin the revision they ran."""

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="revisions")
    revision = models.PositiveIntegerField()
    source = models.TextField()
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Whose roles its executions act with beyond the flow's namespace (executions/reach.py).",
    )
    saved_with = models.ForeignKey(
        "access.ApiToken",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The API token it was saved with, if any: its bindings narrow the saver's roles.",
    )
    saved_by_name = models.CharField(
        max_length=150,
        blank=True,
        default="",
        help_text="The saver's username, kept when the user is deleted; blank when the server itself saved it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["flow", "-revision"]
        constraints = [models.UniqueConstraint(fields=["flow", "revision"], name="revision_unique_per_flow")]

    def __str__(self) -> str:
        return f"{self.flow} rev {self.revision}"


class Secret(models.Model):
    """A credential of a namespace, encrypted at rest; its value never leaves the server but into a task."""

    namespace = models.ForeignKey(Namespace, on_delete=models.PROTECT, related_name="secrets")
    name = models.CharField(max_length=255)
    ciphertext = models.BinaryField(help_text="The value, encrypted with Fernet (flowhub/crypto.py).")
    description = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["namespace", "name"]
        constraints = [models.UniqueConstraint(fields=["namespace", "name"], name="secret_unique_name")]

    def __str__(self) -> str:
        return f"{self.namespace_id}/{self.name}"


class NamespaceFile(models.Model):
    """A file or directory of a namespace, at a normalised path (`/a/b.txt`; see file_paths.py).

    The tree lives here because object stores have no directories; a file's bytes are those of its
    current revision.
    """

    class Kind(models.TextChoices):
        FILE = "File"
        DIRECTORY = "Directory"

    namespace = models.ForeignKey(Namespace, on_delete=models.PROTECT, related_name="files")
    path = models.CharField(max_length=1024)
    parent = models.CharField(max_length=1024, help_text="The directory that holds it: `/` at the top.")
    kind = models.CharField(max_length=9, choices=Kind.choices)
    current = models.ForeignKey(
        "NamespaceFileRevision", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["namespace_id", "path"]
        constraints = [models.UniqueConstraint(fields=["namespace", "path"], name="namespace_file_unique_path")]
        indexes = [models.Index(fields=["namespace", "parent"], name="namespace_file_parent")]

    def __str__(self) -> str:
        return f"{self.namespace_id}:{self.path}"


class NamespaceFileRevision(models.Model):
    """One version of a file's bytes: an object of the default storage, written once, never overwritten."""

    file = models.ForeignKey(NamespaceFile, on_delete=models.CASCADE, related_name="revisions")
    revision = models.PositiveIntegerField()
    blob = models.CharField(max_length=255, unique=True, help_text="Its name in the default storage.")
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["file", "revision"]
        constraints = [
            models.UniqueConstraint(fields=["file", "revision"], name="namespace_file_revision_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.file} rev {self.revision}"
