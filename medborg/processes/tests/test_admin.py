"""The process admin, used through the test client as a service administrator."""

from django.contrib.admin import helpers
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import pytest

from medborg.accounts.tests.factories import TeamFactory, UserFactory
from medborg.cases.models import Case, CaseEvent
from medborg.cases.services import submit_case
from medborg.catalog.models import Service
from medborg.catalog.tests.factories import ServiceFactory
from medborg.processes.models import Process, Step
from medborg.processes.tests.factories import ProcessFactory

CHANGELIST = "admin:processes_process_changelist"
BACKEND = "medborg.accounts.backends.StaffBackend"

STEPS = [
    ("received", "Received", 2, "", ["assessed"]),
    ("assessed", "Assessed", 5, "", ["repaired", "rejected"]),
    ("repaired", "Repaired", None, "resolved", []),
    ("rejected", "Rejected", None, "rejected", []),
]


@pytest.fixture
def team(db):
    return TeamFactory(slug="streets")


@pytest.fixture
def process(team):
    return ProcessFactory(
        key="pothole", name_en="Pothole", steps=STEPS, steps__team=team
    )


@pytest.fixture
def admin_client(client, db):
    user = UserFactory(username="serviceadmin", role="serviceadmin", is_staff=True)
    client.force_login(user, backend=BACKEND)
    return client


def change_url(process):
    return reverse("admin:processes_process_change", args=[process.pk])


def steps_of(process):
    return list(
        Step.objects.filter(process=process)
        .order_by("position")
        .values_list("key", "position", "team_id", "outcome", "next_steps")
    )


def step_form(process, edits=None, delete=(), add=()):
    """The change form as the browser posts it, with ``edits`` by step key.

    ``edits`` maps a step key to the fields to change (``next_steps`` as typed);
    ``delete`` names steps ticked for deletion; ``add`` gives new steps' fields.
    """
    edits = edits or {}
    steps = list(process.steps.order_by("position"))
    data = {
        "name_sv": process.name_sv or "Process",
        "name_da": process.name_da or "",
        "name_en": process.name_en or "",
        "steps-TOTAL_FORMS": len(steps) + len(add),
        "steps-INITIAL_FORMS": len(steps),
        "steps-MIN_NUM_FORMS": 0,
        "steps-MAX_NUM_FORMS": 1000,
    }
    rows = [
        {
            "id": step.pk,
            "key": step.key,
            "position": step.position,
            "team": step.team_id or "",
            "expected_days": step.expected_days or "",
            "outcome": step.outcome,
            "next_steps": ", ".join(step.next_steps),
            "name_sv": step.name_sv or step.name_en,
            "name_en": step.name_en or "",
            "public_description_sv": step.public_description_sv or "Text",
            **edits.get(step.key, {}),
            **({"DELETE": "on"} if step.key in delete else {}),
        }
        for step in steps
    ]
    rows += [{"id": "", "public_description_sv": "Text", **new} for new in add]
    for n, row in enumerate(rows):
        data.update({f"steps-{n}-{name}": value for name, value in row.items()})
        data[f"steps-{n}-process"] = process.pk
    return data


def submit(service):
    return submit_case(service=service, answers={}).case


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 302), ("caseworker", 403), ("no-role", 403), ("serviceadmin", 200)],
)
def test_process_list_by_role(client, process, who, status):
    if who != "anonymous":
        role = {"no-role": None}.get(who, who)
        user = UserFactory(username=who, role=role, is_staff=True)
        client.force_login(user, backend=BACKEND)
    assert client.get(reverse(CHANGELIST)).status_code == status


def test_changelist_shows_services_cases_and_frozen(admin_client, process, team):
    service = ServiceFactory(process=process, team=team)
    ServiceFactory(process=process, team=team)
    submit(service)
    ProcessFactory(key="parking", name_en="Parking permit", steps__team=team)

    response = admin_client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    rows = {
        row.key: (row.version, row.service_count, row.case_count)
        for row in response.context["cl"].result_list
    }
    assert rows == {"pothole": (1, 2, 1), "parking": (1, 0, 0)}
    html = response.content.decode()
    assert '<td class="field-frozen"><img src="/static/admin/img/icon-yes.svg"' in html
    assert '<td class="field-frozen"><img src="/static/admin/img/icon-no.svg"' in html


def test_changelist_queries_do_not_grow_with_the_rows(admin_client, process, team):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(reverse(CHANGELIST)).status_code == 200
        return len(captured)

    submit(ServiceFactory(process=process, team=team))
    few = queries()
    for n in range(4):
        other = ProcessFactory(key=f"other-{n}", steps__team=team)
        submit(ServiceFactory(process=other, team=team))
    assert queries() == few


def test_change_form_shows_moves_as_comma_separated_keys(admin_client, process):
    response = admin_client.get(change_url(process))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="steps-1-next_steps" value="repaired, rejected"' in html
    assert "separated by commas" in html


