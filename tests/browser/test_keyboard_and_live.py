"""A report sent with the keyboard alone; a tracking page that follows staff live."""

import re

from medborg.cases import services
from medborg.catalog.models import Service


def tab_to(page, predicate: str, limit: int = 60):
    """Press Tab until the focused element satisfies a JS predicate on ``el``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(
            f"() => {{ const el = document.activeElement; return {predicate}; }}"
        ):
            return
    raise AssertionError(f"Tab never reached an element where {predicate}")


def test_report_with_the_keyboard_only(page, demo):
    page.goto("/")
    tab_to(page, "el.getAttribute('href') === '/services/graffiti/'")
    page.keyboard.press("Enter")
    page.wait_for_url("**/services/graffiti/")
    tab_to(page, "el.name === 'q_surface'")
    page.keyboard.press("Space")
    tab_to(page, "el.name === 'q_offensive'")
    page.keyboard.press("Space")
    tab_to(page, "el.id === 'id_address'")
    page.keyboard.type("Storgatan 1, by the bridge")
    tab_to(page, "el.hasAttribute('data-submit-once')")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/track/[^/]+/receipt/$"))
    reference = page.locator("[data-reference]").inner_text()
    assert re.fullmatch(r"KOM-\d{4}-\d{6}", reference)


def test_tracking_page_follows_a_staff_move_without_reload(browser, live_server, demo):
    service = Service.objects.get(slug="pothole")
    submission = services.submit_case(
        service=service,
        answers={"size": "small"},
        latitude=56.8777,
        longitude=14.8091,
        language="en",
    )
    citizen = browser.new_context(base_url=live_server.url, locale="en-GB")
    citizen.add_cookies(
        [{"name": "django_language", "value": "en", "url": live_server.url}]
    )
    track = citizen.new_page()
    track.goto(f"/track/{submission.token}/")
    track.evaluate("() => { window.notReloaded = true; }")
    step = track.locator("[data-field=step]")
    assert "Received" in step.inner_text() or "received" in step.inner_text().lower()

    staff = browser.new_context(base_url=live_server.url, locale="en-GB")
    staff.add_cookies(
        [{"name": "django_language", "value": "en", "url": live_server.url}]
    )
    desk = staff.new_page()
    desk.goto("/staff/login/")
    desk.fill("#id_username", "caseworker")
    desk.fill("#id_password", "medborg-demo")
    desk.locator("form button[type=submit]").last.click()
    desk.goto(f"/staff/cases/{submission.case.reference}/")
    desk.select_option(
        "#id_move-step", label=service.process.steps.get(key="assessed").name_en
    )
    desk.fill("#id_move-public_message", "A crew is booked for Tuesday.")
    desk.locator("form[action$='/move/'] button[type=submit]").click()
    desk.wait_for_load_state()

    track.wait_for_function(
        "() => document.querySelector('[data-field=timeline]').innerText"
        ".includes('A crew is booked for Tuesday.')",
        timeout=8_000,
    )
    assert track.evaluate("() => window.notReloaded") is True
    assert "Received" not in track.locator("[data-field=step]").inner_text()
    citizen.close()
    staff.close()
