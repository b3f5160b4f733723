"""No published open-data page, file or API answer holds anything about a person.

Every page and file is fetched, after cases that carry e-mail addresses, phone
numbers, personal identity numbers and names in every free-text field have
gone through the case services and into the figures. Each answer is scanned
for those patterns, for the names, tracking tokens and references of the
cases, and for the citizens' and staff's own words.
"""

import csv
import html
import io
import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from django.db import transaction
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

import pytest

from medborg.accounts.tests.factories import UserFactory
from medborg.api import urls as api_urlconf
from medborg.cases import services as cases
from medborg.cases.models import Case, CaseEvent
from medborg.catalog import demo
from medborg.catalog.models import Category, Question, Service, Zone
from medborg.opendata import services, synthetic
from medborg.opendata import urls as opendata_urls
from medborg.opendata.indicators import INDICATORS, Scope
from medborg.opendata.models import Snapshot

NAME = "Anna Andersson"
EMAIL = "anna.andersson@example.se"
PHONE = "070-123 45 67"
PERSONNUMMER = "19811218-9876"
CPR = "121281-1234"
PERSONAL = (
    f"Ring {NAME} på {PHONE} eller skriv till {EMAIL}. "
    f"Personnummer {PERSONNUMMER}, CPR-nummer {CPR}."
)
STAFF_NAME = "Bengt Bengtsson"
LANGUAGES = ("sv", "da", "en")
FREE_TEXT_KINDS = {Question.Kind.TEXT, Question.Kind.LONG_TEXT}

EMAIL_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONES = (
    # Swedish mobile numbers: 070-123 45 67, 0701234567, +46 70 123 45 67.
    re.compile(r"(?<![\d+])(?:\+46 ?|0)7\d[- ]?\d{3}[- ]?\d{2}[- ]?\d{2}(?!\d)"),
    # Swedish numbers with an area code and a dash: 0771-921 921, 08-123 45 67.
    # Not after a digit or a dash, so that the month and day of a date
    # ("2026-01-05 10") are not read as one.
    re.compile(r"(?<![\d-])0\d{1,3}-\d{2,3}(?: ?\d{2,3}){1,2}(?!\d)"),
    # Danish numbers in international form: +45 12 34 56 78.
    re.compile(r"\+45 ?\d{2} ?\d{2} ?\d{2} ?\d{2}(?!\d)"),
)
# YYMMDD-NNNC, with or without the century, a dash or a plus (over 100).
PERSONNUMMER_PATTERN = re.compile(r"(?<!\d)(19|20)?(\d{6})[-+]?(\d{4})(?!\d)")
# DDMMYY-NNNN, with or without the dash.
CPR_PATTERN = re.compile(r"(?<!\d)(\d{6})-?(\d{4})(?!\d)")
REFERENCE = re.compile(r"\b[A-Z]{2,5}-\d{4}-\d{6,7}\b")


def is_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def luhn(digits: str) -> bool:
    """Whether the last digit is the Luhn check digit of the others."""
    total = 0
    for position, digit in enumerate(int(d) for d in reversed(digits)):
        doubled = digit * 2 if position % 2 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


def is_personnummer(century: str | None, birth: str, rest: str) -> bool:
    """Whether a date and a Luhn check digit make the digits a personnummer.

    Ten digits in a row also occur in ids, timestamps and long decimals. A
    personnummer starts with a date of birth (the day plus 60 for a
    coordination number) and ends with the Luhn check digit of the nine
    before it. Of arbitrary ten digits about one in 14 starts with such a
    date and one in ten of those ends with the check digit, so about one
    in 140 passes, where the pattern alone would take them all.
    """
    yy, month, day = int(birth[:2]), int(birth[2:4]), int(birth[4:])
    day = day - 60 if day > 60 else day
    years = [int(century) * 100 + yy] if century else [1900 + yy, 2000 + yy]
    dated = any(is_date(year, month, day) for year in years)
    return dated and luhn(birth + rest)


def is_cpr(birth: str) -> bool:
    """Whether the digits start with a date of birth, DDMMYY.

    The CPR number's modulus-11 check was given up in 2007, when numbers
    without it were first issued, so the date is all there is to check:
    about one in 27 arbitrary ten digits passes.
    """
    day, month, yy = int(birth[:2]), int(birth[2:4]), int(birth[4:])
    return any(is_date(year, month, day) for year in (1900 + yy, 2000 + yy))


