"""Create the superuser named by FLOWHUB_ADMIN_USER / FLOWHUB_ADMIN_PASSWORD if it does not exist."""

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args: Any, **options: Any) -> None:
        username, password = settings.FLOWHUB_ADMIN_USER, settings.FLOWHUB_ADMIN_PASSWORD
        if not username:
            self.stdout.write(
                "FLOWHUB_ADMIN_USER is not set: no superuser created. Set FLOWHUB_ADMIN_USER and "
                "FLOWHUB_ADMIN_PASSWORD, or run `.venv/bin/python manage.py createsuperuser`."
            )
            return
        users = get_user_model().objects
        if users.filter(username=username).exists():
            self.stdout.write(f"Superuser '{username}' already exists; its password is left unchanged.")
            return
        if not password:
            raise CommandError("FLOWHUB_ADMIN_PASSWORD must be set to create the superuser FLOWHUB_ADMIN_USER.")
        users.create_superuser(username=username, password=password, email="")
        self.stdout.write(self.style.SUCCESS(f"Created superuser '{username}'."))
