"""The refusals of the Open311 endpoints, each answered as a GeoReport error list.

GeoReport v2 uses the HTTP status as each error's ``code``: 404 for an unknown
service, request, token or jurisdiction, 403 for a missing or wrong API key,
400 for anything else. 405 and 429 follow HTTP.
"""

from http import HTTPStatus


class Open311Error(Exception):
    """Stop handling the request and answer ``problems`` with ``status``."""

    def __init__(self, status: HTTPStatus, *problems: str, headers=None):
        super().__init__(status, problems)
        self.status = int(status)
        self.problems = list(problems)
        self.headers = headers or {}


def bad_request(*problems: str) -> Open311Error:
    return Open311Error(HTTPStatus.BAD_REQUEST, *problems)


def not_found(*problems: str) -> Open311Error:
    return Open311Error(HTTPStatus.NOT_FOUND, *problems)


def forbidden(*problems: str) -> Open311Error:
    return Open311Error(HTTPStatus.FORBIDDEN, *problems)
