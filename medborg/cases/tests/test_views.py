import re

from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

import pytest

from medborg.cases import services, tokens
from medborg.cases.models import Attachment, Case, CaseEvent
from medborg.cases.tests.conftest import OUTSIDE, jpeg_bytes, valid_form


def new_url(service):
    return reverse("cases:new", kwargs={"slug": service.slug})


def photo(name="p.jpg", **kwargs):
    return SimpleUploadedFile(name, jpeg_bytes(**kwargs), content_type="image/jpeg")


def test_form_shows_the_services_questions(client, service):
    response = client.get(new_url(service))
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("How big?", "Depth in cm", "Dangerous?", 'name="submission_key"'):
        assert text in html
    assert 'name="latitude"' in html
    assert 'type="file"' in html


def test_inactive_or_unknown_service_is_404(client, service):
    service.is_active = False
    service.save()
    assert client.get(new_url(service)).status_code == 404
    assert client.get("/services/no-such-service/").status_code == 404


def test_valid_report_redirects_to_receipt_with_reference(client, service):
    key = tokens.new_submission_key()
    response = client.post(new_url(service), valid_form(key))
    assert response.status_code == 302
    token = tokens.token_for_submission(key)
    assert response["Location"] == f"/track/{token}/receipt/"
    case = Case.objects.get()
    assert case.answers == {"size": "small", "depth": 12, "danger": True}
    assert (case.latitude, case.longitude) == (56.8777, 14.8091)
    assert case.language == "en"
    receipt = client.get(response["Location"])
    assert receipt.status_code == 200
    assert case.reference in receipt.content.decode()
    assert f"/track/{token}/" in receipt.content.decode()


def test_the_same_key_with_other_content_starts_a_new_form(client, service):
    key = tokens.new_submission_key()
    client.post(new_url(service), valid_form(key))
    response = client.post(new_url(service), valid_form(key, address="Elsewhere 9"))
    assert response.status_code == 409
    assert "already been sent" in response.content.decode()
    assert response.context["form"].initial["submission_key"] != key
    assert Case.objects.count() == 1


def test_form_submissions_are_rate_limited(client, service, settings):
    settings.SUBMIT_RATE = "2/m"
    codes = [
        client.post(
            new_url(service), valid_form(tokens.new_submission_key())
        ).status_code
        for _ in range(3)
    ]
    assert codes == [302, 302, 429]
    assert Case.objects.count() == 2


def test_odd_digits_in_remove_photo_are_ignored(client, service):
    data = valid_form(tokens.new_submission_key(), remove_photo="²")
    assert client.post(new_url(service), data).status_code == 302


