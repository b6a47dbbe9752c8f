"""axe-core finds no WCAG 2.2 A/AA violation on the special social services pages (the self-service portal, booking,
changing and cancelling, the provider workspace, contracts, acts, totals, representatives) in kk, ru and en and in
every colour scheme; and the portal on a phone (320 px wide) scrolls only down and every control on it is reached
with the keyboard alone. The checking is test_axe.py's: its Visit, languages and schemes."""

import datetime as dt

import pytest

from tests.browser.test_axe import LANGUAGES, SCHEMES, Visit, submit_the_form_empty

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _yesterday():
    from django.utils import timezone

    return timezone.localdate() - dt.timedelta(days=1)


def book_yesterday_and_be_offered_the_next_free_time(page):
    page.locator("#id_date").fill(_yesterday().isoformat())
    page.locator("#id_start").fill("10:00")
    with page.expect_navigation():
        page.locator("main form:not(.alternative) button[type=submit]").click()
    assert page.locator("#error-summary[role=alert]").is_visible()
    assert page.locator("#book-alternative").is_visible()


def move_the_booking_to_yesterday(page):
    page.locator("#id_change_date").fill(_yesterday().isoformat())
    with page.expect_navigation():
        page.locator("form:has(#id_change_date) button[type=submit]").click()
    assert page.locator("#error-summary[role=alert] a[href='#id_change_start']").is_visible()
    assert page.locator("#change-alternative").is_visible()


def submit_without_confirming(page):
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.locator("#error-summary[role=alert] a[href='#id_confirm']").is_visible()


def add_a_representative_with_nothing_filled_in(page):
    with page.expect_navigation():
        page.locator("main form:not(.inline-form) button[type=submit]").click()
    assert page.locator("#error-summary[role=alert] a").count() == 2


# Who is signed in: "person" (the beneficiary, with their registry record), "provider" (the provider's admin),
# "interpreter" (the provider's staff member), "customer" (staff of the state body that signed the contract),
# "registrar" (staff of the organisation that registered the person).
PAGES = {
    "portal": Visit("/services/", "person"),
    "book": Visit("/services/book/", "person"),
    "book-with-errors": Visit("/services/book/", "person", then=submit_the_form_empty),
    "book-refused-with-alternative": Visit("/services/book/?service={sign}", "person",
                                           then=book_yesterday_and_be_offered_the_next_free_time),
    "booking-with-change-and-cancel": Visit("/services/bookings/{coming}/", "person"),
    "booking-change-refused-with-alternative": Visit("/services/bookings/{coming}/", "person",
                                                     then=move_the_booking_to_yesterday),
    "booking-for-the-provider": Visit("/services/bookings/{past}/", "provider"),
    "booking-delivered": Visit("/services/bookings/{delivered}/", "person"),
    "no-show-confirmation": Visit("/services/bookings/{past}/no-show/", "interpreter"),
    "no-show-unconfirmed": Visit("/services/bookings/{past}/no-show/", "interpreter", then=submit_without_confirming),
    "series": Visit("/services/book/series/", "person"),
    "series-with-errors": Visit("/services/book/series/", "person", then=submit_the_form_empty),
    "provider-workspace": Visit("/services/provider/?day={coming_day}", "provider"),
    "contracts": Visit("/services/contracts/", "customer"),
    "contract": Visit("/services/contracts/{contract}/", "customer"),
    "contract-new": Visit("/services/contracts/new/", "customer"),
    "contract-new-with-errors": Visit("/services/contracts/new/", "customer", then=submit_the_form_empty),
    "act": Visit("/services/acts/{act}/", "provider"),
    "totals": Visit("/services/totals/?start={period_start}&end={today}", "customer"),
    "representatives": Visit("/services/persons/{person}/representatives/", "registrar"),
    "representatives-with-errors": Visit("/services/persons/{person}/representatives/", "registrar",
                                         then=add_a_representative_with_nothing_filled_in),
}


