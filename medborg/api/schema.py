"""OpenAPI pieces shared by every endpoint: the key's security scheme, the
error body and the responses each kind of endpoint may give."""

from django.utils.translation import gettext_lazy as _

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """``Authorization: Bearer <key>``; ``X-Api-Key: <key>`` works as well."""

    target_class = "medborg.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": str(
                _(
                    "An API key issued by the municipality. "
                    "The header X-Api-Key: <key> is accepted as well."
                )
            ),
        }


class ProblemSerializer(serializers.Serializer):
    field = serializers.CharField(
        allow_null=True,
        help_text=_("Dotted path into the request, or null for the whole request."),
    )
    code = serializers.CharField(help_text=_("Stable, for programs."))
    message = serializers.CharField(help_text=_("Translated, for people."))


class ErrorsSerializer(serializers.Serializer):
    errors = ProblemSerializer(many=True)


def _error(description):
    return OpenApiResponse(ErrorsSerializer, description=description)


BAD_REQUEST = _error(_("The request is invalid; each problem is listed."))
UNAUTHORIZED = _error(_("The API key is missing, unknown or revoked."))
FORBIDDEN = _error(_("The key lacks the scope, or its user lacks the role."))
NOT_FOUND = _error(_("No such item, or not visible to this key."))
CONFLICT = _error(_("The case changed meanwhile, or the key was reused."))
UNSUPPORTED = _error(_("The request body's content type is not accepted."))
THROTTLED = _error(_("The key made too many requests; try again later."))
NOT_MODIFIED = OpenApiResponse(
    description=_("Not modified: the If-None-Match header matches the ETag.")
)

IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=_("An ETag from an earlier response; 304 when unchanged."),
)


REFERENCE = OpenApiParameter(
    "reference",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    pattern=r"^[A-Za-z0-9-]{1,24}$",
    description=_("The case's reference, e.g. KOM-2026-000123."),
)
CODE = OpenApiParameter(
    "code",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    pattern=r"^[-a-zA-Z0-9_]{1,50}$",
    description=_("The service's code."),
)


def read_responses(ok, *, keyed=False, listed=False) -> dict:
    """Responses of a GET: ``ok`` on 200, 304, and the errors it may give.

    Lists answer 400 for bad filters or page numbers and 404 past the last page.
    """
    responses = {
        200: ok,
        304: NOT_MODIFIED,
        401: UNAUTHORIZED,
        404: NOT_FOUND,
        429: THROTTLED,
    }
    if keyed:
        responses[403] = FORBIDDEN
    if listed:
        responses[400] = BAD_REQUEST
    return responses


def write_responses(ok: dict) -> dict:
    """Responses of a POST with a key: ``ok`` and every error it may give."""
    return {
        **ok,
        400: BAD_REQUEST,
        401: UNAUTHORIZED,
        403: FORBIDDEN,
        404: NOT_FOUND,
        409: CONFLICT,
        415: UNSUPPORTED,
        429: THROTTLED,
    }