def test_valid_steps_are_saved_with_moves_as_lists(admin_client, process):
    data = step_form(
        process,
        edits={"assessed": {"next_steps": "repaired,rejected  duplicate"}},
        add=[
            {
                "key": "duplicate",
                "position": 9,
                "team": process.steps.first().team_id,
                "outcome": "duplicate",
                "next_steps": "",
                "name_sv": "Dubblett",
            }
        ],
    )
    response = admin_client.post(change_url(process), data)
    assert response.status_code == 302
    team = process.steps.first().team_id
    assert steps_of(process) == [
        ("received", 0, team, "", ["assessed"]),
        ("assessed", 1, team, "", ["repaired", "rejected", "duplicate"]),
        ("repaired", 2, team, "resolved", []),
        ("rejected", 3, team, "rejected", []),
        ("duplicate", 9, team, "duplicate", []),
    ]


def test_steps_may_swap_positions_and_keys(admin_client, process):
    data = step_form(
        process,
        edits={
            "repaired": {"position": 3, "key": "rejected", "outcome": "rejected"},
            "rejected": {"position": 2, "key": "repaired", "outcome": "resolved"},
        },
    )
    response = admin_client.post(change_url(process), data)
    assert response.status_code == 302
    team = process.steps.first().team_id
    assert steps_of(process) == [
        ("received", 0, team, "", ["assessed"]),
        ("assessed", 1, team, "", ["repaired", "rejected"]),
        ("repaired", 2, team, "resolved", []),
        ("rejected", 3, team, "rejected", []),
    ]


def test_a_deleted_step_frees_its_key_for_another(admin_client, process):
    data = step_form(
        process,
        edits={"assessed": {"key": "rejected", "next_steps": "repaired"}},
        delete=["rejected"],
    )
    data["steps-0-next_steps"] = "rejected"
    response = admin_client.post(change_url(process), data)
    assert response.status_code == 302
    assert [key for key, *_rest in steps_of(process)] == [
        "received",
        "rejected",
        "repaired",
    ]


def test_invalid_steps_rerender_with_every_problem_and_change_nothing(
    admin_client, process
):
    before = steps_of(process)
    data = step_form(
        process,
        edits={
            "received": {"next_steps": "assessed, inspected"},
            "assessed": {"next_steps": ""},
            "rejected": {"next_steps": "received"},
        },
    )

    response = admin_client.post(change_url(process), data)

    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.non_form_errors()
    assert list(errors) == [
        "Step “received” moves to unknown steps: inspected.",
        "Step “assessed” moves nowhere and is not an outcome.",
        "Outcome step “rejected” cannot move on; cases are reopened instead.",
        "From step “received” no outcome can be reached.",
        "From step “assessed” no outcome can be reached.",
        "Step “repaired” cannot be reached from the first step.",
        "Step “rejected” cannot be reached from the first step.",
    ]
    html = response.content.decode()
    assert "Step “assessed” moves nowhere and is not an outcome." in html
    assert steps_of(process) == before


