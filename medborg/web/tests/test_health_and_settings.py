import os
import re
import subprocess
import sys
from pathlib import Path
from unittest import mock

from django.db import DatabaseError

import pytest

from medborg import env

ROOT = Path(__file__).resolve().parents[3]


def test_healthz_reports_database_ok(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_database_is_unreachable(client, db):
    with mock.patch(
        "django.db.backends.utils.CursorWrapper.execute",
        side_effect=DatabaseError("connection refused"),
    ):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unreachable"}


def production_env(**overrides):
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in env.VARIABLES
        and key not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environment.update(
        MEDBORG_ENV="production",
        SECRET_KEY="k" * 20 + "-production-secret-for-the-deploy-check-0123456789",
        ALLOWED_HOSTS="medborg.example.se",
        DATABASE_URL="postgres://medborg@127.0.0.1:5432/medborg",
        REDIS_URL="redis://127.0.0.1:6379/0",
        EMAIL_URL="smtp+tls://medborg:secret@smtp.example.se:587",
        MEDBORG_BASE_URL="https://medborg.example.se",
    )
    environment.update(overrides)
    return {key: value for key, value in environment.items() if value is not None}


def manage(*args, environment):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", environment=production_env()
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "missing",
    [
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "REDIS_URL",
        "EMAIL_URL",
        "MEDBORG_BASE_URL",
    ],
)
def test_production_refuses_to_start_without(missing):
    result = manage("check", environment=production_env(**{missing: None}))
    assert result.returncode != 0
    assert f"{missing} must be set when MEDBORG_ENV=production" in result.stderr


def test_demo_data_is_refused_in_production():
    result = manage("load_demo", environment=production_env())
    assert result.returncode != 0
    assert "never loaded when MEDBORG_ENV=production" in result.stderr


def test_configuration_docs_list_every_variable():
    text = (ROOT / "docs/configuration.md").read_text().split("## Build-time")[0]
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", text, re.M))
    assert documented == set(env.VARIABLES)


@pytest.mark.parametrize(
    ("forwarded", "proxies", "expected"),
    [
        ("", 0, "10.0.0.9"),
        ("203.0.113.5", 1, "203.0.113.5"),
        ("198.51.100.1, 203.0.113.5", 1, "203.0.113.5"),
        ("spoofed, 198.51.100.1, 203.0.113.5", 2, "198.51.100.1"),
    ],
)
def test_client_ip_trusts_only_the_configured_proxies(
    rf, settings, forwarded, proxies, expected
):
    from medborg.web.client import client_ip

    settings.PROXY_COUNT = proxies
    request = rf.get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_an_unknown_environment_name_stops_start_up():
    result = manage("check", environment=production_env(MEDBORG_ENV="prod"))
    assert result.returncode != 0
    assert "MEDBORG_ENV must be 'production' or 'development', not 'prod'" in (
        result.stderr
    )


def test_tracking_tokens_are_hidden_in_logs():
    import logging

    from medborg.web.logging import HideTrackingTokens

    record = logging.LogRecord(
        "django.request",
        logging.WARNING,
        __file__,
        1,
        "Not Found: %s",
        ("/track/SECRETtoken123/photos/1/",),
        None,
    )
    assert HideTrackingTokens().filter(record)
    assert record.getMessage() == "Not Found: /track/<token>/photos/1/"
