import pytest

from medborg.api.models import Scope
from medborg.api.tests.conftest import PLACE, auth, submit
from medborg.cases import services

BODY = {"service": "pothole", "answers": {"size": "small", "danger": False}, **PLACE}


def create(api, key, **fields):
    response = api.post(
        "/api/v1/cases/", {**BODY, **fields}, format="json", **auth(key)
    )
    assert response.status_code == 201
    return response.json()["reference"]


def test_my_cases_lists_only_this_keys_cases(api, service, make_key):
    mine = make_key(Scope.CASES_CREATE, Scope.CASES_READ)
    other = make_key(Scope.CASES_CREATE, Scope.CASES_READ)
    own = create(api, mine)
    theirs = create(api, other)
    submit(service)
    body = api.get("/api/v1/my/cases/", **auth(mine)).json()
    assert [item["reference"] for item in body["results"]] == [own]
    assert api.get(f"/api/v1/my/cases/{theirs}/", **auth(mine)).status_code == 404


def test_my_case_shows_status_answers_and_the_citizens_timeline(
    api, service, create_key, caseworker
):
    reference = create(api, create_key, contact_email="anna@example.se")
    from medborg.cases.models import Case

    case = Case.objects.get(reference=reference)
    services.add_note(case=case, text="Internal remark", by=caseworker)
    services.move_case_to_step(
        case=case,
        step=case.process.steps.get(key="in-progress"),
        public_message="We are on it.",
        by=caseworker,
    )
    response = api.get(f"/api/v1/my/cases/{reference}/", **auth(create_key))
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["step_key"], body["team"]) == (
        "in_progress",
        "in-progress",
        "Streets and parks",
    )
    assert body["answers"] == {"size": "small", "danger": False}
    assert [(e["kind"], e["message"]) for e in body["timeline"]] == [
        ("case.submitted", ""),
        ("case.moved", "We are on it."),
    ]
    text = response.content.decode()
    assert "Internal remark" not in text
    assert "anna@example.se" not in text


def test_updated_since_follows_changes(api, service, create_key, caseworker):
    from medborg.cases.models import Case

    first = create(api, create_key)
    second = create(api, create_key)
    since = Case.objects.get(reference=second).updated_at
    case = Case.objects.get(reference=first)
    services.assign_case(case=case, assignee=caseworker, by=caseworker)
    url = "/api/v1/my/cases/"
    body = api.get(url, {"updated_since": since.isoformat()}, **auth(create_key))
    refs = [item["reference"] for item in body.json()["results"]]
    assert refs == [second, first]
    bad = api.get("/api/v1/my/cases/?updated_since=soon", **auth(create_key))
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "updated_since"


@pytest.mark.parametrize(
    ("who", "expected"),
    [("none", 401), ("create_only", 403), ("work_only", 403), ("revoked", 401)],
)
@pytest.mark.parametrize("detail", [False, True])
def test_my_cases_need_cases_read(
    api, service, make_key, caseworker, who, expected, detail
):
    from medborg.api.models import ApiKey
    from medborg.api.services import revoke_key

    creator = make_key(Scope.CASES_CREATE, Scope.CASES_READ, name="creator")
    reference = create(api, creator)
    headers = {}
    if who == "create_only":
        headers = auth(make_key(Scope.CASES_CREATE))
    elif who == "work_only":
        headers = auth(make_key(Scope.CASES_WORK, user=caseworker))
    elif who == "revoked":
        headers = auth(creator)
        revoke_key(key=ApiKey.objects.get(name="creator"))
    url = f"/api/v1/my/cases/{reference}/" if detail else "/api/v1/my/cases/"
    assert api.get(url, **headers).status_code == expected


def test_my_cases_etag(api, service, create_key):
    create(api, create_key)
    first = api.get("/api/v1/my/cases/", **auth(create_key))
    assert first["Cache-Control"] == "private, no-cache"
    again = api.get(
        "/api/v1/my/cases/", HTTP_IF_NONE_MATCH=first["ETag"], **auth(create_key)
    )
    assert again.status_code == 304


def test_my_cases_list_costs_the_same_queries_for_more_cases(
    api, service, create_key, django_assert_num_queries
):
    for _ in range(4):
        create(api, create_key)
    # the key, its last use (at most once a minute: not here), count, page
    with django_assert_num_queries(3):
        body = api.get("/api/v1/my/cases/", **auth(create_key)).json()
    assert body["count"] == 4
