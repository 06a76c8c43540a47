from django.db import models

from flowhub.engine.ids import new_id


class Event(models.TextChoices):
    """What a notification may subscribe to."""

    EXECUTION_CREATED = "execution.created"
    EXECUTION_SUCCEEDED = "execution.succeeded"
    EXECUTION_FAILED = "execution.failed"
    EXECUTION_KILLED = "execution.killed"
    EXECUTION_WARNING = "execution.warning"


TEST_EVENT = "notification.test"
"""The event of a delivery asked for by `POST /notifications/{id}/test`; nobody subscribes to it."""


class Notification(models.Model):
    """A URL that receives signed JSON POSTs when executions of its namespaces meet its events."""

    id = models.CharField(primary_key=True, max_length=22, default=new_id, editable=False)
    url = models.CharField("URL", max_length=2048, help_text="http or https.")
    namespaces = models.JSONField(default=list, blank=True, help_text="Namespace prefixes; empty means every one.")
    events = models.JSONField(default=list)
    secret_ciphertext = models.BinaryField(help_text="The signing secret, encrypted (flowhub.crypto).")
    secret_hint = models.CharField(max_length=4, help_text="The secret's last characters, to tell secrets apart.")
    description = models.TextField(blank=True, default="")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url


class Delivery(models.Model):
    """One event to POST to one notification's URL: written in the transaction of the event (an outbox),
    then attempted until its receiver answers 2xx or the attempts run out."""

    class Status(models.TextChoices):
        PENDING = "PENDING"
        DELIVERED = "DELIVERED"
        FAILED = "FAILED", "Failed (gave up)"

    id = models.CharField(primary_key=True, max_length=22, default=new_id, editable=False)
    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    execution_id = models.CharField("execution id", max_length=22, blank=True)
    namespace = models.CharField(max_length=150, blank=True)
    payload = models.JSONField(help_text="The JSON body, as of the event.")
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0, help_text="Attempts started: counted here, not by the broker.")
    next_attempt_at = models.DateTimeField(null=True, blank=True, help_text="When a PENDING delivery is due.")
    claimed_until = models.DateTimeField(
        null=True, blank=True, help_text="An attempt in flight holds the delivery until then."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True, help_text="When it was delivered, or given up.")

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["notification", "-created_at"], name="delivery_by_notification"),
            models.Index(fields=["status", "ended_at"], name="delivery_ended"),
        ]

    def __str__(self) -> str:
        return f"{self.event} ({self.id})"


class DeliveryAttempt(models.Model):
    """One POST of a delivery and what came of it: the delivery log."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField("duration (ms)")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, help_text="None when no answer came.")
    error = models.TextField(blank=True, default="")
    response = models.TextField(blank=True, default="", help_text="The start of the receiver's answer.")

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="delivery_attempt_unique_number")]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"
