"""Every staff URL and action against every role, anonymous included.

A view added to the ``staff`` namespace without a row here fails
``test_matrix_covers_every_staff_url``.
"""

from django.urls import get_resolver, reverse

import pytest

from medborg.accounts.roles import Role
from medborg.accounts.tests.factories import TeamFactory, UserFactory
from medborg.cases import photos, services, tokens
from medborg.cases.models import CaseEvent
from medborg.cases.tests.conftest import jpeg_bytes

# The landing page after sign-in is tested by role in accounts/tests.
PUBLIC = {"login", "logout", "start"}
WHO = ["anonymous", "no_role", "other_team", *[role.value for role in Role]]
WORKS = {Role.CASEWORKER.value, Role.TEAMLEAD.value}


def _expected(who, *, lead_only=False, ok=302):
    if who == "anonymous":
        return 302
    if who == "other_team":
        # The permission is checked before the case is looked up.
        return 403 if lead_only else 404
    if who in WORKS and not (lead_only and who != Role.TEAMLEAD.value):
        return ok
    return 403


# name: (method, case state, payload builder, lead only, success status)
MATRIX = {
    "inbox": ("get", "open", None, False, 200),
    "case": ("get", "open", None, False, 200),
    "photo": ("get", "open", None, False, 200),
    "thumbnail": ("get", "open", None, False, 200),
    "assign": ("post", "open", lambda case, other: {"assign": "me"}, False, 302),
    "note": ("post", "open", lambda case, other: {"text": "Checked."}, False, 302),
    "move": (
        "post",
        "open",
        lambda case, other: {
            "move-state": services.state_of(case),
            "move-step": case.process.steps.get(key="in-progress").pk,
        },
        False,
        302,
    ),
    "request_information": (
        "post",
        "open",
        lambda case, other: {
            "info-state": services.state_of(case),
            "info-question": "Which side of the road?",
        },
        False,
        302,
    ),
    "extend": (
        "post",
        "open",
        lambda case, other: {
            "extend-state": services.state_of(case),
            "extend-target": "case",
            "extend-days": "5",
            "extend-reason": "Waiting for a contractor.",
        },
        True,
        302,
    ),
    "duplicate": (
        "post",
        "open",
        lambda case, other: {
            "duplicate-state": services.state_of(case),
            "duplicate-original": other.reference,
        },
        False,
        302,
    ),
    "refer": (
        "post",
        "open",
        lambda case, other: {
            "refer-state": services.state_of(case),
            "refer-organisation": "Trafikverket",
            "refer-public_message": "A state road.",
        },
        False,
        302,
    ),
    "publish": (
        "post",
        "open",
        lambda case, other: {
            "publish-state": services.state_of(case),
            "publish-public_description": "A deep pothole by the bus stop.",
        },
        False,
        302,
    ),
    "decisions": ("get", "open", None, False, 200),
    "decide": (
        "post",
        "decidable",
        lambda case, other: {
            "decide-state": services.state_of(case),
            "decide-outcome": "approve",
            "decide-reason_text": "Meets the rules for a standard booking.",
        },
        False,
        302,
    ),
    "reopen": (
        "post",
        "closed",
        lambda case, other: {
            "reopen-state": services.state_of(case),
            "reopen-step": case.process.steps.get(key="in-progress").pk,
            "reopen-reason": "The hole is back.",
        },
        False,
        302,
    ),
}


def test_matrix_covers_every_staff_url():
    resolver = get_resolver()
    staff = resolver.namespace_dict["staff"][1]
    names = {name for name in staff.reverse_dict if isinstance(name, str)}
    assert names - PUBLIC == set(MATRIX)


def _user(who, team):
    if who == "anonymous":
        return None
    if who == "no_role":
        return UserFactory(teams=[team])
    if who == "other_team":
        return UserFactory(role=Role.CASEWORKER, teams=[TeamFactory()])
    return UserFactory(role=who, teams=[team])


def _url(name, case, photo_id):
    if name == "inbox":
        return reverse("staff:inbox")
    kwargs = {"reference": case.reference}
    if name in {"photo", "thumbnail"}:
        kwargs["photo_id"] = photo_id
    return reverse(f"staff:{name}", kwargs=kwargs)


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_staff_url_by_role(client, service, team, caseworker, name, who):
    method, state, payload, lead_only, ok = MATRIX[name]
    if state == "decidable":
        # A case worker decides where the service names the steps decisions lead to.
        service.approve_step, service.reject_step = "in-progress", "closed"
        service.save()
    key = tokens.new_submission_key()
    photo = photos.process(jpeg_bytes(), name="hole.jpg", max_bytes=5_000_000)
    services.add_pending_photos(submission_key=key, photos=[photo])
    case = services.submit_case(
        service=service,
        answers={"size": "small"},
        latitude=56.8777,
        longitude=14.8091,
        submission_key=key,
    ).case
    other = services.submit_case(
        service=service, answers={"size": "small"}, latitude=56.8777, longitude=14.8091
    ).case
    if state == "closed":
        case = services.move_case_to_step(
            case=case, step=case.process.steps.get(key="closed"), by=caseworker
        )
    user = _user(who, team)
    if user is not None:
        client.force_login(user, backend="medborg.accounts.backends.StaffBackend")
    events = CaseEvent.objects.count()
    url = _url(name, case, case.attachments.get().pk)
    if method == "get":
        response = client.get(url)
    else:
        response = client.post(url, payload(case, other))
    if name == "inbox":
        expected = {"anonymous": 302, "other_team": 200}.get(who) or _expected(
            who, ok=ok
        )
    else:
        expected = _expected(who, lead_only=lead_only, ok=ok)
    assert response.status_code == expected, response.content[:500]
    if who == "anonymous":
        assert response["Location"].startswith(reverse("staff:login"))
    if method == "post" and expected != ok:
        assert CaseEvent.objects.count() == events
