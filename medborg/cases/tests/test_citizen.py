"""The citizen's own actions on the tracking page: answer, rate, download."""

import json

from django.core import mail
from django.urls import reverse

import pytest

from medborg.cases import services
from medborg.cases.models import CaseEvent


@pytest.fixture
def submission(service):
    return services.submit_case(
        service=service,
        answers={"size": "large", "danger": True},
        latitude=56.88,
        longitude=14.81,
        address="Storgatan 1",
        contact_email="anna@example.se",
        language="en",
    )


def _url(name, token):
    return reverse(f"cases:{name}", kwargs={"token": token})


def test_a_question_is_shown_and_the_answer_goes_back_to_the_team(
    client, submission, caseworker, django_capture_on_commit_callbacks, run_tasks
):
    services.assign_case(case=submission.case, assignee=caseworker, by=caseworker)
    case = services.request_information(
        case=submission.case, question="Which side of the road?", by=caseworker
    )
    page = client.get(_url("track", submission.token)).content.decode()
    assert "Which side of the road?" in page
    assert "The clock is stopped" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url("reply", submission.token), {"reply-text": "The north side."}
        )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.on_hold_since) == ("in_progress", None)
    event = case.events.get(kind=CaseEvent.Kind.INFO_RECEIVED)
    assert (event.message, event.is_public, event.actor) == (
        "The north side.",
        True,
        None,
    )
    mail.outbox.clear()
    run_tasks()
    assert [message.to for message in mail.outbox] == [[caseworker.email]]
    assert "anna@example.se" not in mail.outbox[0].body


def test_an_empty_answer_is_refused_with_400(client, submission, caseworker):
    services.request_information(
        case=submission.case, question="Which side?", by=caseworker
    )
    before = CaseEvent.objects.count()
    response = client.post(_url("reply", submission.token), {"reply-text": ""})
    assert response.status_code == 400
    assert response.context["reply_form"].errors["text"]
    assert CaseEvent.objects.count() == before


def test_an_answer_when_nothing_was_asked_changes_nothing(client, submission):
    before = CaseEvent.objects.count()
    response = client.post(_url("reply", submission.token), {"reply-text": "Hello"})
    assert response.status_code == 302
    assert CaseEvent.objects.count() == before


def test_replies_need_the_token(client, submission):
    response = client.post(_url("reply", "not-a-token"), {"reply-text": "Hello"})
    assert response.status_code == 404


def _close(case, by):
    return services.move_case_to_step(
        case=case, step=case.process.steps.get(key="closed"), by=by
    )


def test_satisfaction_is_asked_once_when_closed(
    client, submission, caseworker, django_capture_on_commit_callbacks
):
    track = _url("track", submission.token)
    assert 'id="feedback"' not in client.get(track).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        _close(submission.case, caseworker)
    assert 'id="feedback"' in client.get(track).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url("feedback", submission.token),
            {"feedback-score": "4", "feedback-comment": "Quick repair."},
        )
    assert response.status_code == 302
    event = submission.case.events.get(kind=CaseEvent.Kind.RATED)
    assert (event.data, event.message, event.is_public) == (
        {"score": 4},
        "Quick repair.",
        False,
    )
    page = client.get(track).content.decode()
    assert 'id="feedback"' not in page
    assert "Thank you for telling us" in page
    client.post(_url("feedback", submission.token), {"feedback-score": "1"})
    assert submission.case.events.filter(kind=CaseEvent.Kind.RATED).count() == 1


@pytest.mark.parametrize("score", ["0", "6", "", "five"])
def test_a_bad_score_is_refused_with_400(client, submission, caseworker, score):
    _close(submission.case, caseworker)
    response = client.post(
        _url("feedback", submission.token), {"feedback-score": score}
    )
    assert response.status_code == 400
    assert response.context["feedback_form"].errors["score"]
    assert not submission.case.events.filter(kind=CaseEvent.Kind.RATED).exists()


def test_the_citizen_downloads_everything_stored_about_the_case(
    client, submission, caseworker
):
    services.add_note(case=submission.case, text="Internal remark", by=caseworker)
    services.request_information(
        case=submission.case, question="Which side?", by=caseworker
    )
    services.answer_information(case=submission.case, text="North.")
    response = client.get(_url("export", submission.token))
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="{submission.case.reference}.json"'
    )
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["reference"] == submission.case.reference
    assert data["contact_email"] == "anna@example.se"
    assert data["place"] == {
        "latitude": 56.88,
        "longitude": 14.81,
        "address": "Storgatan 1",
    }
    assert ["How big?", "Large"] in [
        [a["question"], a["answer"]] for a in data["answers"]
    ]
    assert [event["kind"] for event in data["events"]] == [
        "case.submitted",
        "case.info_requested",
        "case.info_received",
    ]
    assert "Internal remark" not in response.content.decode()
    page = client.get(_url("export_page", submission.token)).content.decode()
    assert "North." in page
    assert "Storgatan 1" in page
    assert "Internal remark" not in page


def test_export_needs_the_token(client, submission):
    assert client.get(_url("export", "x" * 43)).status_code == 404


def test_a_duplicate_points_the_citizen_to_the_original(
    client, service, submission, caseworker
):
    original = services.submit_case(
        service=service, answers={"size": "small"}, contact_email="bo@example.se"
    ).case
    services.mark_duplicate(
        case=submission.case,
        original=original,
        public_message="Reported before.",
        by=caseworker,
    )
    page = client.get(_url("track", submission.token)).content.decode()
    assert f"Follow case {original.reference}" in page
    assert "bo@example.se" not in page
    data = client.get(_url("status", submission.token)).json()
    assert data["original"]["reference"] == original.reference
    assert set(data["original"]) == {
        "reference",
        "service",
        "status_label",
        "step_name",
        "step_description",
        "team",
        "due_at",
    }
