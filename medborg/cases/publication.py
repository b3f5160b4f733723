"""Shape what anyone may see of a case: Open311, the public API, maps.

Pure: takes a case annotated by ``selectors.published_cases`` and reads no
database. What is shown follows the Privacy rules of the architecture: no
contact details, no answers, free text and media only once staff published
them, and the place rounded unless the service is about public places.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from medborg.cases.lifecycle import is_open

# Three decimals of a degree: about 110 m north–south and 60 m east–west at
# Scandinavian latitudes, enough to show the area without pointing at a home.
AREA_DECIMALS = 3

# The citizen's own acts are theirs, not the municipality's progress.
PRIVATE_KINDS = frozenset(
    {"case.info_received", "case.rated", "decision.appealed", "citizen.mailed"}
)


@dataclass(frozen=True)
class PublishedCase:
    reference: str
    service_code: str
    service_name: str
    status: str
    status_notes: str
    description: str
    agency_responsible: str
    step_name: str
    step_description: str
    requested_at: datetime
    updated_at: datetime
    expected_at: datetime | None
    address: str
    latitude: float | None
    longitude: float | None
    media_url: str


@dataclass(frozen=True)
class PublishedEvent:
    at: datetime
    kind: str
    label: str
    step_name: str
    message: str


def place(case) -> tuple[float | None, float | None, str]:
    """Latitude, longitude and address as the service's publicity allows."""
    publicity = case.service.publicity
    if case.latitude is None or case.longitude is None:
        latitude = longitude = None
    elif publicity == "exact":
        latitude, longitude = case.latitude, case.longitude
    else:
        latitude = round(case.latitude, AREA_DECIMALS)
        longitude = round(case.longitude, AREA_DECIMALS)
    return latitude, longitude, case.address if publicity == "exact" else ""


def published_case(case, *, photo_url: str = "") -> PublishedCase:
    """``photo_url``: where the first published photo is served, if any."""
    latitude, longitude, address = place(case)
    open_ = is_open(case.status)
    return PublishedCase(
        reference=case.reference,
        service_code=case.service.code,
        service_name=case.service.name,
        status="open" if open_ else "closed",
        status_notes=getattr(case, "status_note", None) or "",
        description=case.public_description,
        agency_responsible=case.team.name,
        step_name=case.step.name,
        step_description=case.step.public_description,
        requested_at=case.submitted_at,
        updated_at=case.updated_at,
        expected_at=case.due_at if open_ else None,
        address=address,
        latitude=latitude,
        longitude=longitude,
        media_url=(case.media_url if case.media_public else "") or photo_url,
    )


def published_events(events, step_names: dict[str, str]) -> list[PublishedEvent]:
    """The public events as progress: kind and step, messages only if published."""
    return [
        PublishedEvent(
            at=event.at,
            kind=event.kind,
            label=str(event.get_kind_display()) if event.kind else _("Update"),
            step_name=step_names.get(event.data.get("to", ""), ""),
            message=event.message if event.data.get("published") else "",
        )
        for event in events
        if event.kind not in PRIVATE_KINDS
    ]
