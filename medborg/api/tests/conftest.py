import pytest
from rest_framework.test import APIClient

from medborg.api.models import Scope
from medborg.api.services import issue_key
from medborg.cases import services
from medborg.cases.tests import conftest as cases

team = cases.team
service = cases.service
caseworker = cases.caseworker

ALL_SCOPES = [Scope.CASES_CREATE, Scope.CASES_READ, Scope.CASES_WORK]
PLACE = {"latitude": 56.8777, "longitude": 14.8091}


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    settings.API_KEY_RATE = "100000/m"
    settings.BASE_URL = "https://medborg.example.se"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def make_key(db):
    """Issue a key; return its raw value. ``user`` only for cases:work."""

    def make(*scopes, user=None, name="Test app"):
        _key, raw = issue_key(name=name, scopes=list(scopes), user=user)
        return raw

    return make


@pytest.fixture
def create_key(make_key):
    return make_key(Scope.CASES_CREATE, Scope.CASES_READ)


@pytest.fixture
def work_key(make_key, caseworker):
    return make_key(Scope.CASES_WORK, user=caseworker)


def auth(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def submit(service, **fields):
    """A case sent through the web form's channel, with the usual answers."""
    values = {
        "answers": {"size": "large", "danger": True},
        "address": "Storgatan 1",
        "contact_email": "anna@example.se",
        **PLACE,
        **fields,
    }
    return services.submit_case(service=service, **values).case


@pytest.fixture
def public_service(service):
    service.publicity = "exact"
    service.save()
    return service
