"""Log-in, and the second factor, done with the keyboard alone; the skip link leads past the header."""

from urllib.parse import urlparse

import pytest
from django_otp.oath import totp

from conftest import PASSWORD
from qamqor.accounts.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def is_skip_link(f):
    return f["tag"] == "a" and "skip-link" in f["cls"]


@pytest.mark.parametrize("path", ["/", "/accounts/signup/", "/organizations/"])
def test_the_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(site, keyboard, path):
    page = site.open(path, lang="en")
    keys = keyboard(page)
    assert keys.focused()["tag"] == "body"

    first = keys.press("Tab")
    assert is_skip_link(first), f"the first Tab stop is {first}, not the skip link"
    box = page.locator(".skip-link").bounding_box()
    assert box["y"] >= 0 and box["height"] > 0, "the focused skip link must be visible on screen"

    assert keys.press("Enter")["id"] == "main"
    after = keys.press("Tab")
    assert after["inMain"], f"Tab after the skip link should stay in the main content, went to {after}"


def test_a_user_logs_in_with_the_keyboard_alone(site, keyboard, make_user):
    make_user("volunteer@test.kz", Role.VOLUNTEER, name="Айгүл Сейітова")
    page = site.open("/accounts/login/", lang="en")
    keys = keyboard(page)

    # The e-mail field takes the focus as the page opens (autofocus), so this may need no Tab at all.
    keys.tab_until(lambda f: f["id"] == "id_username", what="the e-mail field")
    page.keyboard.type("volunteer@test.kz")
    assert keys.press("Tab")["id"] == "id_password"
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert urlparse(page.url).path == "/dashboard/"
    assert page.locator("h1").inner_text() == "Hello, Айгүл"


def test_a_user_with_two_factor_logs_in_and_confirms_the_code_with_the_keyboard_alone(site, keyboard, make_user, org):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = make_user("orgadmin@test.kz", Role.ORG_ADMIN, organization=org, name="Бауыржан Омаров")
    device = TOTPDevice.objects.get(user=user)
    page = site.open("/accounts/login/", lang="en")
    keys = keyboard(page)

    keys.tab_until(lambda f: f["id"] == "id_username", what="the e-mail field")
    page.keyboard.type("orgadmin@test.kz")
    assert keys.press("Tab")["id"] == "id_password"
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # The code page: skip link, then the code field is the first stop in the main content.
    assert urlparse(page.url).path == "/accounts/2fa/verify/"
    assert is_skip_link(keys.press("Tab"))
    assert keys.press("Enter")["id"] == "main"
    assert keys.press("Tab")["id"] == "id_code"
    page.keyboard.type(f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert urlparse(page.url).path == "/dashboard/"
    assert page.locator("h1").inner_text() == "Hello, Бауыржан"
    assert org.name in page.locator("main").inner_text()
