from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "medborg.accounts"
    verbose_name = _("Accounts and teams")

    def ready(self):
        from medborg.accounts.services import sync_roles

        post_migrate.connect(sync_roles, sender=self, dispatch_uid="sync_roles")
