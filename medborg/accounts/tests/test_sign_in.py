from django.urls import reverse

from medborg.accounts.tests.factories import UserFactory


def attempt(client, password):
    return client.post(
        reverse("staff:login"), {"username": "kim", "password": password}
    )


def test_staff_sign_in_leads_to_the_inbox(client, db):
    UserFactory(username="kim", role="caseworker")
    response = attempt(client, "a-long-test-password")
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:inbox")


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
