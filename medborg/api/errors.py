"""One error body for the whole REST API: ``{"errors": [{field, code, message}]}``.

``field`` is a dotted path into the request (``answers.volume-m3``,
``photos.1``) or null for the request as a whole; ``code`` is stable for
programs, ``message`` translated for people.
"""

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from medborg.cases.intake import UNREADABLE_BODY, unreadable_body

NON_FIELD = {"non_field_errors", "__all__"}


def flatten(detail, field: str | None = None) -> list[dict]:
    """Every problem in a DRF error detail as a flat list, in request order."""
    if isinstance(detail, dict):
        problems = []
        for key, value in detail.items():
            name = field if key in NON_FIELD else f"{field}.{key}" if field else key
            problems += flatten(value, name)
        return problems
    if isinstance(detail, list):
        problems = []
        for index, item in enumerate(detail):
            nested = isinstance(item, dict | list)
            name = f"{field}.{index}" if nested and field else field
            problems += flatten(item, name)
        return problems
    return [
        {
            "field": field,
            "code": getattr(detail, "code", None) or "invalid",
            "message": str(detail),
        }
    ]


def exception_handler(exc, context):
    # Django's request parsing raises these before DRF sees the body; left
    # alone they would become the site's HTML error page.
    if isinstance(exc, UNREADABLE_BODY):
        code, message = unreadable_body(exc)
        body = {"errors": [{"field": None, "code": code, "message": message}]}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and set(data) == {"detail"}:
        data = data["detail"]
    response.data = {"errors": flatten(data)}
    return response
