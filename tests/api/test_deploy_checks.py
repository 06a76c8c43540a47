"""`manage.py check --deploy` with a production environment reports only what docs/operations.md explains."""

import re
import secrets
import subprocess
import sys

from tests.e2e.processes import ROOT, base_env

PRODUCTION = {
    "DEBUG": "false",
    "FLOWHUB_SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "flowhub.example.com",
    "FLOWHUB_BEHIND_TLS_PROXY": "true",
    "FLOWHUB_SSL_REDIRECT": "true",
    "FLOWHUB_SECURE_COOKIES": "true",
    "FLOWHUB_HSTS_SECONDS": "31536000",
}


def deploy_check_ids(tmp_path, **env) -> list[str]:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=base_env(tmp_path, **env),
        capture_output=True,
        text=True,
        check=True,
    )
    return sorted(set(re.findall(r"\((\w+\.\w\d+)\)", result.stdout + result.stderr)))


def test_production_settings_leave_only_the_documented_hsts_preload_advice(tmp_path):
    assert deploy_check_ids(tmp_path, **PRODUCTION) == ["security.W021"]
    assert deploy_check_ids(tmp_path, **PRODUCTION, FLOWHUB_HSTS_PRELOAD="true") == []


def test_a_missing_secret_key_is_reported(tmp_path):
    without_key = {**PRODUCTION, "FLOWHUB_SECRET_KEY": ""}
    assert deploy_check_ids(tmp_path, **without_key) == ["flowhub.W001", "security.W021"]


def test_development_defaults_are_flagged(tmp_path):
    found = deploy_check_ids(tmp_path)
    assert {"security.W004", "security.W008", "security.W012", "security.W016"} <= set(found)
