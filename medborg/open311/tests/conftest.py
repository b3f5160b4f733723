from datetime import timedelta
from pathlib import Path
from xml.etree import ElementTree

from django.core.cache import cache
from django.utils import timezone

import pytest
from defusedxml.ElementTree import fromstring

from medborg.accounts.tests.factories import TeamFactory
from medborg.api.services import issue_key
from medborg.cases.models import Case
from medborg.cases.services import submit_case
from medborg.catalog.models import Question, Service
from medborg.catalog.tests.factories import (
    CategoryFactory,
    ChoiceFactory,
    QuestionFactory,
    ServiceFactory,
)

FIXTURES = Path(__file__).parent / "fixtures"
INSIDE = (56.8777, 14.8091)  # Växjö centre
OUTSIDE = (59.3293, 18.0686)  # Stockholm


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8").strip()


def parse_xml(content: bytes) -> ElementTree.Element:
    assert content.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n')
    return fromstring(content)


def shape(element: ElementTree.Element) -> dict:
    """Each element's tag with the sorted set of its children's tags, per level."""
    found = {element.tag: sorted({child.tag for child in element})}
    for child in element:
        for tag, children in shape(child).items():
            found[tag] = sorted(set(found.get(tag, [])) | set(children))
    return found


@pytest.fixture(autouse=True)
def _clear_rates():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def team(db):
    return TeamFactory(slug="streets", name="Streets and parks")


@pytest.fixture
def service(team):
    service = ServiceFactory(
        slug="pothole",
        code="pothole",
        name="Pothole",
        short_description="A hole in the road.",
        keywords="hole,road , asphalt",
        category=CategoryFactory(name="Streets", position=1),
        publicity=Service.Publicity.EXACT,
        team=team,
    )
    size = QuestionFactory(
        service=service, key="size", kind=Question.Kind.CHOICE, label="How big?"
    )
    ChoiceFactory(question=size, value="small", label="Small")
    ChoiceFactory(question=size, value="large", label="Large")
    QuestionFactory(
        service=service,
        key="depth",
        kind=Question.Kind.NUMBER,
        label="Depth in cm",
        help_text="Roughly.",
        required=False,
        min_value=0,
        max_value=100,
    )
    QuestionFactory(
        service=service, key="danger", kind=Question.Kind.YES_NO, label="Dangerous?"
    )
    return service


@pytest.fixture
def bins(team):
    """A service with several choices, a date and a long text."""
    service = ServiceFactory(
        slug="bins",
        code="bins",
        name="Full bins",
        category=CategoryFactory(name="Waste", position=2),
        publicity=Service.Publicity.AREA,
        team=team,
    )
    kinds = QuestionFactory(
        service=service,
        key="kinds",
        kind=Question.Kind.MULTI_CHOICE,
        label="Which bins?",
    )
    ChoiceFactory(question=kinds, value="paper", label="Paper")
    ChoiceFactory(question=kinds, value="glass", label="Glass")
    ChoiceFactory(question=kinds, value="metal", label="Metal")
    QuestionFactory(
        service=service,
        key="seen",
        kind=Question.Kind.DATE,
        label="Seen on",
        required=False,
    )
    QuestionFactory(
        service=service,
        key="where",
        kind=Question.Kind.TEXT,
        label="Which station?",
        required=False,
    )
    QuestionFactory(
        service=service,
        key="more",
        kind=Question.Kind.LONG_TEXT,
        label="Anything else?",
        required=False,
    )
    return service


@pytest.fixture
def hidden(team):
    return ServiceFactory(
        slug="permit",
        code="permit",
        name="Parking permit",
        category=CategoryFactory(name="Permits", position=3),
        publicity=Service.Publicity.HIDDEN,
        team=team,
    )


@pytest.fixture
def api_key(db):
    key, raw = issue_key(name="FixaStan", scopes=["cases:create"])
    key.raw = raw
    return key


def make_case(service, *, days_ago: float = 1, **fields) -> Case:
    """A case submitted ``days_ago`` with the given stored fields."""
    answers = fields.pop("answers", {})
    submission = submit_case(
        service=service,
        answers=answers,
        latitude=fields.pop("latitude", INSIDE[0]),
        longitude=fields.pop("longitude", INSIDE[1]),
        address=fields.pop("address", "Storgatan 1"),
        contact_email=fields.pop("contact_email", ""),
        description=fields.pop("description", ""),
        media_url=fields.pop("media_url", ""),
    )
    when = timezone.now() - timedelta(days=days_ago)
    fields = {"submitted_at": when, "updated_at": when, **fields}
    Case.objects.filter(pk=submission.case.pk).update(**fields)
    return Case.objects.get(pk=submission.case.pk)
