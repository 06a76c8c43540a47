"""System checks for what Django's own deploy checks cannot see."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def secret_key_from_environment(app_configs, **kwargs):  # type: ignore[no-untyped-def]
    if settings.SECRET_KEY_FROM_ENV:
        return []
    return [
        Warning(
            "FLOWHUB_SECRET_KEY is not set: flowhub uses a random key kept in FLOWHUB_DATA_DIR.",
            hint="Set FLOWHUB_SECRET_KEY to the same value on every machine of a distributed install.",
            id="flowhub.W001",
        )
    ]
