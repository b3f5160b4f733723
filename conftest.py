"""Fixtures shared by every app's tests."""

import os
import socket

from django.core.cache import cache
from django.test import Client

import pytest


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MAP_TILE_URL = ""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client():
    """A test client that reads English, so assertions match the source texts."""
    return Client(headers={"accept-language": "en"})


def require_server(name: str, host: str, port: int) -> None:
    """Skip (or, with MEDBORG_REQUIRE_SERVICES=1, fail) when a server is absent."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return
    except OSError:
        message = f"{name} is not reachable on {host}:{port}"
        if os.environ.get("MEDBORG_REQUIRE_SERVICES") == "1":
            pytest.fail(message + " and MEDBORG_REQUIRE_SERVICES=1")
        pytest.skip(message)