def make_services_data(request):
    """A state body's contract (amended) with the provider for sign-language interpreting in Almaty; an interpreter
    working every day 08:00-20:00; the beneficiary's own record (group II, uses sign language) with a representative;
    a coming assigned booking, a request of another person the same day, a delivered and a no-show-able booking of
    yesterday, a cancelled one; the act of yesterday's month. Returns the users by role and the ids."""
    import importlib

    from django.apps import apps
    from django.utils import timezone

    from qamqor.accounts.models import Role
    from qamqor.core.models import DisabilityCategory
    from qamqor.core.reference import load_disability_categories
    from qamqor.organizations.models import Organization
    from qamqor.registry.models import Person
    from qamqor.social_services import selectors, services
    from qamqor.social_services.models import EligibilityRule, ServiceType
    from qamqor.social_services.reference import load_service_types

    fixture = request.getfixturevalue
    # A transactional test's flush empties the tables the data migrations filled: load them again.
    load_disability_categories(DisabilityCategory)
    importlib.import_module("qamqor.registry.migrations.0002_categories_and_search_index").load(apps, None)
    load_service_types(ServiceType, EligibilityRule)
    people, org, almaty, make_user = fixture("people"), fixture("org"), fixture("almaty"), fixture("make_user")
    customer = Organization.objects.create(name="Алматы қаласы әлеуметтік бағдарламалар басқармасы",
                                           kind="state_body", bin="990140000011", region=almaty, status="verified")
    signer = make_user("akimat@test.kz", Role.ORG_STAFF, organization=customer, name="Әсем Нұрланова")
    sign = ServiceType.objects.get(code="sign_language_specialist")
    today = timezone.localdate()
    contract = services.contract_create(actor=signer, customer=customer, provider=org, service_type=sign,
                                        region=almaty, number="ГСЗ-12/2026", starts_on=today - dt.timedelta(days=70),
                                        ends_on=today + dt.timedelta(days=120), volume=100, unit_price="5000.00")
    services.contract_amend(actor=signer, contract=contract, signed_on=today - dt.timedelta(days=5),
                            reason="Қосымша сағаттар", volume=120)
    worker = make_user("interpreter@test.kz", Role.ORG_STAFF, organization=org, name="Айгүл Жестова")
    staff = services.staff_add(actor=people["org_admin"], provider=org, user=worker, role="interpreter")
    services.staff_set_hours(actor=people["org_admin"], staff=staff,
                             hours=[(d, dt.time(8), dt.time(20)) for d in range(7)])
    person = Person.objects.create(owner=org, region=almaty, surname="Кусаинова", given_name="Ляззат",
                                   birth_date=dt.date(1980, 5, 1), user=people["beneficiary"],
                                   disability=DisabilityCategory.objects.get(code="group_2"), deaf_sign_language=True)
    other = Person.objects.create(owner=org, region=almaty, surname="Омаров", given_name="Ерлан",
                                  birth_date=dt.date(1975, 2, 3),
                                  disability=DisabilityCategory.objects.get(code="group_1"), deaf_sign_language=True)
    services.representative_add(actor=people["org_staff"], person=person, user=make_user("daughter@test.kz"),
                                consent_reference="Сенімхат № 12, 01.03.2026", relationship="қызы")
    me = people["beneficiary"]
    coming_day = today + dt.timedelta(days=3)
    coming = services.booking_create(actor=me, person=person, service_type=sign, staff=staff,
                                     starts_at=selectors.at(coming_day, dt.time(10)),
                                     ends_at=selectors.at(coming_day, dt.time(11, 30)), place="Медеу аудандық соты",
                                     purpose="court")
    services.booking_create(actor=people["org_staff"], person=other, service_type=sign,
                            starts_at=selectors.at(coming_day, dt.time(14)), place="ҚазҰУ, 3-корпус", purpose="exam")
    cancelled = services.booking_create(actor=me, person=person, service_type=sign,
                                        starts_at=selectors.at(coming_day + dt.timedelta(days=1), dt.time(9)))
    services.booking_cancel(actor=me, booking=cancelled, reason="Жоспар өзгерді")
    yesterday = today - dt.timedelta(days=1)

    def booked_yesterday(hour):
        start = selectors.at(yesterday, dt.time(hour))
        booking = services.booking_create(actor=me, person=person, service_type=sign, starts_at=start,
                                          now=start - dt.timedelta(days=2))
        return services.booking_assign(actor=people["org_admin"], booking=booking, staff=staff)

    delivered = booked_yesterday(10)
    services.delivery_record(actor=worker, booking=delivered, started_at=delivered.starts_at,
                             ended_at=delivered.ends_at, signature=True)
    past = booked_yesterday(15)
    act = services.act_generate(actor=people["org_admin"], contract=contract, month=yesterday)
    users = {"person": me, "provider": people["org_admin"], "interpreter": worker, "customer": signer,
             "registrar": people["org_staff"]}
    ids = {"sign": sign.pk, "coming": coming.pk, "past": past.pk, "delivered": delivered.pk,
           "coming_day": coming_day.isoformat(), "contract": contract.pk, "act": act.pk, "person": person.pk,
           "period_start": (yesterday - dt.timedelta(days=30)).isoformat(), "today": today.isoformat()}
    return users, ids


