"""axe-core finds no WCAG 2.2 A/AA violation on the InvaTaxi pages, in kk, ru and en and in every colour scheme,
with the data each page is for: the board of a planned day with a ride left over (and with an assignment refused),
the fleet, the driver's manifest, the passenger's booking form sent empty, and their rides."""

import pytest

from tests.browser.test_axe import LANGUAGES, SCHEMES, Visit, submit_the_form_empty, submit_two_empty_fields

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def refuse_an_assignment_without_a_vehicle(page):
    with page.expect_navigation():
        page.locator("main form.assign-form button[type=submit]").first.click()
    assert page.locator("#error-summary[role=alert] a").count() == 1


def find_the_passenger_by_iin(page):
    with page.expect_navigation():
        page.locator("main form[role=search] button[type=submit]").click()
    assert page.locator("main ul.results a").count() == 1


PAGES = {
    "transport-home": Visit("/transport/", "passenger"),
    "transport-board": Visit("/transport/board/?org={org}&day={day}", "dispatcher"),
    "transport-board-refused": Visit("/transport/board/?org={org}&day={day}", "dispatcher",
                                     then=refuse_an_assignment_without_a_vehicle),
    "transport-phone-search": Visit("/transport/board/request/?org={org}&day={day}&q={iin}", "dispatcher"),
    "transport-phone-form-with-errors": Visit("/transport/board/request/?org={org}&day={day}&person={person}",
                                              "dispatcher", then=submit_the_form_empty),
    "transport-fleet": Visit("/transport/fleet/?org={org}&day={day}", "dispatcher"),
    "transport-shift-new-with-errors": Visit("/transport/fleet/shifts/new/?org={org}&day={day}", "dispatcher",
                                             then=submit_two_empty_fields),
    "transport-manifest": Visit("/transport/shifts/{shift}/manifest/", "driver"),
    "transport-book-with-errors": Visit("/transport/book/", "passenger", then=submit_the_form_empty),
    "transport-my-rides": Visit("/transport/rides/", "passenger"),
}


@pytest.fixture
def invataxi_reference(regions):
    """What the data migrations loaded and a transactional test's flush emptied: disability categories, the service
    types with their eligibility rules."""
    from qamqor.core.models import DisabilityCategory
    from qamqor.core.reference import load_disability_categories
    from qamqor.social_services.models import EligibilityRule, ServiceType
    from qamqor.social_services.reference import load_service_types

    load_disability_categories(DisabilityCategory)
    load_service_types(ServiceType, EligibilityRule)


@pytest.mark.parametrize("name", PAGES)
def test_invataxi_pages_have_no_accessibility_violations(site, request, axe, explain, invataxi_reference, name):
    from qamqor.transport.tests.page_data import make_world

    visit = PAGES[name]
    fixture = request.getfixturevalue
    world = make_world(fixture("people"), fixture("org"), fixture("almaty"), fixture("make_user"))
    user = world.users[visit.role]
    ids = world.ids()
    found = []
    for lang, scheme in [(lang, None) for lang in LANGUAGES] + [("kk", scheme) for scheme in SCHEMES]:
        context = {"lang": lang, **({"scheme": scheme} if scheme else {})}
        page = site.open(visit.path.format(**ids), status=visit.status, user=user, **context)
        if visit.then is not None:
            visit.then(page)
        assert page.locator("html").get_attribute("lang") == lang
        violations = axe(page)
        if violations:
            found.append(f"[{lang}, {scheme or 'default colours'}] {page.url}:\n{explain(violations)}")
        page.close()
    assert not found, "axe-core found violations:\n" + "\n".join(found)


def test_the_driver_marks_a_pick_up_on_a_phone_with_the_keyboard_alone(site, request, keyboard, invataxi_reference):
    """At 320 CSS pixels, and with the text at 200%, the manifest's content fits the width; the driver tabs to
    "Picked up", presses Enter, and the page says what was recorded."""
    from qamqor.transport.models import RideRequest
    from qamqor.transport.tests.page_data import make_today, make_world

    fixture = request.getfixturevalue
    world = make_world(fixture("people"), fixture("org"), fixture("almaty"), fixture("make_user"))
    shift, ride = make_today(world)
    path = f"/transport/shifts/{shift.pk}/manifest/"
    for settings in ({}, {"font_size": 200}):
        context = site.context(lang="en", user=world.users["driver"])
        if settings:
            from tests.browser.conftest import a11y_cookie

            context.add_cookies([{"name": "qamqor_a11y", "value": a11y_cookie(**settings), "url": site.base}])
        page = context.new_page()
        page.set_viewport_size({"width": 320, "height": 640})
        page.goto(site.url(path))
        # The page's own content (the shared header is the site's, checked elsewhere).
        overflow = page.evaluate("""() => Math.max(0, ...[...document.querySelectorAll('main *')].map(
            e => e.getBoundingClientRect().right - document.documentElement.clientWidth))""")
        assert overflow <= 1, f"the manifest's content sticks out sideways by {overflow}px with {settings or 'default text'}"
        page.close()
    page = site.open(path, lang="en", user=world.users["driver"])
    page.set_viewport_size({"width": 320, "height": 640})
    keys = keyboard(page)
    keys.tab_until(lambda f: f["tag"] == "button" and f["text"].startswith("Picked up"), limit=80,
                   what="the Picked up button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".messages").inner_text().startswith("Recorded: Өмірзақова Шаһарбану Ұлықбекқызы picked up")
    ride.refresh_from_db()
    assert ride.status == RideRequest.Status.PICKED_UP
    assert page.locator("button", has_text="Dropped off").is_visible()
