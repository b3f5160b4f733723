import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

# django-ratelimit's notation: a count, a slash, an optional multiplier and a unit.
RATE = re.compile(r"[1-9][0-9]*/[1-9]?[0-9]*[smhd]")


class Scope(models.TextChoices):
    """What a key may do; read-only public endpoints need no key at all."""

    CASES_CREATE = "cases:create", _("Create cases for any service")
    CASES_READ = "cases:read", _("Read and follow the cases this key created")
    CASES_WORK = (
        "cases:work",
        _("Act as its staff user on the cases that user's role allows"),
    )
    SENSORS_WRITE = "sensors:write", _("Write sensor readings")


class ApiKey(models.Model):
    """A client application's key; only its SHA-256 is stored.

    Keys are revoked, never deleted, because cases keep which key sent them.
    """

    name = models.CharField(
        _("client application"),
        max_length=120,
        help_text=_("Who uses the key, e.g. the app's name and its maintainer."),
    )
    prefix = models.CharField(
        _("key starts with"),
        max_length=16,
        unique=True,
        editable=False,
        help_text=_("The first characters of the key, to recognise it; not secret."),
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="api_keys",
        verbose_name=_("acts as staff user"),
        help_text=_(
            "Only for the cases:work scope: the key may do what this user's roles "
            "and teams allow, and events record this user."
        ),
    )
    rate = models.CharField(
        _("rate limit"),
        max_length=20,
        blank=True,
        help_text=_("E.g. 600/m or 10000/h. Empty: MEDBORG_API_KEY_RATE."),
    )
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    created_at = models.DateTimeField(_("issued"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self):
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return self.is_active and scope in self.scopes

    def clean(self):
        errors = {}
        unknown = sorted(set(self.scopes) - set(Scope.values))
        if not isinstance(self.scopes, list) or unknown:
            errors["scopes"] = _("Unknown scopes: %(scopes)s.") % {
                "scopes": ", ".join(map(str, unknown))
            }
        if Scope.CASES_WORK in self.scopes and self.user_id is None:
            errors["user"] = _("A key with the cases:work scope acts as a staff user.")
        if self.rate and not RATE.fullmatch(self.rate):
            errors["rate"] = _("Write a rate as a number, a slash and s, m, h or d.")
        if errors:
            raise ValidationError(errors)
