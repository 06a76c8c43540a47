"""`manage.py rotate_secrets`: encrypt every namespace secret and notification secret again with the current key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from namespaces.secrets import secrets_reencrypt
from notifications.services import notification_secrets_reencrypt


class Command(BaseCommand):
    help = (
        "Encrypt every namespace secret and notification secret with FLOWHUB_SECRET_KEY. Run it after changing "
        "the key, with the old key listed in FLOWHUB_SECRET_KEY_FALLBACKS; then the fallback can go."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        done, lost = secrets_reencrypt()
        notifications_done, notifications_lost = notification_secrets_reencrypt()
        lost += notifications_lost
        self.stdout.write(
            f"Re-encrypted {done} secret(s) and {notifications_done} notification secret(s) with the current key."
        )
        if lost:
            raise CommandError(
                f"{len(lost)} secret(s) open with no configured key (set their old key in "
                f"FLOWHUB_SECRET_KEY_FALLBACKS, or set them again): {', '.join(lost)}"
            )