@dataclass(frozen=True)
class Scanner:
    """Find personal data in a text: by pattern, and the given strings.

    ``names`` are matched as whole words in any case; ``secrets`` (tokens and
    their hashes) and ``texts`` (what citizens and staff wrote) as they are.
    """

    names: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()

    def findings(self, text: str) -> list[tuple[str, str]]:
        """Return each ``(kind, match)`` found, in the order of the kinds, once."""
        found = []
        if "@" in text:
            found += [("e-mail address", m) for m in EMAIL_ADDRESS.findall(text)]
        for pattern in PHONES:
            found += [("phone number", m.group()) for m in pattern.finditer(text)]
        found += [
            ("personnummer", m.group())
            for m in PERSONNUMMER_PATTERN.finditer(text)
            if is_personnummer(*m.groups())
        ]
        found += [
            ("CPR number", m.group())
            for m in CPR_PATTERN.finditer(text)
            if is_cpr(m.group(1))
        ]
        found += [("case reference", m) for m in REFERENCE.findall(text)]
        folded = text.casefold()
        found += [
            ("name", name)
            for name in self.names
            # Searching for the words first is much faster than a regex each.
            if name.casefold() in folded
            and re.search(rf"\b{re.escape(name)}\b", text, re.IGNORECASE)
        ]
        found += [("tracking token", s) for s in self.secrets if s in text]
        found += [("free text", t) for t in self.texts if t in text]
        return list(dict.fromkeys(found))


def _strings(value) -> list[str]:
    if isinstance(value, dict):
        return [
            text for pair in value.items() for item in pair for text in _strings(item)
        ]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return [str(value)]


def readable(content_type: str, body: str) -> str:
    """Return what ``body`` says with the escapes of its format undone.

    HTML entities, JSON escapes and CSV quoting could otherwise hide a match.
    """
    if content_type.startswith("text/html"):
        return html.unescape(body)
    if "json" in content_type:
        return "\n".join(_strings(json.loads(body)))
    if content_type.startswith("text/csv"):
        return "\n".join(cell for row in csv.reader(io.StringIO(body)) for cell in row)
    return body


def test_the_scanner_finds_each_kind_of_personal_data():
    scanner = Scanner(names=(NAME,), secrets=("s3cr3t-t0ken_abc",), texts=("x y z",))
    text = (
        f"<p>{EMAIL} {PHONE} +46 70 123 45 67 +45 12 34 56 78 0771-921 921 "
        f"{PERSONNUMMER} 8112189876 {CPR} ANNA ANDERSSON KOM-2026-000042 "
        "/track/s3cr3t-t0ken_abc/ x y z</p>"
    )

    assert scanner.findings(text) == [
        ("e-mail address", EMAIL),
        ("phone number", PHONE),
        ("phone number", "+46 70 123 45 67"),
        ("phone number", "0771-921 921"),
        ("phone number", "+45 12 34 56 78"),
        ("personnummer", PERSONNUMMER),
        ("personnummer", "8112189876"),
        # Day 81 is day 21 of a coordination number, and the check digit fits.
        ("personnummer", CPR),
        ("CPR number", CPR),
        ("case reference", "KOM-2026-000042"),
        ("name", NAME),
        ("tracking token", "s3cr3t-t0ken_abc"),
        ("free text", "x y z"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-23",
        "2026-Q4",
        "M 12.5 30.25 L 100 200",
        '<path d="M80 80.8 L127.3 204 L174.5 110.1"/><svg viewBox="0 0 640 240">',
        "2026-11-23T16:25:10.028123+00:00",
        "2026-01-05 10:30",
        "received,month,2026-11,2026-11-01,municipality,,Växjö,42,cases,42,false",
        '{"value": 12.3456, "count": 1234567890}',
        # A date of birth, but the check digit is wrong.
        "19811218-9875",
        # Ten digits that start with no date.
        "991332-1234",
    ],
)
def test_the_scanner_lets_dates_periods_and_numbers_pass(text):
    assert Scanner(names=(NAME,)).findings(text) == []


SAID = 'He said "hi" & left'


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/html; charset=utf-8", "<td>He said &quot;hi&quot; &amp; left</td>"),
        (
            "application/json",
            '{"figures": [{"note": "He said \\"hi\\" \\u0026 left"}]}',
        ),
        (
            "text/csv; charset=utf-8",
            'indicator,note\r\nreceived,"He said ""hi"" & left"\r\n',
        ),
    ],
)
def test_the_scan_reads_through_the_escapes_of_each_format(content_type, body):
    assert Scanner(texts=(SAID,)).findings(readable(content_type, body)) == [
        ("free text", SAID)
    ]


