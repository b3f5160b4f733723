"""Shape catalog and case data as GeoReport v2 rows. Pure: no ORM.

Rows are ordered dictionaries in the element order of the specification
(http://wiki.open311.org/GeoReport_v2) and the mySociety extension for
request updates. Codes and ids are strings, times ISO 8601 with the offset.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from medborg.cases.lifecycle import is_open
from medborg.cases.publication import PublishedCase

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# The date of the last change to what these endpoints answer.
CHANGESET = "2026-11-23T00:00:00Z"

# Question kinds as GeoReport datatypes.
DATATYPES = {
    "text": "string",
    "long_text": "text",
    "number": "number",
    "date": "datetime",
    "choice": "singlevaluelist",
    "yes_no": "singlevaluelist",
    "multi_choice": "multivaluelist",
}


def moment(value) -> str | None:
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def service(service, *, has_questions: bool) -> dict:
    return {
        "service_code": service.code,
        "service_name": service.name,
        "description": service.short_description,
        "metadata": has_questions,
        "type": "realtime",
        "keywords": ", ".join(
            word.strip() for word in service.keywords.split(",") if word.strip()
        ),
        "group": service.category.name,
    }


def _values(question) -> list[dict]:
    if question.kind == "yes_no":
        return [{"key": "yes", "name": _("Yes")}, {"key": "no", "name": _("No")}]
    if question.kind in {"choice", "multi_choice"}:
        return [
            {"key": choice.value, "name": choice.label}
            for choice in question.choices.all()
        ]
    return []


def attribute(question, *, order: int) -> dict:
    return {
        "variable": True,
        "code": question.key,
        "datatype": DATATYPES.get(question.kind, "string"),
        "required": question.required,
        "datatype_description": question.help_text or "",
        "order": order,
        "description": question.label,
        "values": _values(question),
    }


def service_definition(service, questions) -> dict:
    return {
        "service_code": service.code,
        "attributes": [
            attribute(question, order=position)
            for position, question in enumerate(questions, start=1)
        ],
    }


def service_request(published: PublishedCase) -> dict:
    return {
        "service_request_id": published.reference,
        "status": published.status,
        "status_notes": published.status_notes,
        "service_name": published.service_name,
        "service_code": published.service_code,
        "description": published.description,
        "agency_responsible": published.agency_responsible,
        "service_notice": "",
        "requested_datetime": moment(published.requested_at),
        "updated_datetime": moment(published.updated_at),
        "expected_datetime": moment(published.expected_at),
        "address": published.address,
        "address_id": "",
        "zipcode": "",
        "lat": published.latitude,
        "long": published.longitude,
        "media_url": published.media_url,
    }


def created_request(reference: str, token: str) -> dict:
    return {
        "service_request_id": reference,
        "token": token,
        "service_notice": "",
        "account_id": "",
    }


def token(reference: str, value: str) -> dict:
    return {"service_request_id": reference, "token": value}


def request_update(event) -> dict:
    """An update of the mySociety extension; ``event.case`` is loaded with it.

    The status is the one the event moved the case to, else the case's own.
    """
    status = event.data.get("status") or event.case.status
    return {
        "update_id": str(event.pk),
        "service_request_id": event.case.reference,
        "status": "open" if is_open(status) else "closed",
        "updated_datetime": moment(event.at),
        "description": event.message if event.data.get("published") else "",
        "media_url": "",
    }


def discovery(*, base_url: str, contact: str) -> dict:
    return {
        "changeset": CHANGESET,
        "contact": contact,
        "key_service": _(
            "Ask the municipality's system administrator for an API key with "
            "the cases:create scope."
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": f"{base_url}/open311/v2",
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
