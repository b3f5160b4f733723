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
    assert Case.objects.filter(service__slug="pothole").count() == 2  # 1 from demo


@pytest.mark.parametrize("language", ["sv", "en"])
def test_staff_sign_in_and_accessibility_statement(page, live_server, demo, language):
    use_language(page, live_server, language)
    page.goto("/accessibility/")
    check(page)
    page.goto("/staff/login/")
    check(page)
