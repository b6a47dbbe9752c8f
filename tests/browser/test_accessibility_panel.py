"""The accessibility panel at the top of every page, used with the keyboard alone, and the choice remembered."""

import pytest

from conftest import PASSWORD
from qamqor.accounts.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FONT_SIZE_OF_LEAD = "parseFloat(getComputedStyle(document.querySelector('main p')).fontSize)"


def html_classes(page) -> set[str]:
    return set(page.locator("html").get_attribute("class").split())


def choose_black_on_yellow_and_largest_text(page, keyboard):
    """From the top of the page: Tab to the panel, open it, pick with arrow keys and Space, and apply."""
    keys = keyboard(page)
    keys.tab_until(lambda f: f["tag"] == "summary", what="the Accessibility panel")
    keys.press("Enter")
    assert page.locator("details.a11y-panel").get_attribute("open") is not None, "Enter did not open the panel"

    now = keys.press("Tab")
    assert (now["name"], now["checked"]) == ("font_size", True), f"Tab from the panel went to {now}"
    keys.move_until("ArrowDown", lambda f: f["value"] == "200", limit=4, what="the Largest text size")
    assert keys.press("Space")["checked"]
    keys.tab_until(lambda f: f["name"] == "scheme", limit=5, what="the colour schemes")
    chosen = keys.move_until("ArrowDown", lambda f: f["value"] == "yellow", limit=4, what="Black on yellow")
    assert chosen["checked"] and chosen["label"] == "Black on yellow"
    keys.tab_until(lambda f: f["tag"] == "button" and f["name"] == "", limit=5, what="the Apply button")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_a_visitor_sets_black_on_yellow_and_largest_text_with_the_keyboard_and_it_is_remembered(site, keyboard,
                                                                                                   read_cookie):
    page = site.open("/holidays/", lang="en")
    before = page.evaluate(FONT_SIZE_OF_LEAD)
    assert {"scheme-normal", "a11y-font-100"} <= html_classes(page)

    choose_black_on_yellow_and_largest_text(page, keyboard)

    assert page.url.split("#")[0] == site.url("/holidays/"), "the panel should bring the visitor back to the page"
    assert {"scheme-yellow", "a11y-font-200"} <= html_classes(page)
    assert page.evaluate(FONT_SIZE_OF_LEAD) >= 1.9 * before
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 0)"

    remembered = read_cookie(page.context)
    assert (remembered["scheme"], remembered["font_size"]) == ("yellow", 200)

    page.goto(site.url("/regions/"))
    assert {"scheme-yellow", "a11y-font-200"} <= html_classes(page)
    assert page.locator("input[name=scheme][value=yellow]").first.is_checked()


def test_a_signed_in_users_choice_follows_them_to_a_new_browser(site, keyboard, make_user, log_in):
    make_user("donor@test.kz", Role.DONOR)
    page = site.page(lang="en")
    page.goto(site.url("/accounts/login/"))
    log_in(page, "donor@test.kz", PASSWORD)
    choose_black_on_yellow_and_largest_text(page, keyboard)
    assert {"scheme-yellow", "a11y-font-200"} <= html_classes(page)

    elsewhere = site.context(lang="en")
    page = elsewhere.new_page()
    page.goto(site.url("/accounts/login/"))
    assert {"scheme-normal", "a11y-font-100"} <= html_classes(page), "a new browser starts with the defaults"
    log_in(page, "donor@test.kz", PASSWORD)

    assert not any(c["name"] == "qamqor_a11y" for c in elsewhere.cookies()), "the choice must come from the account"
    assert {"scheme-yellow", "a11y-font-200"} <= html_classes(page)
