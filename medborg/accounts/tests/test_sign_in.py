from django.urls import reverse

import pytest

from medborg.accounts.roles import Role
from medborg.accounts.tests.factories import UserFactory


def attempt(client, password):
    return client.post(
        reverse("staff:login"), {"username": "kim", "password": password}
    )


def test_staff_sign_in_leads_to_the_inbox(client, db):
    UserFactory(username="kim", role="caseworker")
    response = attempt(client, "a-long-test-password")
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:start")
    assert client.get(response["Location"])["Location"] == reverse("staff:inbox")


# Each role lands on a page it may open, never on a 403.
LANDING = {
    Role.CASEWORKER: "staff:inbox",
    Role.TEAMLEAD: "staff:inbox",
    Role.OPERATOR: "routing:index",
    Role.DRIVER: "routing:mine",
    Role.SERVICEADMIN: "admin:index",
    Role.SYSADMIN: "admin:index",
}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_lands_where_it_works(client, db, role):
    UserFactory(
        username="kim", role=role, is_staff=role in LANDING and "admin" in LANDING[role]
    )
    signed_in = attempt(client, "a-long-test-password")
    landing = client.get(signed_in["Location"])
    if role not in LANDING:
        # A data steward has no staff page yet: refused, not sent on.
        assert landing.status_code == 403
        return
    assert landing.status_code == 302
    assert landing["Location"] == reverse(LANDING[role])
    assert client.get(landing["Location"]).status_code == 200


def test_an_account_without_a_role_is_refused_and_the_anonymous_sent_to_sign_in(
    client, db
):
    start = reverse("staff:start")
    assert client.get(start)["Location"].startswith(reverse("staff:login"))
    client.force_login(
        UserFactory(username="nobody"), backend="medborg.accounts.backends.StaffBackend"
    )
    assert client.get(start).status_code == 403
    assert client.post(start).status_code == 405


def test_repeated_failures_lock_the_account_out(client, db, settings):
    UserFactory(username="kim", role="caseworker")
    codes = [
        attempt(client, "wrong").status_code for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert codes == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    locked = attempt(client, "a-long-test-password")
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_roles_exist_after_migrate(db):
    from django.contrib.auth.models import Group

    from medborg.accounts.roles import Role

    names = set(Group.objects.values_list("name", flat=True))
    assert {role.value for role in Role} <= names
    serviceadmin = Group.objects.get(name="serviceadmin")
    assert serviceadmin.permissions.filter(codename="change_service").exists()
    assert (
        not Group.objects.get(name="caseworker")
        .permissions.filter(codename="change_service")
        .exists()
    )


def test_sysadmin_cannot_grant_superuser(client, db):
    from medborg.accounts.models import User

    admin = UserFactory(username="sys", role="sysadmin", is_staff=True)
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(admin, backend="medborg.accounts.backends.StaffBackend")
    url = reverse("admin:accounts_user_change", args=[admin.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="is_superuser"' not in page.content.decode()
    client.post(
        url,
        {"username": "sys", "is_superuser": "on", "is_staff": "on", "is_active": "on"},
    )
    assert not User.objects.get(pk=admin.pk).is_superuser
    other = reverse("admin:accounts_user_change", args=[root.pk])
    assert client.get(other).status_code == 302  # not found: back to the list