def _extra_cases(worker) -> list[str]:
    """Submit, handle, close and rate cases full of personal data; return tokens."""
    service = Service.objects.get(slug="street-light-out")
    lamp = {"how-many": "one-lamp", "blinking": False, "description": PERSONAL}
    tokens = []
    for number in range(6):
        submission = cases.submit_case(
            service=service,
            answers=lamp,
            latitude=56.8777,
            longitude=14.8091,
            address=f"c/o {NAME}, Storgatan {number + 1}, Växjö",
            contact_email=EMAIL,
            description=PERSONAL,
            language=("sv", "da")[number % 2],
        )
        tokens.append(submission.token)
        case = submission.case
        if number == 5:
            case = cases.request_information(
                case=case, question=f"Är det {NAME}? {PHONE}", by=worker
            )
            cases.answer_information(case=case, text=PERSONAL)
            continue
        for key in ("assessed", "resolved"):
            case = cases.move_case_to_step(
                case=case,
                step=case.process.steps.get(key=key),
                public_message=f"Hej {NAME}! /{STAFF_NAME}, {PHONE}",
                by=worker,
            )
        cases.rate_case(case=case, score=4, comment=PERSONAL)
    return tokens


def _free_texts() -> tuple[str, ...]:
    """What citizens and staff wrote: addresses, descriptions, answers, messages."""
    text_questions = {
        (service_id, key)
        for service_id, key in Question.objects.filter(
            kind__in=FREE_TEXT_KINDS
        ).values_list("service_id", "key")
    }
    texts = set(CaseEvent.objects.exclude(message="").values_list("message", flat=True))
    for service_id, address, description, answers in Case.objects.values_list(
        "service_id", "address", "description", "answers"
    ):
        texts |= {address, description}
        texts |= {
            value
            for key, value in answers.items()
            if (service_id, key) in text_questions and isinstance(value, str)
        }
    return tuple(sorted(text for text in texts if text.strip()))


def _names(users) -> tuple[str, ...]:
    """The names and usernames in the demo and the cases; e-mails give names too.

    The demo's staff are named after their roles ("Case worker"), which the
    definitions rightly mention, so their usernames stand for them; a named
    case worker handles the extra cases.
    """
    sample = json.loads(demo.CATALOG_FILE.read_text(encoding="utf-8"))
    emails = [
        spec["contact_email"]
        for spec in sample["sample_cases"]
        if "contact_email" in spec
    ]
    emails.append(EMAIL)
    names = {NAME, STAFF_NAME, "bengt.bengtsson"}
    for email in emails:
        local = email.partition("@")[0]
        names |= {local, local.replace(".", " ").title()}
    names |= {user.username for user in users}
    return tuple(sorted(names))


