from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from medborg.accounts.roles import CASE_ROLES, Role


class Team(models.Model):
    slug = models.SlugField(_("key"), unique=True)
    name = models.CharField(_("name"), max_length=120)
    email = models.EmailField(_("team e-mail"), blank=True)
    members = models.ManyToManyField(
        "accounts.User", related_name="teams", blank=True, verbose_name=_("members")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self):
        return self.name


class User(AbstractUser):
    public_name = models.CharField(
        _("name shown to citizens"),
        max_length=120,
        blank=True,
        help_text=_("Shown on a citizen's tracking page only if you choose so below."),
    )
    show_name_to_citizens = models.BooleanField(
        _("show my name to citizens"), default=False
    )
    is_demo = models.BooleanField(
        _("demo account"),
        default=False,
        help_text=_(
            "Created by the demo data; never allowed to sign in in production."
        ),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def citizen_facing_name(self):
        """The name a citizen may see, or an empty string."""
        if self.show_name_to_citizens and self.public_name:
            return self.public_name
        return ""

    def has_role(self, role: Role) -> bool:
        return self.groups.filter(name=role).exists()

    def works_on_cases(self) -> bool:
        return self.is_active and self.groups.filter(name__in=CASE_ROLES).exists()
