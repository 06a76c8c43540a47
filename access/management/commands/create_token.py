"""Create an API token for a user and print its secret (only the secret, on stdout, for scripts)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from access.tokens import token_create
from audit.actors import acting_as
from flowhub.exceptions import Invalid


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="Whose token it is.")
        parser.add_argument("--name", required=True, help="What the token is for.")
        parser.add_argument("--expires-in", type=int, metavar="SECONDS", help="Default: it never expires.")
        parser.add_argument(
            "--bind", action="append", default=[], metavar="NAMESPACE:ROLE",
            help="Narrow the token to a role on a namespace prefix (repeatable; ':viewer' is every namespace).",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model()._default_manager.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user is called '{options['username']}'")
        expires_in = options["expires_in"]
        if expires_in is not None and expires_in < 1:
            raise CommandError("--expires-in must be a positive number of seconds")
        bindings = []
        for binding in options["bind"]:
            namespace, colon, role = binding.rpartition(":")
            if not colon:
                raise CommandError(f"--bind {binding}: expected NAMESPACE:ROLE, such as acme.sales:editor")
            bindings.append((namespace, role))
        try:
            with acting_as(user, via="cli"):  # audited as the token's user, from the command line
                _, secret = token_create(
                    user=user,
                    name=options["name"],
                    expires_at=timezone.now() + timedelta(seconds=expires_in) if expires_in else None,
                    bindings=bindings,
                    created_by=None,  # the operator of the server: bindings still stay within the user's roles
                )
        except Invalid as exc:
            raise CommandError("; ".join(str(error) for error in exc.errors) or exc.detail) from exc
        self.stdout.write(secret)
