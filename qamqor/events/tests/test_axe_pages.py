"""axe-core over the events pages (WCAG 2.2 A/AA), with the browser fixtures of tests/browser.

Each page is checked in Kazakh (the default language, with the longest words); the campaign report, whose SVG chart
follows the colour scheme, also in each colour scheme. tests/browser/test_axe.py may add these pages to its
every-language run.
"""

import datetime as dt

import pytest
from django.utils import timezone

from qamqor.accounts.models import Role
from tests.browser.conftest import CHROMIUM, MISSING, axe, explain, holidays, in_ci, regions, site  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

if not CHROMIUM.exists() and not in_ci():
    pytestmark.append(pytest.mark.skip(reason=MISSING))


@pytest.fixture
def data(make_event, make_item, make_person, give, make_campaign, make_user, org, people, holidays):  # noqa: F811
    from qamqor.aid.models import CampaignItem, Offer
    from qamqor.events.models import EventVolunteer

    campaign = make_campaign("kurban-ait-2026")
    food = make_item("food-package")
    meat = make_item("meat", unit="kg", value="3500.00")
    CampaignItem.objects.create(campaign=campaign, item=meat, target_quantity=1000)
    Offer.objects.create(kind="money", donor_user=people["donor"], recipient=org, campaign=campaign,
                         amount_kzt="1250000.00", status="received")
    Offer.objects.create(kind="goods", donor_user=people["donor"], recipient=org, campaign=campaign, item=meat,
                         quantity=400, status="received")
    planned = make_event(days=2, volunteers_needed=5, campaign=campaign, accessible_venue=True,
                         description="Азық-түлік себеттерін тарату.")
    EventVolunteer.objects.create(event=planned, user=people["volunteer"])
    held = make_event(days=-1, status="held", campaign=campaign, volunteers_needed=2)
    EventVolunteer.objects.create(event=held, user=people["volunteer"])
    make_event(days=3, status="cancelled")
    person = make_person()
    give(food, 2, person=person, event=held, campaign=campaign)
    give(meat, 10, institution="Қарттар үйі", event=held, campaign=campaign)
    start = timezone.localtime(planned.starts_at)
    quarter = (start.month - 1) // 3 + 1
    return {"planned": planned.pk, "held": held.pk, "campaign": campaign.slug,
            "month": f"year={start.year}&month={start.month}", "period": f"year={start.year}&quarter={quarter}"}


def submit_the_form_empty(page):
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    assert page.locator("#error-summary[role=alert] a").count() >= 3


def submit_bad_hours(page):
    page.locator("main table input[type=text]").first.fill("30")
    with page.expect_navigation():
        page.locator("main table form button[type=submit]").first.click()
    assert page.locator("#error-summary[role=alert] a").count() == 1


PAGES = {
    "calendar": ("/events/?{month}", None, None),
    "event-planned": ("/events/{planned}/", None, None),
    "event-held-with-outcomes": ("/events/{held}/", None, None),
    "event-as-volunteer": ("/events/{planned}/", "volunteer", None),
    "event-as-organiser": ("/events/{held}/", "org_staff", None),
    "event-new-with-errors": ("/events/new/", "org_staff", submit_the_form_empty),
    "event-edit": ("/events/{planned}/edit/", "org_staff", None),
    "event-cancel": ("/events/{planned}/cancel/", "org_staff", None),
    "volunteers-with-an-error": ("/events/{held}/volunteers/", "org_staff", submit_bad_hours),
    "my-events": ("/events/mine/", "volunteer", None),
    "events-i-run": ("/events/manage/", "org_staff", None),
    "summary": ("/events/summary/?{period}", None, None),
    "campaigns": ("/events/campaigns/", None, None),
    "campaign-report": ("/events/campaigns/{campaign}/", None, None),
}


def check(site, axe, explain, people, data, name, **context):  # noqa: F811
    path, role, then = PAGES[name]
    page = site.open(path.format(**data), user=people[role] if role else None, **context)
    if then is not None:
        then(page)
    violations = axe(page)
    assert not violations, f"axe-core found {len(violations)} violation(s) on {page.url}:\n{explain(violations)}"
    return page


@pytest.mark.parametrize("name", PAGES)
def test_events_pages_have_no_accessibility_violations(site, axe, explain, people, data, name):  # noqa: F811
    check(site, axe, explain, people, data, name, lang="kk")


@pytest.mark.parametrize("scheme", ["contrast", "yellow", "dark"])
def test_the_campaign_chart_has_no_violations_in_each_colour_scheme(site, axe, explain, people, data,  # noqa: F811
                                                                     scheme):
    page = check(site, axe, explain, people, data, "campaign-report", lang="en", scheme=scheme)
    assert page.locator("svg[role=img] title").count() == 1
