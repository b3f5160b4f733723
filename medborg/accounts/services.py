"""Keep the role groups and their permissions as medborg.accounts.roles says."""

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from medborg.accounts.roles import PERMISSIONS, Role


@transaction.atomic
def sync_roles(**kwargs) -> list[Group]:
    """Create or update one group per role with exactly its listed permissions.

    Idempotent; runs after every ``migrate`` (connected to post_migrate).
    """
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    groups = []
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = [name.split(".", 1) for name in PERMISSIONS[role]]
        permissions = [
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codename in wanted
        ]
        group.permissions.set(permissions)
        groups.append(group)
    return groups