def test_double_post_makes_one_case(client, service):
    key = tokens.new_submission_key()
    first = client.post(new_url(service), valid_form(key))
    second = client.post(new_url(service), valid_form(key))
    assert first["Location"] == second["Location"]
    assert Case.objects.count() == 1
    assert CaseEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"q_size": ""}, "q_size", "This field is required."),
        ({"q_size": "huge"}, "q_size", "Select a valid choice."),
        ({"q_depth": "101"}, "q_depth", "less than or equal to 100"),
        ({"q_depth": "deep"}, "q_depth", "Enter a number."),
        ({"contact_email": "anna@"}, "contact_email", "Enter a valid email address."),
        ({"longitude": ""}, "longitude", "Give both latitude and longitude"),
        (OUTSIDE, "latitude", "outside Växjö kommun"),
        ({"latitude": "", "longitude": "", "address": ""}, "address", "Mark the place"),
        ({"submission_key": "x"}, "submission_key", "The form is damaged"),
    ],
)
def test_invalid_input_is_shown_next_to_the_field(
    client, service, overrides, field, message
):
    data = valid_form(tokens.new_submission_key(), **overrides)
    response = client.post(new_url(service), data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert message in " ".join(errors[field])
    assert Case.objects.count() == 0
    assert CaseEvent.objects.count() == 0


def test_answers_survive_a_failed_validation(client, service):
    data = valid_form(
        tokens.new_submission_key(), q_depth="200", address="Kungsgatan 4"
    )
    html = client.post(new_url(service), data).content.decode()
    assert 'value="Kungsgatan 4"' in html
    assert re.search(r'<input[^>]*value="small"[^>]*checked', html)


def test_photos_are_kept_when_another_field_fails(client, service):
    key = tokens.new_submission_key()
    data = valid_form(key, q_size="")
    data["photos"] = [photo("a.jpg", exif_gps=True), photo("b.jpg")]
    response = client.post(new_url(service), data)
    assert response.status_code == 400
    assert "You have attached 2 photos" in response.content.decode()
    assert Attachment.objects.filter(case=None).count() == 2
    response = client.post(new_url(service), valid_form(key))
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.attachments.count() == 2


def test_a_bad_photo_is_refused_and_the_good_one_kept(client, service):
    key = tokens.new_submission_key()
    data = valid_form(key)
    data["photos"] = [
        photo("good.jpg"),
        SimpleUploadedFile("evil.jpg", b"<?php echo 1; ?>", content_type="image/jpeg"),
    ]
    response = client.post(new_url(service), data)
    assert response.status_code == 400
    assert "evil.jpg is not a photo we can read" in " ".join(
        response.context["form"].errors["photos"]
    )
    assert Attachment.objects.filter(case=None).count() == 1


def test_too_many_photos_are_refused(client, service):
    data = valid_form(tokens.new_submission_key())
    data["photos"] = [photo(f"{n}.jpg") for n in range(4)]
    response = client.post(new_url(service), data)
    assert "at most 3 photos" in " ".join(response.context["form"].errors["photos"])
    assert Attachment.objects.count() == 0


def test_removing_a_kept_photo(client, service):
    key = tokens.new_submission_key()
    data = valid_form(key, q_size="")
    data["photos"] = [photo()]
    client.post(new_url(service), data)
    attachment = Attachment.objects.get()
    response = client.post(
        new_url(service), valid_form(key, remove_photo=str(attachment.pk))
    )
    assert response.status_code == 200
    assert Attachment.objects.count() == 0
    assert Case.objects.count() == 0


def submitted(service, **kwargs):
    return services.submit_case(
        service=service, answers={"size": "small"}, latitude=56.88, longitude=14.81
    )


def test_tracking_page_shows_public_progress_only(client, service, caseworker):
    # A name no random token on the page (CSRF, CSP nonce) can contain by
    # chance, as the fixture's two-letter "cw" sometimes was.
    caseworker.username = "kim.caseworker"
    caseworker.save(update_fields=["username"])
    submission = submitted(service)
    case = submission.case
    services.add_note(case=case, text="Secret internal remark", by=caseworker)
    services.assign_case(case=case, assignee=caseworker, by=caseworker)
    services.move_case_to_step(
        case=case,
        step=case.process.steps.get(key="in-progress"),
        public_message="A crew is booked for Tuesday.",
        by=caseworker,
    )
    response = client.get(reverse("cases:track", kwargs={"token": submission.token}))
    html = response.content.decode()
    assert response.status_code == 200
    assert case.reference in html
    assert "A crew is booked for Tuesday." in html
    assert "In progress" in html
    assert "Streets and parks" in html
    assert "Secret internal remark" not in html
    assert caseworker.username not in html
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_staff_name_shown_only_when_chosen(client, service, caseworker):
    caseworker.public_name = "Kim Berg"
    caseworker.save()
    submission = submitted(service)
    services.assign_case(case=submission.case, assignee=caseworker, by=caseworker)
    url = reverse("cases:track", kwargs={"token": submission.token})
    assert "Kim Berg" not in client.get(url).content.decode()
    caseworker.show_name_to_citizens = True
    caseworker.save()
    cache.clear()  # a profile change shows once the page's cache entry expires
    assert "Kim Berg" in client.get(url).content.decode()


def test_status_json_and_etag(
    client, service, caseworker, django_capture_on_commit_callbacks
):
    submission = submitted(service)
    url = reverse("cases:status", kwargs={"token": submission.token})
    response = client.get(url)
    assert response.status_code == 200
    data = response.json()
    assert data["reference"] == submission.case.reference
    assert data["step_key"] == "received"
    assert data["version"] == 1
    assert [e["kind"] for e in data["timeline"]] == ["case.submitted"]
    assert "contact_email" not in data
    etag = response["ETag"]
    assert client.get(url, headers={"if-none-match": etag}).status_code == 304
    with django_capture_on_commit_callbacks(execute=True):
        services.move_case_to_step(
            case=submission.case,
            step=submission.case.process.steps.get(key="in-progress"),
            by=caseworker,
        )
    changed = client.get(url, headers={"if-none-match": etag})
    assert changed.status_code == 200
    assert changed.json()["step_key"] == "in-progress"


def test_status_part_is_the_live_region_only(client, service):
    submission = submitted(service)
    url = reverse("cases:track", kwargs={"token": submission.token}) + "?part=status"
    html = client.get(url).content.decode()
    assert "<html" not in html
    assert 'data-field="step"' in html


@pytest.mark.parametrize("token", ["x" * 43, "short", "%00%2F..", "ä" * 10, "A" * 500])
def test_unknown_or_malformed_token_is_404(client, service, token):
    submitted(service)
    assert client.get(f"/track/{token}/").status_code == 404
    assert client.get(f"/track/{token}/status.json").status_code == 404


def test_guessing_tokens_is_rate_limited(client, service, settings):
    settings.TRACK_GUESS_RATE = "3/m"
    submission = submitted(service)
    codes = [client.get(f"/track/{'y' * 43}{n}/").status_code for n in range(4)]
    assert codes == [404, 404, 404, 429]
    # a known token from the same address is refused too while the limit holds
    url = reverse("cases:track", kwargs={"token": submission.token})
    assert client.get(url).status_code == 429


def test_citizen_sees_own_photos_but_not_another_cases(client, service):
    key = tokens.new_submission_key()
    data = valid_form(key)
    data["photos"] = [photo()]
    client.post(new_url(service), data)
    attachment = Attachment.objects.get()
    token = tokens.token_for_submission(key)
    response = client.get(
        reverse("cases:photo", kwargs={"token": token, "photo_id": attachment.pk})
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    other = submitted(service)
    response = client.get(
        reverse("cases:photo", kwargs={"token": other.token, "photo_id": attachment.pk})
    )
    assert response.status_code == 404


def test_photo_files_are_not_served_publicly(client, service):
    key = tokens.new_submission_key()
    data = valid_form(key)
    data["photos"] = [photo()]
    client.post(new_url(service), data)
    name = Attachment.objects.get().image.name
    assert client.get(f"/media/{name}").status_code == 404
    assert client.get(f"/media-not-served/{name}").status_code == 404


def test_tracking_answers_come_from_cache_until_the_case_changes(
    client,
    service,
    caseworker,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    submission = submitted(service)
    url = reverse("cases:track", kwargs={"token": submission.token})
    client.get(url)
    with django_assert_num_queries(0):
        again = client.get(url)
    assert submission.case.reference in again.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        services.move_case_to_step(
            case=submission.case,
            step=submission.case.process.steps.get(key="in-progress"),
            public_message="On our way.",
            by=caseworker,
        )
    assert "On our way." in client.get(url).content.decode()


def test_status_json_needs_no_query_while_unchanged(
    client, service, django_assert_num_queries
):
    submission = submitted(service)
    url = reverse("cases:status", kwargs={"token": submission.token})
    etag = client.get(url)["ETag"]
    with django_assert_num_queries(0):
        assert client.get(url, headers={"if-none-match": etag}).status_code == 304
    with django_assert_num_queries(0):
        assert client.get(url).json()["reference"] == submission.case.reference
    cache.clear()
    with django_assert_num_queries(1):
        assert client.get(url, headers={"if-none-match": etag}).status_code == 304
