"""Mark a route's stops emptied or skipped, as the driver reports them.

A stop is marked once: the row is locked first, so two taps on a phone with a
poor connection, or a driver and an operator at the same moment, run one after
the other and the second is refused with ``StopAlreadyMarked``. Marking a stop
emptied closes its bin's emptying case in the same transaction.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from medborg.routing.models import Stop
from medborg.sensors.services import emptying


class StopAlreadyMarked(Exception):
    """The stop was marked emptied or skipped before; it is left as it was."""

    def __init__(self, stop: Stop):
        self.stop = stop
        super().__init__(
            _(
                "Stop %(position)s was already marked at %(time)s (%(status)s); "
                "nothing was changed."
            )
            % {
                "position": stop.position,
                "time": f"{timezone.localtime(stop.done_at):%H:%M}"
                if stop.done_at
                else "–",
                "status": stop.get_status_display(),
            }
        )


class InvalidMark(ValueError):
    """The requested status or skip reason is not allowed."""


def _check(status: str, skip_reason: str) -> None:
    if status == Stop.Status.EMPTIED:
        if skip_reason:
            raise InvalidMark(_("An emptied stop has no reason for skipping."))
    elif status == Stop.Status.SKIPPED:
        if skip_reason not in Stop.SkipReason.values:
            raise InvalidMark(_("Choose why the stop was skipped."))
    else:
        raise InvalidMark(
            _("A stop is marked emptied or skipped, not %(status)s.")
            % {"status": status}
        )


@transaction.atomic
def mark_stop(*, stop: Stop, status: str, skip_reason: str = "", by) -> Stop:
    """Mark ``stop`` emptied or skipped by ``by`` and return it as stored.

    Locks the stop row; sets ``done_at`` and ``done_by``. An emptied stop
    closes its bin's open emptying case (reason "driver") in the same
    transaction; a skipped stop leaves the case open for the next plan.
    Permission to mark the route's stops is assumed (checked by the view).

    Raises ``InvalidMark`` for a status other than emptied or skipped, a
    skipped stop without a known reason or an emptied stop with one, and
    ``StopAlreadyMarked`` when the stop is no longer planned; nothing changes
    in either case.
    """
    _check(status, skip_reason)
    locked = Stop.objects.select_for_update().select_related("bin").get(pk=stop.pk)
    if locked.status != Stop.Status.PLANNED:
        raise StopAlreadyMarked(locked)
    locked.status = status
    locked.skip_reason = skip_reason
    locked.done_at = timezone.now()
    locked.done_by = by
    locked.save(update_fields=["status", "skip_reason", "done_at", "done_by"])
    if status == Stop.Status.EMPTIED:
        emptying.close_emptying_case(
            bin=locked.bin, by=by, reason=emptying.Reason.DRIVER
        )
    return locked