def test_deleting_every_step_is_refused(admin_client, process):
    before = steps_of(process)
    data = step_form(process, delete=[key for key, *_rest in STEPS])
    response = admin_client.post(change_url(process), data)
    assert response.status_code == 200
    assert "A process needs at least one step." in response.content.decode()
    assert steps_of(process) == before


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("repaired; rejected", "“repaired;” is not a step key"),
        ("Åtgärdad", "“Åtgärdad” is not a step key"),
    ],
)
def test_moves_that_are_not_keys_are_refused(admin_client, process, typed, message):
    before = steps_of(process)
    data = step_form(process, edits={"assessed": {"next_steps": typed}})
    response = admin_client.post(change_url(process), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert steps_of(process) == before


def test_a_step_without_a_team_is_refused(admin_client, process):
    before = steps_of(process)
    data = step_form(process, edits={"assessed": {"team": ""}})
    response = admin_client.post(change_url(process), data)
    assert response.status_code == 200
    form = response.context["inline_admin_formsets"][0].formset.forms[1]
    assert form.errors == {"team": ["This field is required."]}
    assert steps_of(process) == before


def test_a_frozen_process_is_shown_read_only_with_the_reason(admin_client, process):
    submit(ServiceFactory(process=process))
    submit(ServiceFactory(process=process))

    response = admin_client.get(change_url(process))

    assert response.status_code == 200
    html = response.content.decode()
    assert "2 cases use this version; make a new version to change it" in html
    assert 'name="_save"' not in html
    assert 'name="steps-0-key"' not in html
    assert "Delete" not in html
    assert '<div class="readonly">repaired, rejected</div>' in html
    assert response.context["has_change_permission"] is False


def test_a_post_to_a_frozen_process_changes_nothing(admin_client, process):
    submit(ServiceFactory(process=process))
    before = steps_of(process)
    data = step_form(process, edits={"received": {"expected_days": 1}})

    response = admin_client.post(change_url(process), data)

    assert response.status_code == 403
    assert steps_of(process) == before


def test_a_frozen_process_cannot_be_deleted(admin_client, process):
    submit(ServiceFactory(process=process))
    url = reverse("admin:processes_process_delete", args=[process.pk])

    assert admin_client.get(url).status_code == 403
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Process.objects.filter(pk=process.pk).exists()


def test_bulk_delete_leaves_a_frozen_process(admin_client, process):
    submit(ServiceFactory(process=process))

    response = admin_client.post(
        reverse(CHANGELIST),
        {
            "action": "delete_selected",
            helpers.ACTION_CHECKBOX_NAME: [process.pk],
            "post": "yes",
        },
    )

    assert response.status_code == 200
    assert "Cannot delete process" in response.content.decode()
    assert Process.objects.filter(pk=process.pk).exists()
    assert steps_of(process) == [
        (key, n, process.steps.first().team_id, outcome, moves)
        for n, (key, _name, _days, outcome, moves) in enumerate(STEPS)
    ]


def test_an_unused_process_can_be_deleted(admin_client, team):
    unused = ProcessFactory(key="unused", steps__team=team)
    url = reverse("admin:processes_process_delete", args=[unused.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not Process.objects.filter(pk=unused.pk).exists()


def test_a_new_key_cannot_reuse_an_existing_one(admin_client, process):
    data = step_form(process)
    data.update({"key": "pothole"})
    for n in range(len(STEPS)):
        data[f"steps-{n}-id"] = ""
        del data[f"steps-{n}-process"]
    data["steps-INITIAL_FORMS"] = 0

    response = admin_client.post(reverse("admin:processes_process_add"), data)

    assert response.status_code == 200
    assert "A process with the key “pothole” exists." in response.content.decode()
    assert Process.objects.count() == 1


def test_action_makes_a_new_version_and_opens_it(admin_client, process):
    service = ServiceFactory(process=process)
    case = submit(service)

    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "make_new_version", helpers.ACTION_CHECKBOX_NAME: [process.pk]},
    )

    copy = Process.objects.get(key="pothole", version=2)
    assert response.status_code == 302
    assert response.url == change_url(copy)
    assert [row[:1] + row[2:] for row in steps_of(copy)] == [
        row[:1] + row[2:] for row in steps_of(process)
    ]
    page = admin_client.get(response.url).content.decode()
    assert "Version 2 of “Pothole” made from version 1." in page
    assert 'name="_save"' in page
    service.refresh_from_db()
    case.refresh_from_db()
    assert (service.process_id, case.process_id) == (process.pk, process.pk)


def test_action_uses_a_version_for_new_cases(admin_client, process):
    services = [ServiceFactory(process=process) for _ in range(3)]
    copy = ProcessFactory(key="pothole", version=2, name_en="Pothole", steps=STEPS)
    Step.objects.filter(process=copy).update(team=process.steps.first().team)
    old_case = submit(services[0])

    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "use_for_new_cases", helpers.ACTION_CHECKBOX_NAME: [copy.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert (
        "3 services now use version 2 of “Pothole” for new cases."
        in response.content.decode()
    )
    assert set(Service.objects.values_list("process_id", flat=True)) == {copy.pk}
    old_case.refresh_from_db()
    assert old_case.process_id == process.pk
    assert submit(Service.objects.get(pk=services[0].pk)).process_id == copy.pk


def test_action_on_the_version_in_use_says_nothing_changed(admin_client, process):
    service = ServiceFactory(process=process)

    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "use_for_new_cases", helpers.ACTION_CHECKBOX_NAME: [process.pk]},
        follow=True,
    )

    assert (
        "No service changed: every service of “Pothole” already uses version 1."
        in response.content.decode()
    )
    service.refresh_from_db()
    assert service.process_id == process.pk


def test_action_refuses_an_invalid_version_with_its_problems(admin_client, process):
    service = ServiceFactory(process=process)
    broken = ProcessFactory(key="pothole", version=2, name_en="Pothole", steps=STEPS)
    cases_before = (Case.objects.count(), CaseEvent.objects.count())

    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "use_for_new_cases", helpers.ACTION_CHECKBOX_NAME: [broken.pk]},
        follow=True,
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert (
        "Version 2 of “Pothole” cannot be used for new cases; nothing was changed:"
        in html
    )
    for key, *_rest in STEPS:
        assert f"<li>Step “{key}” has no team.</li>" in html
    service.refresh_from_db()
    assert service.process_id == process.pk
    assert (Case.objects.count(), CaseEvent.objects.count()) == cases_before


def test_action_refuses_two_versions_of_one_process(admin_client, process):
    service = ServiceFactory(process=process)
    copy = ProcessFactory(key="pothole", version=2, steps=STEPS)
    Step.objects.filter(process=copy).update(team=process.steps.first().team)

    response = admin_client.post(
        reverse(CHANGELIST),
        {
            "action": "use_for_new_cases",
            helpers.ACTION_CHECKBOX_NAME: [process.pk, copy.pk],
        },
        follow=True,
    )

    assert "Choose one version of each process" in response.content.decode()
    service.refresh_from_db()
    assert service.process_id == process.pk


def test_adopting_needs_the_right_to_change_services(client, process):
    user = UserFactory(username="editor", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="processes")
    )
    client.force_login(user, backend=BACKEND)
    response = client.get(reverse(CHANGELIST))
    actions = [
        value
        for value, _label in response.context["action_form"].fields["action"].choices
    ]
    assert "make_new_version" in actions
    assert "use_for_new_cases" not in actions
