"""The Open311 GeoReport v2 endpoints and the mySociety request updates.

Each view answers in the format its URL's suffix names; every refusal is a
GeoReport error list in that format (see ``errors``). POST needs no CSRF
token: the API key is the credential and no cookie is read.
"""

from datetime import timedelta
from functools import wraps
from http import HTTPStatus

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from medborg.cases.intake import UNREADABLE_BODY, unreadable_body
from medborg.cases.publication import published_case
from medborg.open311 import params, payloads, selectors, submission
from medborg.open311.errors import Open311Error, bad_request, not_found
from medborg.open311.formats import render, render_errors

SIGNING_SALT = "medborg.open311.token"
DEFAULT_REQUESTS_DAYS = 90
DEFAULT_UPDATES_HOURS = 24
STATUSES = ("open", "closed")
READ = ("GET", "HEAD")


def endpoint(*, methods=READ):
    """Answer a wrong method with 405 and any Open311Error as an error list."""

    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request, fmt, **kwargs):
            try:
                if request.method not in methods:
                    raise Open311Error(
                        HTTPStatus.METHOD_NOT_ALLOWED,
                        _("The method %(method)s is not allowed here.")
                        % {"method": request.method},
                        headers={"Allow": ", ".join(methods)},
                    )
                return view(request, fmt, **kwargs)
            except UNREADABLE_BODY as error:
                # Django refused the body (too many fields, too large,
                # malformed); left alone it would be the site's HTML page.
                _code, message = unreadable_body(error)
                return render_errors([message], fmt, status=HTTPStatus.BAD_REQUEST)
            except Open311Error as error:
                return render_errors(
                    error.problems, fmt, status=error.status, headers=error.headers
                )

        return wrapper

    return decorate


@csrf_exempt
def unknown(request, path=""):
    """Anything else under /open311/: 404 in the format the suffix asks for."""
    fmt = "xml" if path.endswith(".xml") else "json"
    return render_errors(
        [_("There is no such Open311 resource.")], fmt, status=HTTPStatus.NOT_FOUND
    )


@endpoint()
def discovery(request, fmt):
    data = payloads.discovery(
        base_url=settings.BASE_URL,
        contact=settings.DEFAULT_FROM_EMAIL or settings.MUNICIPALITY_NAME,
    )
    return render(data, fmt, root="discovery", item=None)


@endpoint()
def services(request, fmt):
    params.check_jurisdiction(request.GET)
    rows = [
        payloads.service(service, has_questions=service.has_questions)
        for service in selectors.services()
    ]
    return render(rows, fmt, root="services", item="service")


@endpoint()
def service_definition(request, fmt, code):
    params.check_jurisdiction(request.GET)
    service = selectors.service(code) if "\x00" not in code else None
    if service is None:
        raise not_found(
            _("service_code: no service has the code %(code)s.") % {"code": code}
        )
    data = payloads.service_definition(service, service.questions.all())
    return render(data, fmt, root="service_definition", item=None)


def _photo_url(case) -> str:
    if not case.public_photo_id:
        return ""
    return settings.BASE_URL + reverse(
        "cases:public_photo", args=[case.public_photo_id]
    )


def _request_rows(cases) -> list[dict]:
    return [
        payloads.service_request(published_case(case, photo_url=_photo_url(case)))
        for case in cases
    ]


def _request_filter(data) -> selectors.RequestFilter:
    ids = params.values(data, "service_request_id")
    if ids:
        return selectors.RequestFilter(ids=ids)
    statuses = [status.lower() for status in params.values(data, "status")]
    if set(statuses) - set(STATUSES):
        raise bad_request(_("status: give open, closed or both, comma-separated."))
    start = params.moment(data, "start_date")
    end = params.moment(data, "end_date")
    if start and end and start > end:
        raise bad_request(_("start_date: must not be after end_date."))
    if start is None:
        start = (end or timezone.now()) - timedelta(days=DEFAULT_REQUESTS_DAYS)
    return selectors.RequestFilter(
        service_codes=params.values(data, "service_code"),
        start=start,
        end=end,
        statuses=statuses,
    )


def _signer() -> signing.Signer:
    """Without a timestamp, so that a retried POST gets the same token back."""
    return signing.Signer(salt=SIGNING_SALT)


@endpoint(methods=("GET", "HEAD", "POST"))
def service_requests(request, fmt):
    """GET: published requests, filtered and paged. POST: create a request."""
    if request.method == "POST":
        created = submission.create_request(request)
        token = _signer().sign(str(created.case.pk))
        row = payloads.created_request(created.case.reference, token)
        return render([row], fmt, root="service_requests", item="request")
    params.check_jurisdiction(request.GET)
    wanted = _request_filter(request.GET)
    cases = selectors.requests(wanted, params.page(request.GET))
    return render(_request_rows(cases), fmt, root="service_requests", item="request")


@endpoint()
def service_request(request, fmt, reference):
    params.check_jurisdiction(request.GET)
    case = selectors.request(reference) if "\x00" not in reference else None
    if case is None:
        raise not_found(
            _("service_request_id: no public request has the id %(id)s.")
            % {"id": reference}
        )
    return render(_request_rows([case]), fmt, root="service_requests", item="request")


@endpoint()
def token(request, fmt, token):
    params.check_jurisdiction(request.GET)
    try:
        pk = _signer().unsign(token)
    except signing.BadSignature:
        pk = None
    reference = selectors.case_reference(int(pk)) if pk and pk.isdigit() else None
    if reference is None:
        raise not_found(_("token: no request has this token."))
    rows = [payloads.token(reference, token)]
    return render(rows, fmt, root="service_requests", item="request")


@endpoint()
def request_updates(request, fmt):
    """The mySociety extension: public progress of published requests."""
    params.check_jurisdiction(request.GET)
    start = params.moment(request.GET, "start_date")
    end = params.moment(request.GET, "end_date") or timezone.now()
    if start is None:
        start = end - timedelta(hours=DEFAULT_UPDATES_HOURS)
    if start > end:
        raise bad_request(_("start_date: must not be after end_date."))
    events = selectors.updates(start=start, end=end, page=params.page(request.GET))
    return render(
        [payloads.request_update(event) for event in events],
        fmt,
        root="service_request_updates",
        item="request_update",
    )
