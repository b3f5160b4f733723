"""What everyone may see of a case: staff publish it, nothing else leaks."""

from django.core.files.base import ContentFile
from django.urls import reverse

import pytest

from medborg.cases import publication, selectors, services
from medborg.cases.forms import CaseForm
from medborg.cases.models import Attachment, Case, CaseEvent
from medborg.cases.tests.conftest import jpeg_bytes, valid_form
from medborg.cases.tests.test_staff import login
from medborg.catalog.models import Question, Service
from medborg.catalog.tests.factories import ChoiceFactory, QuestionFactory


@pytest.fixture
def public_service(service):
    service.publicity = Service.Publicity.AREA
    service.save()
    return service


@pytest.fixture
def case(public_service):
    return services.submit_case(
        service=public_service,
        answers={"size": "large", "danger": True},
        latitude=56.877712,
        longitude=14.809149,
        address="Storgatan 1",
        contact_email="anna@example.se",
        description="Anna Svensson, 070-123 45 67, saw it outside her house.",
        media_url="https://photos.example.org/abc.jpg",
    ).case


def _photo(case, position=0):
    attachment = Attachment(case=case, width=64, height=48, size=10, position=position)
    attachment.image.save("p.jpg", ContentFile(jpeg_bytes()), save=False)
    attachment.thumbnail.save("t.jpg", ContentFile(jpeg_bytes()), save=False)
    attachment.save()
    return attachment


def _published(case):
    annotated = selectors.published_case(case.reference)
    return publication.published_case(annotated)


def test_nothing_personal_is_published_by_default(case):
    shown = _published(case)
    assert shown.description == ""
    assert shown.media_url == ""
    assert shown.status_notes == ""
    assert shown.address == ""
    assert (shown.latitude, shown.longitude) == (56.878, 14.809)
    assert "anna" not in repr(shown).lower()


def test_exact_publicity_shows_the_place_as_given(case):
    case.service.publicity = Service.Publicity.EXACT
    case.service.save()
    shown = _published(case)
    assert (shown.latitude, shown.longitude) == (56.877712, 14.809149)
    assert shown.address == "Storgatan 1"


def test_hidden_services_cases_are_not_published(case):
    case.service.publicity = Service.Publicity.HIDDEN
    case.service.save()
    assert selectors.published_case(case.reference) is None
    assert not selectors.published_cases().exists()


def test_publish_case_publishes_and_withdraws(case, caseworker):
    photo, other = _photo(case), _photo(case, 1)
    services.publish_case(
        case=case,
        public_description="  A deep pothole by the bus stop. ",
        media_public=True,
        photo_ids=[photo.pk],
        by=caseworker,
    )
    case.refresh_from_db()
    shown = _published(case)
    assert shown.description == "A deep pothole by the bus stop."
    assert shown.media_url == "https://photos.example.org/abc.jpg"
    assert selectors.public_photo(photo.pk) == photo
    assert selectors.public_photo(other.pk) is None
    event = case.events.get(kind=CaseEvent.Kind.PUBLISHED)
    assert (event.is_public, event.actor) == (False, caseworker)
    assert event.data == {"description": True, "media": True, "photos": [photo.pk]}

    services.publish_case(
        case=case, public_description="", media_public=False, photo_ids=[], by=None
    )
    shown = _published(case)
    assert (shown.description, shown.media_url) == ("", "")
    assert selectors.public_photo(photo.pk) is None


def test_first_published_photo_stands_in_for_media(case, caseworker):
    Case.objects.filter(pk=case.pk).update(media_url="")
    photo = _photo(case)
    services.publish_case(
        case=case,
        public_description="",
        media_public=True,
        photo_ids=[photo.pk],
        by=None,
    )
    annotated = selectors.published_case(case.reference)
    assert annotated.public_photo_id == photo.pk
    assert annotated.media_public is False