@pytest.mark.parametrize("name", PAGES)
def test_the_services_pages_have_no_accessibility_violations(site, request, axe, explain, name):
    """Each page in kk, ru and en with the default colours, and in Kazakh in each other colour scheme."""
    visit = PAGES[name]
    users, ids = make_services_data(request)
    found = []
    for lang, scheme in [(lang, None) for lang in LANGUAGES] + [("kk", scheme) for scheme in SCHEMES]:
        context = {"lang": lang, **({"scheme": scheme} if scheme else {})}
        page = site.open(visit.path.format(**ids), status=visit.status, user=users[visit.role], **context)
        if visit.then is not None:
            visit.then(page)
        assert page.locator("html").get_attribute("lang") == lang
        violations = axe(page)
        if violations:
            found.append(f"[{lang}, {scheme or 'default colours'}] {page.url}:\n{explain(violations)}")
        page.close()
    assert not found, "axe-core found violations:\n" + "\n".join(found)


# Everything a keyboard user should reach: visible, enabled (a link or field taken out of the tab order counts, and
# fails), not inside a closed
# <details> (its summary is the stop: Enter opens it). A group of radios is one stop (arrows move inside it), so
# its radios share one number.
CONTROLS = """() => {
  const groups = {};
  let next = 0;
  for (const e of document.querySelectorAll(
      'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex="-1"])')) {
    if (e.disabled || !e.getClientRects().length
        || getComputedStyle(e).visibility === 'hidden') continue;
    const closed = e.closest('details:not([open])');
    if (closed && !(e.tagName === 'SUMMARY' && e.parentElement === closed)) continue;
    if (e.type === 'radio') {
      const key = (e.form ? e.form.id || 'f' : '') + ':' + e.name;
      if (!(key in groups)) groups[key] = next++;
      e.dataset.controlIndex = groups[key];
    } else {
      e.dataset.controlIndex = next++;
    }
  }
  return next;
}"""


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_portal_on_a_phone_scrolls_only_down_and_every_control_is_reached_by_keyboard(site, request, lang):
    users, ids = make_services_data(request)
    page = site.page(lang=lang, user=users["person"])
    page.set_viewport_size({"width": 320, "height": 640})
    response = page.goto(site.url("/services/"))
    assert response is not None and response.status == 200
    # Nothing sticks out to the right. A table scrolls inside its own box, but a visually hidden text in it is
    # placed absolutely, outside that box, and widens the whole page: it is checked too.
    wide = page.evaluate("""() => Array.from(document.querySelectorAll('body *'))
        .filter(e => e.getClientRects().length
                     && !(e.closest('.table-wrap') && e.closest('.table-wrap') !== e
                          && getComputedStyle(e).position !== 'absolute')
                     && e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
        .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '')
                  + ' ' + Math.round(e.getBoundingClientRect().right))""")
    assert not wide, f"sticking out of a 320 px screen: {wide[:10]}"
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"the page is {widths[0]} px wide in a {widths[1]} px screen"

    total = page.evaluate(CONTROLS)
    assert total > 10  # the menu, the panel, the booking links: the test would prove nothing on an empty page
    reached, presses = set(), 0
    page.locator("body").focus()
    while presses < total * 3 + 20:
        page.keyboard.press("Tab")
        presses += 1
        index = page.evaluate("() => document.activeElement && document.activeElement.dataset.controlIndex")
        if index is not None:
            if int(index) in reached and len(reached) == total:
                break
            reached.add(int(index))
        if len(reached) == total:
            break
    missing = page.evaluate("""(reached) => Array.from(document.querySelectorAll('[data-control-index]'))
        .filter(e => !reached.includes(Number(e.dataset.controlIndex)))
        .map(e => e.outerHTML.slice(0, 120))""", sorted(reached))
    # (a radio group counts as reached when any of its radios was)
    assert not missing, f"not reached with Tab: {missing}"
    # The booking in view: its link is followed with Enter.
    link = page.locator(f"main a[href='/services/bookings/{ids['coming']}/']")
    link.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/services/bookings/{ids['coming']}/")
