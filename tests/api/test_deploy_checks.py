"""`manage.py check --deploy` with a production environment is clean, and the settings it cannot see are safe."""

import json
import re
import secrets
import subprocess
import sys

import pytest

from tests.e2e.processes import ROOT, base_env

pytestmark = pytest.mark.embedded

PRODUCTION = {
    "DEBUG": "false",
    "FLOWHUB_SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "flowhub.example.com",
    "FLOWHUB_BEHIND_TLS_PROXY": "true",
    "FLOWHUB_SSL_REDIRECT": "true",
    "FLOWHUB_SECURE_COOKIES": "true",
    "FLOWHUB_HSTS_SECONDS": "31536000",
}


def deploy_check_ids(tmp_path, *, fails: bool = False, **env) -> list[str]:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=base_env(tmp_path, **env),
        capture_output=True,
        text=True,
    )
    assert (result.returncode != 0) == fails, result.stderr
    return sorted(set(re.findall(r"\((\w+\.\w\d+)\)", result.stdout + result.stderr)))


def production_settings(tmp_path, *names: str, **env: str) -> dict[str, object]:
    """The settings as a production process sees them (not the tests' settings)."""
    code = (
        "import django, json, sys; django.setup(); from django.conf import settings; "
        "print(json.dumps({name: getattr(settings, name) for name in sys.argv[1:]}, default=list))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *names],
        cwd=ROOT,
        env=base_env(tmp_path, **{**PRODUCTION, **env}),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_production_settings_pass_check_deploy(tmp_path):
    """A year of HSTS says `preload` too (the browsers' preload lists ask for that year)."""
    assert deploy_check_ids(tmp_path, **PRODUCTION) == []


def test_hsts_preload_can_be_declined(tmp_path):
    assert deploy_check_ids(tmp_path, **PRODUCTION, FLOWHUB_HSTS_PRELOAD="false") == ["security.W021"]
    shorter = {**PRODUCTION, "FLOWHUB_HSTS_SECONDS": "86400"}
    assert production_settings(tmp_path, "SECURE_HSTS_PRELOAD", **shorter) == {"SECURE_HSTS_PRELOAD": False}


def test_a_missing_secret_key_is_reported(tmp_path):
    without_key = {**PRODUCTION, "FLOWHUB_SECRET_KEY": ""}
    assert deploy_check_ids(tmp_path, **without_key) == ["flowhub.W001"]


def test_debug_on_is_reported(tmp_path):
    assert deploy_check_ids(tmp_path, **{**PRODUCTION, "DEBUG": "true"}) == ["security.W018"]


def test_what_check_deploy_does_not_see_is_safe_too(tmp_path):
    """DEBUG off unless asked (so no technical 500 page), Django's default password hasher (the tests use MD5),
    HttpOnly session cookies, no referrer across sites, no CORS unless configured."""
    env = {key: value for key, value in PRODUCTION.items() if key != "DEBUG"}
    names = [
        "DEBUG", "PASSWORD_HASHERS", "SESSION_COOKIE_HTTPONLY", "SECURE_REFERRER_POLICY", "CORS_ALLOWED_ORIGINS",
        "CORS_ALLOW_CREDENTIALS", "CSRF_FAILURE_VIEW",
    ]  # fmt: skip
    found = production_settings(tmp_path, *names, **env)
    assert found.pop("PASSWORD_HASHERS")[0] == "django.contrib.auth.hashers.PBKDF2PasswordHasher"
    assert found == {
        "DEBUG": False,
        "SESSION_COOKIE_HTTPONLY": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "CORS_ALLOWED_ORIGINS": [],
        "CORS_ALLOW_CREDENTIALS": False,
        "CSRF_FAILURE_VIEW": "flowhub.api.views.csrf_failure",
    }


def test_cors_is_read_from_the_environment(tmp_path):
    env = {
        "FLOWHUB_CORS_ALLOWED_ORIGINS": "https://a.example.com, https://b.example.com:8443",
        "FLOWHUB_CORS_ALLOW_CREDENTIALS": "true",
    }
    found = production_settings(tmp_path, "CORS_ALLOWED_ORIGINS", "CORS_ALLOW_CREDENTIALS", **env)
    assert found == {
        "CORS_ALLOWED_ORIGINS": ["https://a.example.com", "https://b.example.com:8443"],
        "CORS_ALLOW_CREDENTIALS": True,
    }
    assert deploy_check_ids(tmp_path, **PRODUCTION, **env) == []


def test_development_defaults_are_flagged(tmp_path):
    found = deploy_check_ids(tmp_path)
    assert {"security.W004", "security.W008", "security.W012", "security.W016"} <= set(found)


def test_a_cors_origin_without_its_scheme_stops_the_checks(tmp_path):
    env = {**PRODUCTION, "FLOWHUB_CORS_ALLOWED_ORIGINS": "app.example.com"}
    assert deploy_check_ids(tmp_path, fails=True, **env) == ["corsheaders.E013"]
