"""Planning, changing, cancelling and holding events; volunteers signing up and their hours."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from qamqor.accounts.models import Role
from qamqor.core.errors import PermissionDenied, ServiceError
from qamqor.core.models import AuditLog, Holiday
from qamqor.events import services
from qamqor.events.models import Event, EventVolunteer


def form_data(org, region, **overrides):
    starts = timezone.localtime() + dt.timedelta(days=14)
    data = {"title": "Мейірім керуені", "description": "", "organizer": org.pk, "region": region.pk,
            "place": "Абай даңғылы 10", "starts_at": starts.strftime("%Y-%m-%dT10:00"),
            "ends_at": starts.strftime("%Y-%m-%dT14:00"), "volunteers_needed": "5", "campaign": "", "holiday": ""}
    data.update(overrides)
    return data


def data_for(org, where, **overrides):
    starts = timezone.now() + dt.timedelta(days=14)
    data = {"title": "Мейірім керуені", "organizer": org, "region": where, "place": "Абай даңғылы 10",
            "starts_at": starts, "ends_at": starts + dt.timedelta(hours=4), "volunteers_needed": 2}
    data.update(overrides)
    return data


def test_staff_plan_an_event_and_it_is_audited(client_for, people, org, almaty):
    response = client_for(people["org_staff"]).post("/events/new/", form_data(org, almaty))
    event = Event.objects.get()
    assert response.status_code == 302 and response.url == f"/events/{event.pk}/"
    assert (event.organizer, event.region, event.volunteers_needed, event.status) == (org, almaty, 5, "planned")
    assert timezone.localtime(event.starts_at).hour == 10
    assert AuditLog.objects.filter(action="event.create", object_id=str(event.pk)).exists()


@pytest.mark.parametrize("overrides,field,message", [
    ({"ends_at": "START-1"}, "ends_at", "The end is before the start"),
    ({"starts_at": "PAST", "ends_at": "PASTEND"}, "starts_at", "The start is in the past"),
    ({"region": "999999"}, "region", "There is no such region"),
    ({"title": "   "}, "title", "This field is required"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_saved(client_for, people, org, almaty, overrides,
                                                                      field, message):
    data = form_data(org, almaty)
    past = timezone.localtime() - dt.timedelta(days=3)
    values = {"START-1": data["starts_at"][:11] + "09:00", "PAST": past.strftime("%Y-%m-%dT10:00"),
              "PASTEND": past.strftime("%Y-%m-%dT12:00")}
    data.update({k: values.get(v, v) for k, v in overrides.items()})
    response = client_for(people["org_staff"]).post("/events/new/", data, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="error-summary"' in html and f'href="#id_{field}"' in html and message in html
    assert not Event.objects.exists() and not AuditLog.objects.filter(action__startswith="event.").exists()


def test_the_service_refuses_bad_input_with_the_field(people, org, almaty):
    staff = people["org_staff"]
    cases = [({"region": "123456789"}, "region"), ({"region": None}, "region"), ({"place": ""}, "place"),
             ({"volunteers_needed": -1}, "volunteers_needed"),
             ({"ends_at": timezone.now() + dt.timedelta(days=13)}, "ends_at")]
    for overrides, field in cases:
        with pytest.raises(ServiceError) as caught:
            services.event_create(actor=staff, data=data_for(org, almaty, **overrides))
        assert caught.value.field == field
    assert not Event.objects.exists()


def test_only_the_organisers_staff_or_the_regions_coordinator_hold_events(people, org, almaty, astana):
    from qamqor.organizations.models import Organization

    other = Organization.objects.create(name="Astana Fund", kind="charity_fund", bin="190540000054", region=astana,
                                        status="verified")
    with pytest.raises(PermissionDenied):
        services.event_create(actor=people["org_staff"], data=data_for(other, almaty))
    with pytest.raises(PermissionDenied):
        services.event_create(actor=people["coordinator"], data=data_for(other, astana))
    event = services.event_create(actor=people["coordinator"], data=data_for(other, almaty))
    with pytest.raises(PermissionDenied):
        services.event_update(actor=people["volunteer"], event=event, data=data_for(other, almaty, title="X"))
    assert Event.objects.count() == 1


def test_an_event_near_a_public_holiday_is_linked_to_it(people, org, almaty):
    day = timezone.localdate() + dt.timedelta(days=30)
    Holiday.objects.filter(date__gte=day - dt.timedelta(days=5), date__lte=day + dt.timedelta(days=5)).delete()
    holiday = Holiday.objects.create(date=day + dt.timedelta(days=2), name_kk="Мереке", name_ru="Праздник",
                                     name_en="Holiday", kind="fixed", status="confirmed")
    starts = timezone.make_aware(dt.datetime.combine(day, dt.time(10)))
    event = services.event_create(actor=people["org_staff"], data=data_for(org, almaty, starts_at=starts,
                                                                          ends_at=starts + dt.timedelta(hours=2)))
    assert event.holiday == holiday
    far = starts + dt.timedelta(days=10)
    Holiday.objects.filter(date__gte=far.date() - dt.timedelta(days=4), date__lte=far.date() + dt.timedelta(days=4)).delete()
    other = services.event_create(actor=people["org_staff"], data=data_for(org, almaty, starts_at=far,
                                                                          ends_at=far + dt.timedelta(hours=2)))
    assert other.holiday is None


def test_update_cancel_and_mark_held(people, org, almaty, make_event):
    staff = people["org_admin"]
    event = services.event_create(actor=staff, data=data_for(org, almaty))
    event = services.event_update(actor=staff, event=event, data=data_for(org, almaty, title="Жаңа атау"))
    assert (event.title, event.sequence) == ("Жаңа атау", 1)
    with pytest.raises(ServiceError) as caught:
        services.event_mark_held(actor=staff, event=event)
    assert "has not started" in str(caught.value.message)
    with pytest.raises(ServiceError) as caught:
        services.event_cancel(actor=staff, event=event, reason="  ")
    assert caught.value.field == "reason"
    event = services.event_cancel(actor=staff, event=event, reason="Дауыл ескертуі")
    assert (event.status, event.cancel_reason, event.sequence) == ("cancelled", "Дауыл ескертуі", 2)
    with pytest.raises(ServiceError):
        services.event_update(actor=staff, event=event, data=data_for(org, almaty, title="Again"))
    past = make_event(days=-1)
    assert services.event_mark_held(actor=people["coordinator"], event=past).status == "held"
    actions = list(AuditLog.objects.filter(action__startswith="event.").values_list("action", flat=True))
    assert sorted(actions) == ["event.cancel", "event.create", "event.mark_held", "event.update"]


# Volunteers.

@pytest.fixture
def volunteers(make_user):
    return [make_user(f"v{n}@test.kz", Role.VOLUNTEER, name=f"Ерікті Волонтёров {n}") for n in range(3)]


def test_volunteers_sign_up_until_the_places_are_taken(make_event, volunteers):
    event = make_event(volunteers_needed=2)
    services.volunteer_sign_up(actor=volunteers[0], event=event)
    with pytest.raises(ServiceError) as caught:
        services.volunteer_sign_up(actor=volunteers[0], event=event)
    assert caught.value.code == "duplicate"
    services.volunteer_sign_up(actor=volunteers[1], event=event)
    with pytest.raises(ServiceError) as caught:
        services.volunteer_sign_up(actor=volunteers[2], event=event)
    assert "places" in str(caught.value.message)
    services.volunteer_withdraw(actor=volunteers[1], event=event)
    services.volunteer_sign_up(actor=volunteers[2], event=event)
    # Withdrawing and signing up again reuses the row (one per volunteer and event).
    with pytest.raises(ServiceError):
        services.volunteer_sign_up(actor=volunteers[1], event=event)
    assert EventVolunteer.objects.filter(event=event, withdrawn_at__isnull=True).count() == 2


def test_sign_up_is_refused_for_a_cancelled_or_past_event_and_for_non_volunteers(make_event, volunteers, people):
    for event in (make_event(volunteers_needed=5, status="cancelled"), make_event(days=-1, volunteers_needed=5),
                  make_event(days=-1, volunteers_needed=5, status="held")):
        with pytest.raises(ServiceError):
            services.volunteer_sign_up(actor=volunteers[0], event=event)
    with pytest.raises(PermissionDenied):
        services.volunteer_sign_up(actor=people["donor"], event=make_event(volunteers_needed=5))
    assert not EventVolunteer.objects.exists()


def test_a_volunteer_signs_up_and_withdraws_through_the_page(client_for, make_event, people):
    event = make_event(volunteers_needed=1)
    client = client_for(people["volunteer"])
    assert client.post(f"/events/{event.pk}/sign-up/").status_code == 302
    assert EventVolunteer.objects.filter(event=event, user=people["volunteer"], withdrawn_at__isnull=True).exists()
    html = client.get("/events/mine/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert event.title in html and "signed up" in html
    assert client.post(f"/events/{event.pk}/withdraw/").status_code == 302
    assert EventVolunteer.objects.get(event=event).withdrawn_at is not None


def test_the_organiser_confirms_hours_after_the_event(client_for, make_event, people, volunteers):
    event = make_event(volunteers_needed=3)
    signup = services.volunteer_sign_up(actor=volunteers[0], event=event)
    with pytest.raises(ServiceError):
        services.volunteer_hours_confirm(actor=people["org_staff"], signup=signup, hours="4")
    Event.objects.filter(pk=event.pk).update(status="held", starts_at=timezone.now() - dt.timedelta(hours=5),
                                             ends_at=timezone.now() - dt.timedelta(hours=1))
    signup.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.volunteer_hours_confirm(actor=volunteers[0], signup=signup, hours="4")
    client = client_for(people["org_staff"])
    url = f"/events/{event.pk}/volunteers/{signup.pk}/hours/"
    for bad in ("25", "-1", "abc", "3.25"):
        response = client.post(url, {f"v{signup.pk}-hours": bad}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400 and 'id="error-summary"' in response.content.decode()
    signup.refresh_from_db()
    assert signup.hours is None
    assert client.post(url, {f"v{signup.pk}-hours": "3,5"}).status_code == 302
    signup.refresh_from_db()
    assert (signup.hours, signup.hours_confirmed_by) == (Decimal("3.5"), people["org_staff"])
    assert AuditLog.objects.filter(action="event.volunteer_hours_confirm").count() == 1
    html = client_for(volunteers[0]).get("/events/mine/").content.decode()
    assert "3.5" in html or "3,5" in html


def test_volunteer_names_are_shown_only_to_the_organiser_and_logged(client_for, make_event, people, volunteers):
    from qamqor.core.models import AccessLog

    event = make_event(volunteers_needed=3)
    services.volunteer_sign_up(actor=volunteers[0], event=event)
    public = client_for(None).get(f"/events/{event.pk}/").content.decode()
    assert volunteers[0].full_name not in public and "v0@test.kz" not in public
    html = client_for(people["org_staff"]).get(f"/events/{event.pk}/volunteers/").content.decode()
    assert "v0@test.kz" in html
    assert AccessLog.objects.filter(subject_id=str(volunteers[0].pk), purpose="event volunteers").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_volunteers_racing_for_the_last_place_never_both_get_it(make_event, make_user):
    """On PostgreSQL the event row lock serialises sign-ups."""
    import threading

    from django.db import connection

    event = make_event(volunteers_needed=1)
    racers = [make_user(f"racer{n}@test.kz", Role.VOLUNTEER) for n in range(4)]
    barrier = threading.Barrier(len(racers))
    outcomes = []

    def run(user):
        try:
            barrier.wait()
            services.volunteer_sign_up(actor=user, event=event)
            outcomes.append("ok")
        except ServiceError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(u,)) for u in racers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "refused", "refused", "refused"]
    assert EventVolunteer.objects.filter(event=event).count() == 1
