from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    name = "medborg.routing"
    verbose_name = _("Collection routes")
