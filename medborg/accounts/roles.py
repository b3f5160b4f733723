"""Name the staff roles and the model permissions each one carries.

Roles are Django groups created by a data migration from this table, so a role's
rights are visible in the admin and change with the code that relies on them.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CASEWORKER = "caseworker", _("Case worker")
    TEAMLEAD = "teamlead", _("Team lead")
    SERVICEADMIN = "serviceadmin", _("Service administrator")
    OPERATOR = "operator", _("Operator")
    DRIVER = "driver", _("Driver")
    DATASTEWARD = "datasteward", _("Data steward")
    SYSADMIN = "sysadmin", _("System administrator")


# Roles that work on cases; they also need to be members of the service's team.
CASE_ROLES = frozenset({Role.CASEWORKER, Role.TEAMLEAD})

_CATALOG = [
    f"{action}_{model}"
    for model in ("category", "service", "question", "choice")
    for action in ("add", "change", "delete", "view")
]
_PROCESSES = [
    f"{action}_{model}"
    for model in ("process", "step")
    for action in ("add", "change", "delete", "view")
]

_CRUD = ("add", "change", "delete", "view")
# Operators keep the bins, sensors and fleet, watch readings and plan routes.
_OPERATING = (
    [f"sensors.{action}_{model}" for model in ("bin", "device") for action in _CRUD]
    + [
        f"routing.{action}_{model}"
        for model in ("depot", "vehicle")
        for action in _CRUD
    ]
    + [
        "sensors.view_reading",
        "sensors.view_quarantinedreading",
        "sensors.delete_quarantinedreading",
        "sensors.view_bincase",
        "routing.add_routeplan",
        "routing.view_routeplan",
        "routing.view_route",
        "routing.view_stop",
        "routing.change_stop",
    ]
)

_DECIDING = ["rules.view_decision", "rules.override_decision"]

PERMISSIONS = {
    Role.CASEWORKER: ["cases.view_case", "cases.view_contact", *_DECIDING],
    # Team leads also reassign and extend deadlines, with a reason the citizen sees.
    Role.TEAMLEAD: [
        "cases.view_case",
        "cases.view_contact",
        "cases.assign_others",
        "cases.extend_deadline",
        "accounts.view_team",
        *_DECIDING,
    ],
    Role.SERVICEADMIN: [f"catalog.{name}" for name in _CATALOG]
    + [f"processes.{name}" for name in _PROCESSES]
    + [f"catalog.{action}_zone" for action in ("add", "change", "delete", "view")]
    + [f"rules.{action}_decisiontable" for action in ("add", "change", "view")]
    + ["rules.view_decision", "accounts.view_team"],
    Role.OPERATOR: _OPERATING,
    # A driver sees the day's routes and marks each stop emptied or skipped.
    Role.DRIVER: ["routing.view_route", "routing.view_stop", "routing.change_stop"],
    # The open data: the municipalities it is compared with, and recomputing.
    Role.DATASTEWARD: [
        *(f"opendata.{action}_peer" for action in ("add", "change", "delete", "view")),
        "opendata.view_peervalue",
        "opendata.view_progress",
        "opendata.change_progress",
    ],
    Role.SYSADMIN: [
        f"accounts.{action}_{model}"
        for model in ("user", "team")
        for action in ("add", "change", "delete", "view")
    ],
}
