"""The cockpit and files: open to anyone, cacheable, streamed, 400 on bad input."""

import csv
import io
import re
from datetime import timedelta
from urllib.parse import urlencode

from django.db import transaction
from django.utils import timezone

import pytest

from medborg.catalog import demo
from medborg.catalog.models import Zone
from medborg.opendata import services, synthetic
from medborg.opendata.indicators import BY_ID
from medborg.opendata.models import Snapshot

HEADER = [
    "indicator",
    "granularity",
    "period",
    "period_start",
    "scope",
    "scope_key",
    "scope_name",
    "value",
    "unit",
    "count",
    "suppressed",
]
PERIOD_MESSAGE = "Give a month as 2026-11 or a quarter as 2026-Q4."
SUPPRESSED_CELL = '<td class="opendata-number">&lt; 5</td>'
# Measured with a warm cache: the filter's categories and services (twice:
# the view builds its form twice without parameters), the periods, the
# peers, the snapshot version (twice) and the progress.
COCKPIT_QUERIES = 9


@pytest.fixture(scope="module")
def published(django_db_setup, django_db_blocker):
    """The demo, five months of history before it, and the snapshots computed.

    Made once for the module inside a transaction rolled back after it, as
    ``TestCase.setUpTestData`` does; each test runs in a savepoint within it.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        made = demo.load()
        demo.sample_cases(made["services"], made["users"])
        this_month = timezone.localdate().replace(day=1)
        synthetic.generate(
            cases=200,
            start=(this_month - timedelta(days=140)).replace(day=1),
            end=this_month - timedelta(days=1),
            seed=8,
        )
        services.recompute_all()
        yield
        transaction.set_rollback(True)


def not_a_choice(value: str) -> str:
    return f"Select a valid choice. {value} is not one of the available choices."


def municipality_months(indicator: str):
    return Snapshot.objects.filter(
        indicator=indicator, scope="municipality", granularity="month"
    ).order_by("period_start")


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/open-data/", "text/html; charset=utf-8"),
        ("/open-data/indicators.csv", "text/csv; charset=utf-8"),
        ("/open-data/indicators.json", "application/json"),
        ("/open-data/definitions.csv", "text/csv; charset=utf-8"),
        ("/open-data/kolada.csv", "text/csv; charset=utf-8"),
        ("/open-data/datapackage.json", "application/json"),
        ("/open-data/catalog.jsonld", "application/ld+json"),
    ],
)
def test_public_urls_answer_anyone_with_their_type_and_may_be_cached(
    client, published, db, path, content_type
):
    response = client.get(path)

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Cache-Control"] == "public, max-age=300"
    # A response any cache may keep must not depend on who asked.
    assert "Cookie" not in response.get("Vary", "")
    assert response.cookies == {}


def test_indicators_csv_streams_every_figure_under_the_published_header(
    client, published, db
):
    response = client.get("/open-data/indicators.csv")

    assert response.streaming is True
    text = b"".join(response.streaming_content).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == HEADER
    assert len(rows) == 1 + Snapshot.objects.count()
    assert {len(row) for row in rows} == {len(HEADER)}


def test_indicators_csv_holds_the_selected_figures_only(client, published, db):
    query = {"scope": "service", "key": "pothole", "granularity": "quarter"}

    response = client.get("/open-data/indicators.csv", query)

    text = b"".join(response.streaming_content).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    selected = Snapshot.objects.filter(
        scope="service", scope_key="pothole", granularity="quarter"
    )
    assert len(rows) == selected.count()
    assert {(row["scope"], row["scope_key"], row["granularity"]) for row in rows} == {
        ("service", "pothole", "quarter")
    }


@pytest.mark.parametrize(
    "path", ["/open-data/indicators.csv", "/open-data/indicators.json"]
)
@pytest.mark.parametrize(
    ("query", "lines"),
    [
        ({"start": "2026-13"}, [f"start: {PERIOD_MESSAGE}"]),
        ({"start": "' or 1=1"}, [f"start: {PERIOD_MESSAGE}"]),
        ({"scope": "bogus"}, [f"scope: {not_a_choice('bogus')}"]),
        ({"key": "x"}, ["key: Choose what the key is of (scope) as well."]),
        (
            {"scope": "service", "key": "nope"},
            ["key: There is no service with the key nope."],
        ),
        (
            {"start": "2026-11", "end": "2026-01"},
            ["end: The last period comes before the first."],
        ),
        ({"indicator": "nope"}, [f"indicator: {not_a_choice('nope')}"]),
        ({"granularity": "week"}, [f"granularity: {not_a_choice('week')}"]),
        ({"key": "\x00"}, ["key: Null characters are not allowed."]),
        ({"start": "2026\x0011"}, [f"start: {PERIOD_MESSAGE}"]),
        ({"start": "2" * 5000}, [f"start: {PERIOD_MESSAGE}"]),
        (
            {"scope": "service", "key": "x" * 5000},
            ["key: Ensure this value has at most 60 characters (it has 5000)."],
        ),
        (
            {"scope": "bogus", "start": "2026-13"},
            [f"scope: {not_a_choice('bogus')}", f"start: {PERIOD_MESSAGE}"],
        ),
    ],
)
def test_a_file_refuses_a_bad_selection_naming_each_field(
    client, db, path, query, lines
):
    response = client.get(f"{path}?{urlencode(query)}")

    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().splitlines() == lines


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"start": "2026-13"}, "start", PERIOD_MESSAGE),
        ({"start": "' or 1=1"}, "start", PERIOD_MESSAGE),
        ({"end": "2" * 5000}, "end", PERIOD_MESSAGE),
        (
            {"start": "2026-11", "end": "2026-01"},
            "end",
            "The last period comes before the first.",
        ),
        ({"show": "service:nope"}, "show", not_a_choice("service:nope")),
        ({"granularity": "week"}, "granularity", not_a_choice("week")),
        ({"start": "2026\x0011"}, "start", PERIOD_MESSAGE),
    ],
)
def test_the_cockpit_shows_a_bad_filter_in_its_error_summary(
    client, db, query, field, message
):
    response = client.get(f"/open-data/?{urlencode(query)}")

    assert response.status_code == 400
    assert response["Content-Type"] == "text/html; charset=utf-8"
    page = response.content.decode()
    assert page.count('class="alert alert-error" role="alert"') == 1
    assert f'<a href="#id_{field}">' in page
    assert f'id="id_{field}"' in page
    assert message in page
    assert 'class="opendata-section" aria-labelledby="group-' not in page


def test_the_cockpit_ignores_parameters_of_the_files_it_does_not_offer(client, db):
    response = client.get("/open-data/", {"indicator": "nope", "scope": "bogus"})

    assert response.status_code == 200
    assert "Check the filter" not in response.content.decode()


def test_the_cockpit_links_its_files_to_what_it_shows(client, db):
    response = client.get(
        "/open-data/", {"show": "service:pothole", "granularity": "quarter"}
    )

    page = response.content.decode()
    assert "indicators.csv?scope=service&amp;key=pothole&amp;granularity=quarter" in (
        page
    )


def test_the_cockpit_escapes_a_hostile_value_it_names(client, db):
    response = client.get("/open-data/", {"show": '<script>alert("x")</script>'})

    assert response.status_code == 400
    page = response.content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_the_cockpit_filters_by_service_and_quarter(client, published, db):
    response = client.get(
        "/open-data/", {"show": "service:pothole", "granularity": "quarter"}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "<h2>Pothole</h2>" in page
    periods = set(re.findall(r'<th scope="row">(\d{4}-\w+)</th>', page))
    assert periods
    assert all(re.fullmatch(r"\d{4}-Q[1-4]", period) for period in periods)


def test_suppressed_figures_show_as_fewer_than_five(client, published, db):
    # The fixture's six months are fewer than the twelve the cockpit shows.
    hidden = [
        row
        for row in Snapshot.objects.filter(scope="municipality", granularity="month")
        if BY_ID[row.indicator].about_people and 0 < row.count < 5
    ]
    assert hidden, "the history should give some small monthly counts"

    page = client.get("/open-data/").content.decode()
    sections, _map = page.split('id="group-map"')

    assert sections.count(SUPPRESSED_CELL) == len(hidden)


def test_the_cockpit_says_the_trend_of_cases_received(client, published, db):
    before, last = [row.count for row in municipality_months("received")][-2:]
    if last == before:
        trend = "Unchanged from the period before."
    else:
        change = "Up" if last > before else "Down"
        trend = f"{change} {abs(last - before)} cases from the period before."

    page = client.get("/open-data/").content.decode()

    assert f'<p class="opendata-trend">{trend}</p>' in page


def test_the_cockpit_tables_reports_by_area(client, published, db):
    first = municipality_months("received").first().period_start
    totals = {zone.key: 0 for zone in Zone.objects.all()}
    for row in Snapshot.objects.filter(
        indicator="received",
        scope="area",
        granularity="month",
        period_start__gte=first,
    ):
        totals[row.scope_key] += row.count

    page = client.get("/open-data/").content.decode()

    table = page.split('<caption id="caption-map">Reports received by area</caption>')
    assert len(table) == 2
    rows = re.findall(
        r'<tr><th scope="row">([^<]+)</th><td class="opendata-number">([^<]+)</td>',
        table[1],
    )
    expected = [
        (zone.name, "&lt; 5" if 0 < totals[zone.key] < 5 else str(totals[zone.key]))
        for zone in Zone.objects.all()
    ]
    assert rows == expected


def test_the_cockpit_reads_few_queries_once_its_cache_is_warm(
    client, published, db, django_assert_max_num_queries
):
    client.get("/open-data/")

    with django_assert_max_num_queries(COCKPIT_QUERIES):
        response = client.get("/open-data/")

    assert response.status_code == 200
