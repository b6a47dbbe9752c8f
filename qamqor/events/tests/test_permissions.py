"""Every events page and endpoint × every role (and anonymous) → the status that role must get.

Runs the events app's rows with the shared matrix's roles and users. Those who run the test event (`org`'s
administrators and staff, Almaty's coordinator, platform admins) are MANAGERS; volunteers sign up.
"""

import datetime as dt

import pytest
from django.utils import timezone

from tests.test_permission_matrix import ROLES, row

MANAGERS = {"platform_admin": 200, "coordinator": 200, "org_admin": 200, "org_staff": 200}


def managers(status):
    return {role: status for role in MANAGERS}


MATRIX = [
    row("GET", "/events/", 200),
    row("GET", "/events/?region=750000000&month=3&year=2026", 200),
    row("GET", "/events/{event}/", 200),
    row("GET", "/events/{hidden}/", 404, platform_admin=200, coordinator=200),
    row("GET", "/events/new/", 403, anonymous=302, **managers(200)),
    row("GET", "/events/manage/", 403, anonymous=302, **managers(200)),
    row("GET", "/events/{event}/edit/", 403, anonymous=302, **managers(200)),
    row("GET", "/events/{event}/cancel/", 403, anonymous=302, **managers(200)),
    row("POST", "/events/{past}/held/", 403, anonymous=302, **managers(302)),
    row("GET", "/events/{event}/volunteers/", 403, anonymous=302, **managers(200)),
    # An empty hours form: refused with the error summary (400) for those who run the event.
    row("POST", "/events/{held}/volunteers/{signup}/hours/", 403, anonymous=302, **managers(400)),
    row("POST", "/events/{event}/sign-up/", 403, anonymous=302, volunteer=302),
    row("POST", "/events/{event}/withdraw/", 403, anonymous=302, volunteer=302),
    row("GET", "/events/mine/", 200, anonymous=302),
    row("GET", "/events/summary/", 200),
    row("GET", "/events/summary/?year=2026&quarter=1&region=750000000", 200),
    row("GET", "/events/calendar.ics", 200),
    row("GET", "/events/calendar.ics?region=750000000", 200),
    row("GET", "/events/campaigns/", 200),
    row("GET", "/events/campaigns/{campaign}/", 200),
    row("GET", "/events/campaigns/{draft}/", 404, platform_admin=200, org_admin=200, org_staff=200),
    row("GET", "/api/v1/events", 200),
    row("GET", "/api/v1/events?region=750000000&from=2026-01-01&to=2030-12-31", 200),
    row("GET", "/api/v1/events/{event}", 200),
    row("GET", "/api/v1/events/{hidden}", 404, platform_admin=200, coordinator=200),
    row("GET", "/api/v1/events/summary?year=2026&quarter=1", 200),
    row("GET", "/api/v1/events/campaigns/{campaign}", 200),
    row("GET", "/api/v1/events/campaigns/{draft}", 404, platform_admin=200, org_admin=200, org_staff=200),
]


@pytest.fixture
def objects(people, org, almaty, make_event, make_campaign):
    from qamqor.events.models import EventVolunteer
    from qamqor.organizations.models import Organization

    pending = Organization.objects.create(name="Pending NGO", kind="ngo", bin="190540000054", region=almaty)
    event = make_event(days=10, volunteers_needed=3)
    # The volunteer holds a place, so that withdrawing succeeds and signing up again is refused politely (302).
    EventVolunteer.objects.create(event=event, user=people["volunteer"])
    held = make_event(days=-2, status="held")
    signup = EventVolunteer.objects.create(event=held, user=people["volunteer"])
    past = make_event(starts_at=timezone.now() - dt.timedelta(hours=2))
    return {"event": event.pk, "hidden": make_event(days=5, organizer=pending).pk, "past": past.pk, "held": held.pk,
            "signup": signup.pk, "campaign": make_campaign("open-campaign").slug,
            "draft": make_campaign("draft-campaign", status="draft").slug}


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(client_for, people, objects, role):
    """One test per role over every row (the rows' data is made once per role, which keeps the app's tests fast);
    every row that differs is listed. The rows run in order: the POSTs leave statuses of later rows unchanged."""
    client = client_for(None if role == "anonymous" else people[role])
    wrong = []
    for method, path, expected in MATRIX:
        url = path.format(**objects)
        response = client.get(url) if method == "GET" else client.post(url)
        if response.status_code != expected[role]:
            wrong.append(f"{method} {url}: {response.status_code}, expected {expected[role]}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)
