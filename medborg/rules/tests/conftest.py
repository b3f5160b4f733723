"""Fixtures for the decision table admin and what-if tests."""

from pathlib import Path

from django.core.management import call_command

import pytest

from medborg.catalog.management.commands.load_demo import Command
from medborg.catalog.models import Service

DEMO_TABLES = Path(__file__).parents[2] / "catalog" / "demo" / "tables"


@pytest.fixture
def demo(db, capsys, monkeypatch):
    """The demo municipality: services with tables, sample cases with decisions.

    Without the demo's bins, sensors and routes: no decision table reads them,
    and these tests load the demo once each.
    """
    monkeypatch.setattr(Command, "_bins", lambda self, made: None)
    call_command("load_demo")
    return capsys.readouterr().out


@pytest.fixture
def bulky(demo):
    """The bulky waste service, which decides automatically by its table."""
    return Service.objects.select_related("decision_table").get(
        slug="bulky-waste-collection"
    )


@pytest.fixture
def bulky_xml():
    return (DEMO_TABLES / "bulky-waste.dmn").read_bytes()
