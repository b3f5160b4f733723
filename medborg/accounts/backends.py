"""Keep demo accounts and the demo password out of production."""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DEMO_PASSWORD = "medborg-demo"  # noqa: S105  (documented, refused in production)


class StaffBackend(ModelBackend):
    """ModelBackend that refuses demo accounts and the demo password in production."""

    def user_can_authenticate(self, user):
        if settings.PRODUCTION and user.is_demo:
            return False
        return super().user_can_authenticate(user)

    def authenticate(self, request, username=None, password=None, **kwargs):
        if settings.PRODUCTION and password == DEMO_PASSWORD:
            return None
        return super().authenticate(request, username, password, **kwargs)


class NotTheDemoPasswordValidator:
    """Refuse the published demo password as anyone's password."""

    def validate(self, password, user=None):
        if password == DEMO_PASSWORD and settings.PRODUCTION:
            raise ValidationError(
                _("This password is published with the demo data; choose another."),
                code="demo_password",
            )

    def get_help_text(self):
        return _("Your password can't be the demo data's published password.")
