"""The language switch in the header: one press turns the page, and the pages after it, into Russian."""

import pytest
from django.utils import translation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def russian(text: str) -> str:
    with translation.override("ru"):
        return translation.gettext(text)


def test_pressing_the_russian_button_switches_the_page_to_russian(site, holidays):
    page = site.open("/", lang="en")
    russian_button = page.get_by_role("button", name="Русский")
    english_button = page.get_by_role("button", name="English")
    assert russian_button.get_attribute("aria-pressed") == "false"
    assert english_button.get_attribute("aria-pressed") == "true"
    assert russian_button.get_attribute("lang") == "ru"

    russian_button.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.get_by_role("button", name="Русский").get_attribute("aria-pressed") == "true"
    assert page.get_by_role("button", name="English").get_attribute("aria-pressed") == "false"
    # The words follow the Russian catalogue (qamqor/locale/ru); were it not compiled, they would stay English.
    for english in ("Skip to main content", "Home", "Organisations", "Accessibility"):
        assert russian(english) in page.locator("body").inner_text(), f"{english!r} is not shown in Russian"
    nav = page.get_by_role("navigation", name=russian("Main"))
    assert nav.get_by_role("link", name=russian("Home")).get_attribute("aria-current") == "page"

    # The choice outlives the page, though the browser still asks for English.
    page.goto(site.url("/holidays/?year=2025"))
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.locator("h1").inner_text() == russian("Public holidays in %(year)s") % {"year": 2025}
