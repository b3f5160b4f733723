"""Fixtures shared by every app's tests."""

from django.core.cache import cache
from django.test import Client
from django.utils import translation

import pytest


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    # The demo's day is planned for real, but tests load the demo many times:
    # a short search finds a plan for its few bins.
    monkeypatch.setattr("medborg.routing.demo.DEMO_PLAN_SECONDS", 0.05)
    # Four-hourly demo readings instead of two-hourly: half the rows to write.
    monkeypatch.setattr("medborg.sensors.demo.READING_HOURS", 4)
    # No year of past cases: the demo's tests count its sample cases. Tests of
    # the history set it themselves.
    monkeypatch.setattr(
        "medborg.catalog.management.commands.load_demo.HISTORY_CASES", 0
    )
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
