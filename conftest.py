"""Fixtures shared by every app's tests."""

from django.core.cache import cache
from django.test import Client
from django.utils import translation

import pytest


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MAP_TILE_URL = ""
    cache.clear()
    with translation.override("en"):
        yield
    cache.clear()


@pytest.fixture
def client():
    """A test client that reads English, so assertions match the source texts."""
    return Client(headers={"accept-language": "en"})