def test_public_photo_is_served_only_once_published(client, case):
    photo = _photo(case)
    url = reverse("cases:public_photo", args=[photo.pk])
    assert client.get(url).status_code == 404
    Attachment.objects.filter(pk=photo.pk).update(is_public=True)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    case.service.publicity = Service.Publicity.HIDDEN
    case.service.save()
    assert client.get(url).status_code == 404


def test_published_message_becomes_the_status_note(client, case, caseworker):
    login(client, caseworker)
    step = case.process.steps.get(key="in-progress")
    response = client.post(
        reverse("staff:move", args=[case.reference]),
        {
            "move-state": services.state_of(case),
            "move-step": step.pk,
            "move-public_message": "Repair booked for Tuesday.",
            "move-publish_message": "on",
        },
    )
    assert response.status_code == 302
    assert _published(case).status_notes == "Repair booked for Tuesday."
    events = publication.published_events(
        selectors.published_events(case), selectors.step_names(case)
    )
    assert [(e.kind, e.message) for e in events] == [
        ("case.submitted", ""),
        ("case.moved", "Repair booked for Tuesday."),
    ]


def test_an_unpublished_message_stays_with_the_citizen(case, caseworker):
    step = case.process.steps.get(key="in-progress")
    services.move_case_to_step(
        case=case, step=step, public_message="Dear Anna, see you Tuesday.", by=None
    )
    assert _published(case).status_notes == ""
    events = publication.published_events(
        selectors.published_events(case), selectors.step_names(case)
    )
    assert all(event.message == "" for event in events)


def test_publish_view_saves_and_refuses_a_stale_form(client, case, caseworker):
    login(client, caseworker)
    url = reverse("staff:publish", args=[case.reference])
    stale = client.post(
        url, {"publish-state": "old:state", "publish-public_description": "x"}
    )
    assert stale.status_code == 409
    assert not case.events.filter(kind=CaseEvent.Kind.PUBLISHED).exists()
    response = client.post(
        url,
        {
            "publish-state": services.state_of(case),
            "publish-public_description": "Pothole, 30 cm deep.",
            "publish-media_public": "on",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.public_description, case.media_public) == (
        "Pothole, 30 cm deep.",
        True,
    )
    page = client.get(reverse("staff:case", args=[case.reference]))
    assert "Anna Svensson, 070-123 45 67" in page.content.decode()


def test_publish_refuses_a_too_long_description(client, case, caseworker):
    login(client, caseworker)
    response = client.post(
        reverse("staff:publish", args=[case.reference]),
        {
            "publish-state": services.state_of(case),
            "publish-public_description": "x" * 4001,
        },
    )
    assert response.status_code == 400
    assert not case.events.filter(kind=CaseEvent.Kind.PUBLISHED).exists()


@pytest.fixture
def multi(service):
    question = QuestionFactory(
        service=service,
        key="kinds",
        kind=Question.Kind.MULTI_CHOICE,
        label="What kinds?",
        required=False,
    )
    ChoiceFactory(question=question, value="glass", label="Glass")
    ChoiceFactory(question=question, value="bags", label="Bags")
    return question


def test_several_choices_are_stored_as_a_list(service, multi):
    data = valid_form("k" * 43)
    form = CaseForm(
        {**data, "q_kinds": ["glass", "bags"]}, service=service, pending_count=0
    )
    assert form.is_valid(), form.errors
    assert form.answers()["kinds"] == ["glass", "bags"]


def test_several_choices_refuse_an_unknown_value(service, multi):
    form = CaseForm(
        {**valid_form("k" * 43), "q_kinds": ["glass", "gold"]}, service=service
    )
    assert not form.is_valid()
    assert form.errors["q_kinds"][0].startswith("Select a valid choice.")


def test_several_choices_are_read_as_their_labels(service, multi):
    from medborg.cases.payloads import answer_text

    assert answer_text(multi, ["glass", "bags"]) == "Glass, Bags"