@pytest.fixture(scope="module")
def scanner(django_db_setup, django_db_blocker):
    """The demo, history, and cases full of personal data, all in the figures.

    Made once for the module inside a transaction rolled back after it, as
    ``TestCase.setUpTestData`` does; each test runs in a savepoint within it.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        made = demo.load()
        sample = demo.sample_cases(made["services"], made["users"])
        this_month = timezone.localdate().replace(day=1)
        synthetic.generate(
            cases=200,
            start=(this_month - timedelta(days=140)).replace(day=1),
            end=this_month - timedelta(days=1),
            seed=8,
        )
        worker = UserFactory(
            username="bengt.bengtsson",
            first_name="Bengt",
            last_name="Bengtsson",
            email="bengt.bengtsson@example.se",
            public_name=STAFF_NAME,
            show_name_to_citizens=True,
            role="caseworker",
            teams=[Service.objects.get(slug="street-light-out").team],
        )
        tokens = [token for _reference, token in sample] + _extra_cases(worker)
        services.recompute_all()
        yield Scanner(
            names=_names(made["users"]),
            secrets=(*tokens, *Case.objects.values_list("token_hash", flat=True)),
            texts=_free_texts(),
        )
        transaction.set_rollback(True)


def _keys() -> dict[Scope, list[str]]:
    return {
        Scope.MUNICIPALITY: [""],
        Scope.CATEGORY: list(Category.objects.values_list("slug", flat=True)),
        Scope.SERVICE: list(Service.objects.values_list("code", flat=True)),
        Scope.AREA: list(Zone.objects.values_list("key", flat=True)),
    }


def _periods() -> list[dict]:
    months = Snapshot.objects.filter(granularity="month").order_by("period_start")
    quarters = Snapshot.objects.filter(granularity="quarter").order_by("period_start")
    first, last = months.first().period, months.last().period
    return [
        {"start": first, "end": last},
        {"start": last},
        {"granularity": "quarter", "start": quarters.first().period},
    ]


def cockpit_urls() -> list[tuple[str, str, str]]:
    """(URL name, URL, language): the cockpit unfiltered, by each key and period."""
    found = []
    for language in LANGUAGES:
        for query in ({}, {"granularity": "quarter"}):
            found.append(
                ("opendata:index", f"/open-data/?{urlencode(query)}", language)
            )
    for scope in (Scope.CATEGORY, Scope.SERVICE):
        for key in _keys()[scope]:
            for granularity in ("month", "quarter"):
                query = {"show": f"{scope}:{key}", "granularity": granularity}
                found.append(
                    ("opendata:index", f"/open-data/?{urlencode(query)}", "sv")
                )
    for query in _periods():
        found.append(("opendata:index", f"/open-data/?{urlencode(query)}", "en"))
    return found


def _selections() -> list[dict]:
    selections = [{}, {"granularity": "month"}, {"granularity": "quarter"}]
    for scope, keys in _keys().items():
        selections.append({"scope": scope})
        selections += [{"scope": scope, "key": key} for key in keys if key]
    return selections + _periods()


def file_urls() -> list[tuple[str, str, str]]:
    """(URL name, URL, language): every file, the figures in every selection."""
    found = []
    for name in ("opendata:csv", "opendata:json"):
        for query in _selections():
            found.append((name, f"{reverse(name)}?{urlencode(query)}", "en"))
    for name in (
        "opendata:definitions",
        "opendata:kolada",
        "opendata:datapackage",
        "opendata:catalog",
    ):
        found += [(name, reverse(name), language) for language in LANGUAGES]
    return found


def api_urls() -> list[tuple[str, str, str]]:
    """(URL name, URL, language) of the open-data API; none if it is not there."""
    try:
        indicators = reverse("api:opendata-indicators")
        figures = reverse("api:opendata-figures")
    except NoReverseMatch:
        return []
    found = [("api:opendata-indicators", indicators, "en")]
    for indicator in INDICATORS:
        try:
            url = reverse("api:opendata-indicator", args=[indicator.id])
        except NoReverseMatch:
            break
        found.append(("api:opendata-indicator", url, "sv"))
    found += [
        ("api:opendata-figures", f"{figures}?{urlencode(query)}", "en")
        for query in _selections()
    ]
    return found


def scan(scanner: Scanner, urls) -> list[str]:
    """Fetch each URL anonymously; return "URL: what was found" for each finding."""
    problems = []
    for _name, url, language in urls:
        client = Client(headers={"accept-language": language})
        response = client.get(url)
        if response.status_code != 200:
            problems.append(f"{url} ({language}): status {response.status_code}")
            continue
        content = (
            b"".join(response.streaming_content)
            if response.streaming
            else response.content
        )
        text = readable(response["Content-Type"], content.decode("utf-8"))
        problems += [
            f"{url} ({language}): {kind} {match!r}"
            for kind, match in scanner.findings(text)
        ]
    return problems


@pytest.mark.parametrize(
    "urls", [cockpit_urls, file_urls, api_urls], ids=["cockpit", "files", "api"]
)
def test_nothing_published_names_or_identifies_a_person(scanner, db, urls):
    chosen = urls()
    if not chosen:
        pytest.skip("the open-data API's URL names do not resolve")

    problems = scan(scanner, chosen)

    assert problems == [], "\n".join(problems)


def test_the_scan_covers_every_published_url(scanner, db):
    scanned = {
        name for urls in (cockpit_urls, file_urls, api_urls) for name, *_ in urls()
    }

    published = {f"opendata:{pattern.name}" for pattern in opendata_urls.urlpatterns}
    published |= {
        f"api:{pattern.name}"
        for pattern in api_urlconf.urlpatterns
        if (pattern.name or "").startswith("opendata-")
    }
    assert published <= scanned


def test_the_cases_full_of_personal_data_are_counted(scanner, db):
    this_month = timezone.localdate().strftime("%Y-%m")
    figures = Snapshot.objects.filter(
        scope="service", scope_key="street-light-out", period=this_month
    )

    # The demo's three street lights and the six cases made here.
    assert figures.get(indicator="received").count == 9
    assert figures.get(indicator="satisfaction_mean").count == 5


def test_the_scan_finds_a_name_that_reaches_a_page(scanner, db):
    Category.objects.filter(slug="streets-and-roads").update(
        name_sv=NAME, name_da=NAME, name_en=NAME
    )

    problems = scan(scanner, [("opendata:index", "/open-data/", "en")])

    assert problems == [f"/open-data/ (en): name {NAME!r}"]
