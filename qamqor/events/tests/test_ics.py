"""The calendar feed parses as iCalendar and holds the right public events."""

import datetime as dt

import pytest
from icalendar import Calendar


def parse(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


@pytest.fixture
def events(make_event, astana, db):
    from qamqor.organizations.models import Organization

    pending = Organization.objects.create(name="Pending", kind="ngo", bin="200240000018", region=astana)
    return {
        "planned": make_event(days=5, title="Наурыз керуені", description="Азық-түлік"),
        "cancelled": make_event(days=6, status="cancelled", title="Тоқтатылған"),
        "astana": make_event(days=7, region=astana, title="Астана керуені"),
        "hidden": make_event(days=8, organizer=pending, title="Жасырын"),
        "old": make_event(days=-400, title="Ескі"),
    }


def test_the_feed_has_the_public_events_with_their_times_and_status(client, events):
    cal = parse(client.get("/events/calendar.ics"))
    vevents = {str(v["summary"]): v for v in cal.walk("VEVENT")}
    assert set(vevents) == {"Наурыз керуені", "Тоқтатылған", "Астана керуені"}
    planned = vevents["Наурыз керуені"]
    event = events["planned"]
    assert str(planned["uid"]) == f"event-{event.pk}@qamqor.kz"
    assert planned.decoded("dtstart") == event.starts_at and planned.decoded("dtend") == event.ends_at
    assert planned.decoded("dtstart").utcoffset() == dt.timedelta(0)
    assert "dtstamp" in planned and str(planned["status"]) == "CONFIRMED"
    assert str(planned["url"]).endswith(f"/events/{event.pk}/")
    assert "Абай даңғылы 10" in str(planned["location"])
    assert str(vevents["Тоқтатылған"]["status"]) == "CANCELLED"
    # Only public information: no volunteer, no recipient, nothing of the unverified organiser's.
    assert b"@test.kz" not in client.get("/events/calendar.ics").content


def test_the_feed_of_one_region(client, events, astana):
    cal = parse(client.get(f"/events/calendar.ics?region={astana.kato_code}"))
    assert [str(v["summary"]) for v in cal.walk("VEVENT")] == ["Астана керуені"]
    assert client.get("/events/calendar.ics?region=123456789").status_code == 404
