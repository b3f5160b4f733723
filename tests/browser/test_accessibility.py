"""Every public page of the citizen's path has 0 axe violations at WCAG 2.1 AA."""

import re

import pytest

from medborg.cases.models import Case
from tests.browser.conftest import axe_violations, describe, use_language

SEND = "form.case-form button[data-submit-once]"


def check(page):
    violations = axe_violations(page)
    assert violations == [], describe(violations)


def choose_first_of_every_radio_group(page):
    page.evaluate(
        """() => {
          const names = new Set(
            [...document.querySelectorAll('input[type=radio]')].map(r => r.name));
          names.forEach(name => {
            document.querySelector(`input[type=radio][name="${name}"]`).checked = true;
          });
        }"""
    )


@pytest.mark.parametrize("language", ["sv", "da", "en"])
def test_citizen_path_has_no_axe_violations(page, live_server, demo, language):
    before = Case.objects.filter(service__slug="pothole").count()
    use_language(page, live_server, language)

    page.goto("/")
    assert page.locator("html").get_attribute("lang") == language
    check(page)

    page.goto("/services/pothole/")
    page.wait_for_selector(".place-picker .leaflet-container")
    check(page)

    page.locator(SEND).click()
    page.wait_for_selector("[aria-invalid=true]")
    check(page)

    choose_first_of_every_radio_group(page)
    page.fill("#id_address", "Storgatan 1")
    page.locator(SEND).click()
    page.wait_for_url(re.compile(r"/track/[^/]+/receipt/$"))
    check(page)

    page.locator("[data-track-link]").click()
    page.wait_for_url(re.compile(r"/track/[^/]+/$"))
    check(page)
    assert Case.objects.filter(service__slug="pothole").count() == before + 1


@pytest.mark.parametrize("language", ["sv", "en"])
def test_staff_sign_in_and_accessibility_statement(page, live_server, demo, language):
    use_language(page, live_server, language)
    page.goto("/accessibility/")
    check(page)
    page.goto("/staff/login/")
    check(page)


@pytest.mark.parametrize("language", ["sv", "da", "en"])
def test_tracking_page_in_every_state_has_no_axe_violations(
    page, live_server, demo, language
):
    from medborg.accounts.models import User
    from medborg.cases import services
    from medborg.catalog.models import Service

    teamlead = User.objects.get(username="teamlead")
    service = Service.objects.get(slug="pothole")
    submission = services.submit_case(
        service=service,
        answers={},
        address="Storgatan 1",
        contact_email="anna@example.se",
        language=language,
    )
    case = services.request_information(
        case=submission.case, question="Which side of the road?", by=teamlead
    )
    use_language(page, live_server, language)
    page.goto(f"/track/{submission.token}/")
    assert page.locator("#id_reply-text").is_visible()
    check(page)
    page.locator("form[action$='/reply/'] button[type=submit]").click()
    page.wait_for_load_state()
    check(page)  # the answer was empty: the error summary is shown

    services.answer_information(case=case, text="North side.")
    services.move_case_to_step(
        case=case, step=case.process.steps.get(key="rejected"), by=teamlead
    )
    page.goto(f"/track/{submission.token}/")
    assert page.locator("#feedback").is_visible()
    check(page)
    page.goto(f"/track/{submission.token}/export/")
    assert "North side." in page.content()
    check(page)


def test_staff_workspace_has_no_axe_violations(page, live_server, demo):
    use_language(page, live_server, "en")
    page.goto("/staff/login/")
    page.fill("#id_username", "teamlead")
    page.fill("#id_password", "medborg-demo")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/staff/$"))
    check(page)
    page.goto("/staff/?view=map")
    page.wait_for_selector(".inbox-map.leaflet-container")
    check(page)
    reference = Case.objects.filter(status="waiting_for_citizen").first().reference
    page.goto(f"/staff/cases/{reference}/")
    for summary in page.locator("details.staff-action > summary").all():
        summary.click()
    check(page)


@pytest.mark.parametrize("language", ["sv", "da", "en"])
def test_a_decision_and_its_appeal_have_no_axe_violations(
    page, live_server, demo, language
):
    from medborg.cases import services
    from medborg.catalog.models import Service

    service = Service.objects.get(slug="bulky-waste-collection")
    submission = services.submit_case(
        service=service,
        answers={"waste-type": "furniture", "item-count": 9, "volume-m3": 12},
        latitude=56.8777,
        longitude=14.8091,
        address="Storgatan 1",
        language=language,
    )
    use_language(page, live_server, language)
    page.goto(f"/track/{submission.token}/")
    assert page.locator("[data-field=explanation]").inner_text().count("12") == 1
    check(page)
    page.locator("form[action$='/appeal/'] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#id_appeal-text").is_visible()
    check(page)  # the appeal was empty: the error summary is shown
    page.fill("#id_appeal-text", "It is less than 10 m³.")
    page.locator("form[action$='/appeal/'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/track/[^/]+/$"))
    assert page.locator("form[action$='/appeal/']").count() == 0
    check(page)


def test_staff_decisions_have_no_axe_violations(page, live_server, demo):
    from medborg.rules.models import Decision

    use_language(page, live_server, "en")
    page.goto("/staff/login/")
    page.fill("#id_username", "caseworker")
    page.fill("#id_password", "medborg-demo")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/staff/$"))
    reference = Decision.objects.filter(kind="recommendation").first().case.reference
    page.goto(f"/staff/cases/{reference}/")
    for summary in page.locator("details.staff-action > summary").all():
        summary.click()
    check(page)
    page.goto(f"/staff/cases/{reference}/decisions/")
    assert page.locator("[data-replay=same]").count() == 1
    check(page)
