"""Issuing, storing and revoking API keys: the raw key exists once."""

import io

from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

import pytest

from medborg.accounts.tests.factories import UserFactory
from medborg.api import selectors, services
from medborg.api.models import ApiKey, Scope


def test_issue_key_stores_only_the_hash(db):
    key, raw = services.issue_key(name="FixaStan", scopes=[Scope.CASES_CREATE])
    stored = ApiKey.objects.get()
    assert raw.startswith(f"{stored.prefix}_")
    assert stored.key_hash == services.hash_key(raw)
    assert raw not in {stored.name, stored.prefix, stored.key_hash}
    assert stored.scopes == ["cases:create"]
    assert key == stored


def test_two_keys_differ(db):
    _first, raw1 = services.issue_key(name="A", scopes=[])
    _second, raw2 = services.issue_key(name="B", scopes=[])
    assert raw1 != raw2
    assert len(raw1) >= 50


def test_active_key_finds_the_key_and_not_a_near_miss(db):
    key, raw = services.issue_key(name="A", scopes=[Scope.CASES_READ])
    assert selectors.active_key(raw) == key
    assert selectors.active_key(raw[:-1]) is None
    assert selectors.active_key("") is None
    assert selectors.active_key("x" * 201) is None


def test_revoked_key_stops_working_and_is_kept(db):
    key, raw = services.issue_key(name="A", scopes=[Scope.CASES_READ])
    revoked = services.revoke_key(key=key)
    first = revoked.revoked_at
    assert selectors.active_key(raw) is None
    assert services.revoke_key(key=key).revoked_at == first
    assert ApiKey.objects.count() == 1
    assert not revoked.has_scope(Scope.CASES_READ)


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"scopes": ["cases:delete"]}, "scopes"),
        ({"scopes": [Scope.CASES_WORK]}, "user"),
        ({"scopes": [], "rate": "fast"}, "rate"),
        ({"scopes": [], "rate": "0/m"}, "rate"),
    ],
)
def test_issue_key_refuses_bad_settings(db, fields, error_field):
    with pytest.raises(ValidationError) as raised:
        services.issue_key(name="A", **fields)
    assert error_field in raised.value.message_dict
    assert ApiKey.objects.count() == 0


def test_work_key_needs_and_takes_a_staff_user(db):
    user = UserFactory(role="caseworker")
    key, _raw = services.issue_key(
        name="Contact centre", scopes=[Scope.CASES_WORK], user=user, rate="100/m"
    )
    assert key.user == user
    assert key.rate == "100/m"


def test_touch_key_writes_at_most_once_a_minute(db, django_assert_num_queries):
    key, _raw = services.issue_key(name="A", scopes=[])
    with django_assert_num_queries(1):
        services.touch_key(key)
    with django_assert_num_queries(0):
        services.touch_key(key)
    assert ApiKey.objects.get().last_used_at is not None


def test_create_api_key_prints_the_key_once(db):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "create_api_key", "FixaStan", "--scope", "cases:create", stdout=out, stderr=err
    )
    raw = out.getvalue().strip()
    key = ApiKey.objects.get()
    assert selectors.active_key(raw) == key
    assert key.scopes == ["cases:create"]
    assert raw not in err.getvalue()
    assert key.prefix in err.getvalue()


def test_create_api_key_defaults_to_create_and_read(db):
    call_command("create_api_key", "App", stdout=io.StringIO(), stderr=io.StringIO())
    assert ApiKey.objects.get().scopes == ["cases:create", "cases:read"]


def test_create_api_key_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command(
            "create_api_key", "App", "--user", "ghost", "--scope", "cases:work"
        )
    assert ApiKey.objects.count() == 0


def test_create_api_key_names_the_problem(db):
    with pytest.raises(CommandError, match="user: A key with the cases:work scope"):
        call_command("create_api_key", "App", "--scope", "cases:work")


def _admin(client):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return admin


def test_admin_issues_a_key_and_shows_it_once(client, db):
    admin = _admin(client)
    response = client.post(
        reverse("admin:api_apikey_add"),
        {"name": "FixaStan", "scopes": ["cases:create", "cases:read"], "rate": ""},
        follow=True,
    )
    assert response.status_code == 200
    key = ApiKey.objects.get()
    shown = [str(m) for m in response.context["messages"]]
    words = [word.rstrip(".") for message in shown for word in message.split()]
    raw = next(word for word in words if word.startswith(key.prefix))
    assert selectors.active_key(raw) == key
    assert key.created_by == admin
    assert key.scopes == ["cases:create", "cases:read"]
    page = client.get(reverse("admin:api_apikey_change", args=[key.pk]))
    assert raw not in page.content.decode()


def test_admin_revokes_and_never_deletes(client, db):
    _admin(client)
    key, raw = services.issue_key(name="A", scopes=[])
    response = client.post(
        reverse("admin:api_apikey_changelist"),
        {"action": "revoke", "_selected_action": [key.pk]},
    )
    assert response.status_code == 302
    assert selectors.active_key(raw) is None
    delete = client.get(reverse("admin:api_apikey_delete", args=[key.pk]))
    assert delete.status_code == 403
