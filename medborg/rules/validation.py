"""Check a service's automation settings against its process and table."""

from django.conf import settings
from django.utils.translation import gettext as _

from modeltranslation import settings as mt_settings
from modeltranslation.utils import build_localized_fieldname

from medborg.processes.models import Step
from medborg.rules import guardrails
from medborg.rules.selectors import bindable, parsed


def _step_problems(service, steps: dict) -> dict:
    errors = {}
    at = steps.get(service.decision_step) if service.decision_step else None
    if service.decision_step and (at is None or at.is_final):
        errors["decision_step"] = _("“%(key)s” is not an open step of the process.") % {
            "key": service.decision_step
        }
        return errors
    if at is None and steps:
        at = min(steps.values(), key=lambda step: step.position)
    for field in ("approve_step", "reject_step"):
        key = getattr(service, field)
        if not key:
            errors[field] = _("Name the step a decision moves the case to.")
        elif at is not None and key not in at.next_steps:
            errors[field] = _(
                "The process does not allow a move from “%(at)s” to “%(key)s”."
            ) % {"at": at.key, "key": key}
    return errors


def _table_problems(service) -> dict:
    table = service.decision_table
    if table.service_id != service.pk:
        return {"decision_table": _("This table was written for another service.")}
    refused = guardrails.refusals(
        parsed(table),
        bound=set(bindable(service)),
        protected=settings.PROTECTED_CHARACTERISTICS,
    )
    if refused:
        return {"decision_table": "; ".join(found.message for found in refused)}
    return {}


def problems(service) -> dict[str, str]:
    """Field name → message for every automation setting that cannot work."""
    if service.automation == service.Automation.OFF:
        return {}
    errors = {}
    if service.decision_table is None:
        errors["decision_table"] = _("Choose the decision table to use.")
    elif service.pk:
        errors.update(_table_problems(service))
    if service.automation == service.Automation.DECIDE and not service.automation_basis:
        # The admin shows a translated field once per language: the error goes
        # on the default language's field, which is the one that must be filled.
        field = build_localized_fieldname(
            "automation_basis", mt_settings.DEFAULT_LANGUAGE
        )
        errors[field] = _("Automated decisions need the provision that allows them.")
    steps = {
        step.key: step for step in Step.objects.filter(process_id=service.process_id)
    }
    errors.update(_step_problems(service, steps))
    return errors
