"""Version processes and put a version to use for new cases.

A version that cases use is frozen (see ``selectors.is_frozen``): it is changed
by copying it to a new version, editing the copy, and adopting the copy. Every
function here assumes the caller has checked the actor's permissions.
"""

import logging
from copy import deepcopy

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Max

from modeltranslation.translator import translator

from medborg.catalog.models import Service
from medborg.processes.models import Process, Step
from medborg.processes.selectors import step_specs
from medborg.processes.validation import problems

logger = logging.getLogger(__name__)


def _values(instance: models.Model, *, leave_out: set[str]) -> dict:
    """Return the concrete field values of ``instance`` by attribute name.

    Every language's column is copied (``name_sv``, ``name_da``, ...); the
    untranslated ``name`` is left to modeltranslation, whose descriptor would
    otherwise write the current language's fallback into that language's column.
    """
    model = type(instance)
    originals = set(translator.get_options_for_model(model).all_fields)
    return {
        field.attname: deepcopy(getattr(instance, field.attname))
        for field in model._meta.concrete_fields
        if not field.primary_key
        and field.name not in leave_out
        and field.name not in originals
    }


def check_process(process: Process) -> list[str]:
    """Return the problems of the saved steps of ``process``; empty when valid."""
    return problems(step_specs(process))


@transaction.atomic
def new_version(*, process: Process, by) -> Process:
    """Copy ``process`` and its steps to the next version of its key; return the copy.

    The copy carries every field of the process and of each step (all
    languages, team, expected days, outcome, moves) and gets version
    ``max(version of the key) + 1``, so copying an older version never clashes
    with a newer one. The original, its services and its cases are not touched.
    The versions of the key are locked before counting, so two copies made at
    once get different numbers.
    """
    original = Process.objects.get(pk=process.pk)
    versions = Process.objects.filter(key=original.key)
    # Waits for a copy being made at the same time to commit. The count is a
    # second statement: under READ COMMITTED only a new statement sees the row
    # that copy inserted (and PostgreSQL refuses FOR UPDATE with an aggregate).
    list(versions.select_for_update().values_list("pk", flat=True))
    latest = versions.aggregate(latest=Max("version"))["latest"]
    copy = Process.objects.create(
        **_values(original, leave_out={"version", "created_at"}),
        version=latest + 1,
    )
    Step.objects.bulk_create(
        Step(process=copy, **_values(step, leave_out={"process"}))
        for step in original.steps.order_by("position")
    )
    logger.info(
        "process versioned key=%s from=%s to=%s by=%s",
        copy.key,
        original.version,
        copy.version,
        getattr(by, "pk", None),
    )
    return copy


@transaction.atomic
def adopt_version(*, process: Process, by) -> int:
    """Make every service of this process's key use this version for new cases.

    Returns how many services changed (0 when all already used it). Cases that
    are running keep the version and steps they point to. Any version may be
    adopted, an older one too (to step back). Raises ValidationError with every
    problem of ``check_process`` when the version cannot carry a case to an
    outcome; nothing changes then.
    """
    found = check_process(process)
    if found:
        raise ValidationError(found)
    moving = list(
        Service.objects.select_for_update(of=("self",))
        .filter(process__key=process.key)
        .exclude(process=process)
        .values_list("pk", "code", "process__version")
    )
    Service.objects.filter(pk__in=[pk for pk, _code, _version in moving]).update(
        process=process
    )
    for _pk, code, version in moving:
        logger.info(
            "service process changed service=%s key=%s from=%s to=%s by=%s",
            code,
            process.key,
            version,
            process.version,
            getattr(by, "pk", None),
        )
    return len(moving)
