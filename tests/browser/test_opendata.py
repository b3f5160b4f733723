"""The open-data cockpit: no axe violations; usable without JavaScript, by keyboard."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from django.utils import timezone

import pytest

from medborg.opendata import services, synthetic
from medborg.opendata.models import Snapshot
from tests.browser.conftest import axe_violations, describe, use_language
from tests.browser.test_keyboard_and_live import tab_to

FILTERED = "/open-data/?show=service:pothole&granularity=quarter"
INVALID = "/open-data/?start=2026-13"
ERROR_SUMMARY = ".opendata-filter .alert-error[role=alert]"
# A chart and a table for each of the eight indicator groups (the demo's bins
# and routes give the last one), and for the reports by area.
SECTIONS = 9


def check(page):
    violations = axe_violations(page)
    assert violations == [], describe(violations)


@pytest.fixture
def cockpit(demo):
    """Load the demo with months of history, computed; return the first month.

    The history gives each chart several periods and the tables suppressed
    cells; the demo's sample cases all fall in the running month. A demo
    loaded without history gets five months of it here.
    """
    if not Snapshot.objects.exists():
        this_month = timezone.localdate().replace(day=1)
        synthetic.generate(
            cases=200,
            start=(this_month - timedelta(days=140)).replace(day=1),
            end=this_month - timedelta(days=1),
            seed=8,
        )
        services.recompute_all()
    months = Snapshot.objects.filter(granularity="month").order_by("period_start")
    return months.values_list("period", flat=True).first()


@pytest.mark.parametrize("language", ["sv", "da", "en"])
def test_cockpit_has_no_axe_violations(page, live_server, cockpit, language):
    use_language(page, live_server, language)

    page.goto("/open-data/")
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator(".opendata-section svg.chart").count() == SECTIONS
    check(page)

    page.goto(FILTERED)
    assert page.locator("#id_show").input_value() == "service:pothole"
    assert re.fullmatch(
        r"\d{4}-Q[1-4]", page.locator(".opendata-table tbody th").first.inner_text()
    )
    check(page)

    page.goto(INVALID)
    assert page.locator(ERROR_SUMMARY).is_visible()
    assert page.locator(f"{ERROR_SUMMARY} a[href='#id_start']").count() == 1
    assert page.locator("#id_start").get_attribute("aria-invalid") == "true"
    check(page)


def test_cockpit_shows_its_tables_and_charts_without_javascript(
    browser, live_server, cockpit
):
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", java_script_enabled=False
    )
    context.add_cookies(
        [{"name": "django_language", "value": "en", "url": live_server.url}]
    )
    page = context.new_page()
    try:
        page.goto("/open-data/")
        assert page.locator(".opendata-table table").count() == SECTIONS
        assert page.locator(".opendata-chart svg.chart[role=img]").count() == SECTIONS
        assert page.locator("svg.chart path.chart-line").count() == SECTIONS - 1
        assert page.locator("svg.chart path.chart-area").count() == 3
        assert page.locator("#chart-received-title").text_content() == "Cases received"

        page.select_option("#id_granularity", "quarter")
        page.locator("form.opendata-filter button[type=submit]").click()
        page.wait_for_url(re.compile(r"granularity=quarter"))
        assert page.locator(".opendata-table table").count() == SECTIONS
    finally:
        context.close()


def test_cockpit_tables_take_focus_and_the_filter_submits_with_enter(
    page, live_server, cockpit
):
    use_language(page, live_server, "en")
    page.goto("/open-data/")
    regions = page.locator(".opendata-table")
    assert regions.count() == SECTIONS
    for index in range(regions.count()):
        region = regions.nth(index)
        assert region.get_attribute("tabindex") == "0"
        assert region.get_attribute("role") == "region"
        assert page.locator(f"#{region.get_attribute('aria-labelledby')}").count() == 1

    tab_to(page, "el.classList.contains('opendata-table')", limit=120)
    assert (
        page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
        != "none"
    )

    page.locator("#id_start").focus()
    page.keyboard.type(cockpit)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"start="))
    assert parse_qs(urlsplit(page.url).query)["start"] == [cockpit]
    assert page.locator(".opendata-table tbody th").first.inner_text() == cockpit
