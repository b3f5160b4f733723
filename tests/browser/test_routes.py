"""The operator's route map and the driver's phone view: axe-clean and usable.

The plan is built row by row (no solver), as in medborg/routing/tests.
"""

import re

import pytest

from medborg.accounts.tests.factories import UserFactory
from medborg.routing.models import Stop
from medborg.routing.tests.conftest import make_plan, make_route
from medborg.sensors.tests.factories import (
    BinFactory,
    DepotFactory,
    ReadingFactory,
    VehicleFactory,
)
from tests.browser.conftest import axe_violations, describe, use_language

PASSWORD = "a-long-test-password"  # noqa: S105  (the factories' test password)
PHONE = {"width": 375, "height": 740}


@pytest.fixture
def planned_day(live_server, settings):
    from django.utils import timezone

    settings.MAP_TILE_URL = ""
    operator = UserFactory(username="operator", role="operator")
    driver = UserFactory(username="driver", role="driver")
    depot = DepotFactory(code="north", name="North depot")
    truck = VehicleFactory(code="truck-a", name="Truck A", depot=depot, driver=driver)
    other = VehicleFactory(code="truck-b", name="Truck B", depot=depot)
    bins = [BinFactory(code=f"bin-{n}", name=f"Torget {n}") for n in range(1, 6)]
    ReadingFactory(device__bin=bins[0], fill_percent=91.0)
    BinFactory(code="far-away", name="Far away")
    plan = make_plan(timezone.localdate())
    return {
        "operator": operator,
        "driver": driver,
        "route": make_route(plan, truck, bins[:3]),
        "other": make_route(plan, other, bins[3:], start_hour=8),
    }


def sign_in(page, username):
    page.goto("/staff/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()


def check(page):
    violations = axe_violations(page)
    assert violations == [], describe(violations)


@pytest.mark.parametrize("language", ["sv", "da", "en"])
def test_operator_route_map_has_no_axe_violations(
    page, live_server, planned_day, language
):
    use_language(page, live_server, language)
    sign_in(page, "operator")
    page.goto("/staff/routes/")
    page.wait_for_selector("[data-route-map] .leaflet-container, .leaflet-container")
    assert page.locator(".route-table tbody tr").count() == 2
    assert page.locator("path.leaflet-interactive, svg path").count() >= 2
    check(page)


@pytest.mark.parametrize("language", ["sv", "en"])
def test_driver_page_on_a_phone_has_no_axe_violations(
    browser, live_server, planned_day, language
):
    context = browser.new_context(
        base_url=live_server.url,
        locale="en-GB",
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    use_language(page, live_server, language)
    sign_in(page, "driver")
    page.goto(f"/staff/routes/{planned_day['route'].pk}/")
    page.wait_for_selector(".leaflet-container")
    check(page)
    # Phone-first: nothing wider than the screen.
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    context.close()


def test_driver_marks_stops_on_a_phone(browser, live_server, planned_day):
    context = browser.new_context(
        base_url=live_server.url,
        locale="en-GB",
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    use_language(page, live_server, "en")
    sign_in(page, "driver")
    page.goto("/staff/routes/mine/")
    page.get_by_role("link", name=re.compile("Truck A")).click()
    route = planned_day["route"]
    first, second, third = route.stops.order_by("position")

    page.locator(f"#stop-{first.pk} [data-action=emptied]").tap()
    page.wait_for_url(re.compile(rf"/staff/routes/{route.pk}/#stop-{second.pk}$"))
    assert (
        "Emptied" in page.locator(f"#stop-{first.pk} [data-field=status]").inner_text()
    )
    assert page.locator(".medborg-messages").inner_text().startswith("Stop 1")
    check(page)

    page.select_option(f"#id_stop{third.pk}_skip_reason", "blocked")
    with page.expect_navigation():
        page.locator(f"#stop-{third.pk} [data-action=skipped]").tap()
    # No planned stop after the last one: back to the first still planned.
    assert page.url.endswith(f"/staff/routes/{route.pk}/#stop-{second.pk}")
    assert page.locator(f"#stop-{third.pk} [data-action]").count() == 0

    statuses = dict(route.stops.values_list("position", "status"))
    assert statuses == {1: "emptied", 2: "planned", 3: "skipped"}
    assert Stop.objects.get(pk=third.pk).skip_reason == "blocked"
    assert errors == []
    context.close()


def test_driver_skipping_without_a_reason_is_told_why(
    browser, live_server, planned_day
):
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    page = context.new_page()
    use_language(page, live_server, "en")
    sign_in(page, "driver")
    route = planned_day["route"]
    stop = route.stops.get(position=2)
    page.goto(f"/staff/routes/{route.pk}/")
    page.locator(f"#stop-{stop.pk} [data-action=skipped]").click()
    page.wait_for_load_state()
    assert (
        "Choose why the stop was skipped."
        in page.locator(f"#stop-{stop.pk}").inner_text()
    )
    check(page)
    assert Stop.objects.get(pk=stop.pk).status == Stop.Status.PLANNED
    context.close()
