"""Booking: a person books what they are entitled to; a refusal says why and offers the next free time; a series is
booked whole or not at all; the provider assigns its staff, never twice at once; cancellation rules."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from qamqor.core.errors import PermissionDenied, ServiceError
from qamqor.social_services import services
from qamqor.social_services.models import Booking, DeliveryRecord, RecurrenceSeries

pytestmark = pytest.mark.django_db


def book(actor, person, service_type, starts_at, **kw):
    return services.booking_create(actor=actor, person=person, service_type=service_type, starts_at=starts_at, **kw)


def test_it_books_an_interpreter_for_a_court_hearing(beneficiary, deaf_person, types, make_contract, interpreter,
                                                    tomorrow, at):
    contract = make_contract(types["sign_language_specialist"])
    booking = book(beneficiary, deaf_person, types["sign_language_specialist"], at(tomorrow, 10),
                   ends_at=at(tomorrow, 11, 30), place="Алматы, Медеу аудандық соты", purpose="court",
                   staff=interpreter)
    assert booking.status == Booking.Status.ASSIGNED and booking.staff == interpreter
    assert booking.contract == contract and booking.units == Decimal("1.50")
    assert booking.warnings == []
    assert any("Айгүл" in m.body for m in mail.outbox) or mail.outbox == []  # sent on commit (not in this test)


def test_it_refuses_a_booking_in_the_past_and_offers_the_next_free_time(beneficiary, deaf_person, types,
                                                                       make_contract, interpreter, at):
    make_contract(types["sign_language_specialist"])
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    with pytest.raises(ServiceError) as exc:
        book(beneficiary, deaf_person, types["sign_language_specialist"], at(yesterday, 10))
    assert exc.value.code == "past" and exc.value.field == "starts_at"
    assert exc.value.alternative is not None and exc.value.alternative.staff == interpreter
    assert exc.value.alternative.starts_at > timezone.now()
    assert "The next free time is" in exc.value.message
    assert not Booking.objects.exists()


def test_it_refuses_a_time_outside_the_staff_members_hours(beneficiary, deaf_person, types, make_contract,
                                                          interpreter, tomorrow, at):
    make_contract(types["sign_language_specialist"])
    with pytest.raises(ServiceError) as exc:
        book(beneficiary, deaf_person, types["sign_language_specialist"], at(tomorrow, 21), staff=interpreter)
    assert exc.value.code == "outside_hours"
    assert exc.value.alternative.starts_at == at(tomorrow + dt.timedelta(days=1), 8)
    assert not Booking.objects.exists()


def test_it_refuses_a_booking_that_overlaps_and_names_the_next_free_slot(beneficiary, deaf_person, types,
                                                                        make_contract, interpreter, make_person,
                                                                        people, tomorrow, at):
    make_contract(types["sign_language_specialist"])
    book(beneficiary, deaf_person, types["sign_language_specialist"], at(tomorrow, 10), staff=interpreter)
    other = make_person("group_1", deaf_sign_language=True)
    with pytest.raises(ServiceError) as exc:
        book(people["org_staff"], other, types["sign_language_specialist"], at(tomorrow, 10, 30), staff=interpreter)
    assert exc.value.code == "overlap" and exc.value.field == "staff"
    assert exc.value.alternative.starts_at == at(tomorrow, 11)
    assert Booking.objects.count() == 1


def test_it_refuses_a_person_who_is_not_eligible_with_the_reason(people, make_person, types, make_contract, driver,
                                                                tomorrow, at):
    make_contract(types["invataxi"])
    person = make_person("group_3")
    with pytest.raises(ServiceError) as exc:
        book(people["org_staff"], person, types["invataxi"], at(tomorrow, 9))
    assert exc.value.code == "not_eligible"
    assert exc.value.message.startswith("not eligible: group III")
    assert not Booking.objects.exists()


def test_it_refuses_beyond_the_quota_and_offers_next_month(beneficiary, deaf_person, types, make_contract,
                                                          interpreter, people, at):
    from qamqor.social_services.models import EligibilityRule

    EligibilityRule.objects.filter(service_type=types["sign_language_specialist"]).update(
        units_per_month=Decimal("2"))
    make_contract(types["sign_language_specialist"])
    day = timezone.localdate() + dt.timedelta(days=1)
    book(beneficiary, deaf_person, types["sign_language_specialist"], at(day, 9), ends_at=at(day, 10, 30))
    with pytest.raises(ServiceError) as exc:
        book(beneficiary, deaf_person, types["sign_language_specialist"], at(day, 14), ends_at=at(day, 15))
    assert exc.value.code == "quota"
    assert "0.50" in exc.value.message and "eligible: group II, uses sign language" in exc.value.message
    first_of_next = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    assert timezone.localtime(exc.value.alternative.starts_at).date() >= first_of_next
    assert Booking.objects.count() == 1


def test_the_yearly_quota_of_sixty_interpreter_hours_applies(beneficiary, deaf_person, types, make_contract,
                                                             interpreter, at):
    from qamqor.social_services.selectors import entitlement

    result = entitlement(deaf_person, types["sign_language_specialist"])
    assert result.eligible and result.quota_left_year == Decimal("60") and result.quota_left_month == Decimal("60")


def test_it_refuses_beyond_the_contract_unless_an_overrun_is_allowed(people, make_person, types, make_contract,
                                                                    tomorrow, at):
    make_contract(types["invataxi"], volume=2)
    person = make_person("group_1")
    first = book(people["org_staff"], person, types["invataxi"], at(tomorrow, 9))
    assert first.warnings == ["50% of the contracted volume is used or booked."] or first.warnings == []
    second = book(people["org_staff"], person, types["invataxi"], at(tomorrow, 11))
    assert second.warnings == ["The contracted volume is used up (100%)."]
    with pytest.raises(ServiceError) as exc:
        book(people["org_staff"], person, types["invataxi"], at(tomorrow, 13))
    assert exc.value.code == "contract_volume"
    assert Booking.objects.count() == 2
    overrun = make_contract(types["invataxi"], volume=1, allows_overrun=True)
    book(people["org_staff"], person, types["invataxi"], at(tomorrow, 13))
    fourth = book(people["org_staff"], person, types["invataxi"], at(tomorrow, 15))
    assert fourth.contract == overrun and fourth.warnings == ["The contracted volume is used up (200%)."]


def test_a_warning_at_eighty_percent(people, make_person, types, make_contract, tomorrow, at):
    make_contract(types["invataxi"], volume=5)
    person = make_person("group_2")
    warnings = [book(people["org_staff"], person, types["invataxi"], at(tomorrow, 8 + i)).warnings for i in range(5)]
    assert warnings[:3] == [[], [], []]
    assert warnings[3] == ["80% of the contracted volume is used or booked."]
    assert warnings[4] == ["The contracted volume is used up (100%)."]


def test_a_series_is_booked_whole(beneficiary, deaf_person, types, make_contract, interpreter, tomorrow):
    make_contract(types["sign_language_specialist"])
    series, bookings = services.booking_series_create(
        actor=beneficiary, person=deaf_person, service_type=types["sign_language_specialist"],
        weekdays=[tomorrow.weekday(), (tomorrow.weekday() + 2) % 7], start_time=dt.time(10), minutes=60,
        first_date=tomorrow, until=tomorrow + dt.timedelta(days=13), staff=interpreter, purpose="exam")
    assert len(bookings) == 4 and all(b.series == series and b.status == "assigned" for b in bookings)
    assert Booking.objects.filter(series=series).count() == 4


def test_a_series_with_one_conflict_books_nothing_and_names_it(beneficiary, deaf_person, types, make_contract,
                                                              interpreter, make_person, people, tomorrow, at):
    make_contract(types["sign_language_specialist"])
    other = make_person("group_1", deaf_sign_language=True)
    clash_day = tomorrow + dt.timedelta(days=7)
    book(people["org_staff"], other, types["sign_language_specialist"], at(clash_day, 10), staff=interpreter)
    with pytest.raises(ServiceError) as exc:
        services.booking_series_create(
            actor=beneficiary, person=deaf_person, service_type=types["sign_language_specialist"],
            weekdays=[tomorrow.weekday()], start_time=dt.time(10), minutes=60, first_date=tomorrow,
            until=tomorrow + dt.timedelta(days=20), staff=interpreter)
    assert exc.value.occurrence == clash_day and exc.value.code == "overlap"
    assert clash_day.strftime("%d.%m.%Y") in exc.value.message
    assert Booking.objects.filter(person=deaf_person).count() == 0
    assert not RecurrenceSeries.objects.exists()


def test_the_provider_assigns_staff_and_never_twice_at_once(people, make_person, types, make_contract, interpreter,
                                                           tomorrow, at, django_capture_on_commit_callbacks):
    sign = types["sign_language_specialist"]
    make_contract(sign)
    a = book(people["org_staff"], make_person("group_1", deaf_sign_language=True), sign, at(tomorrow, 9))
    b = book(people["org_staff"], make_person("group_1", deaf_sign_language=True), sign, at(tomorrow, 9, 30))
    assert a.status == b.status == "requested" and a.exclusive and b.exclusive
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_assign(actor=people["dispatcher"], booking=a, staff=interpreter)
    with pytest.raises(ServiceError) as exc:
        services.booking_assign(actor=people["dispatcher"], booking=b, staff=interpreter)
    assert exc.value.code == "overlap" and exc.value.alternative.starts_at == at(tomorrow, 10)
    b.refresh_from_db()
    assert b.status == "requested" and b.staff is None
    with pytest.raises(PermissionDenied):
        services.booking_assign(actor=people["volunteer"], booking=b, staff=interpreter)


def test_a_driver_carries_passengers_whose_rides_overlap(people, make_person, types, make_contract, driver, tomorrow,
                                                         at):
    """InvaTaxi rides are shared: one driver takes several passengers at once, and each drop-off is a delivery."""
    make_contract(types["invataxi"])
    a = book(people["org_staff"], make_person("group_1"), types["invataxi"], at(tomorrow, 9),
             ends_at=at(tomorrow, 9, 40))
    b = book(people["org_staff"], make_person("group_1"), types["invataxi"], at(tomorrow, 9, 10),
             ends_at=at(tomorrow, 9, 50))
    assert not a.exclusive and not b.exclusive
    a, b = (services.booking_assign(actor=people["dispatcher"], booking=booking, staff=driver) for booking in (a, b))
    assert a.status == b.status == "assigned"
    # Outside the driver's working hours too: a driver's time is their transport shift, which the transport app
    # checks.
    late = book(people["org_staff"], make_person("group_1"), types["invataxi"], at(tomorrow, 22))
    assert services.booking_assign(actor=people["dispatcher"], booking=late, staff=driver).staff == driver
    for booking, end in ((a, 45), (b, 50)):
        services.delivery_record(actor=driver.user, booking=booking, started_at=at(tomorrow, 9, 5),
                                 ended_at=at(tomorrow, 9, end), signature=True, now=at(tomorrow, 10))
    assert Booking.objects.filter(staff=driver, status="delivered").count() == 2
    assert DeliveryRecord.objects.filter(staff=driver).count() == 2


def test_cancellation_late_is_recorded(beneficiary, deaf_person, types, make_contract, interpreter, at,
                                      django_capture_on_commit_callbacks):
    make_contract(types["sign_language_specialist"])
    beneficiary.language = "en"  # notices go out in the recipient's own language
    beneficiary.save(update_fields=["language"])
    day = timezone.localdate() + dt.timedelta(days=3)
    early = book(beneficiary, deaf_person, types["sign_language_specialist"], at(day, 9))
    late = book(beneficiary, deaf_person, types["sign_language_specialist"], at(day, 12))
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_cancel(actor=beneficiary, booking=early, reason="plans changed")
    assert not Booking.objects.get(pk=early.pk).late_cancellation
    services.booking_cancel(actor=beneficiary, booking=late, now=at(day, 1))
    late.refresh_from_db()
    assert late.status == "cancelled" and late.late_cancellation
    assert any("cancelled" in m.subject for m in mail.outbox)
    with pytest.raises(ServiceError):
        services.booking_cancel(actor=beneficiary, booking=late)


def test_only_the_person_or_their_representative_books(people, deaf_person, types, make_contract, make_user,
                                                      tomorrow, at):
    make_contract(types["sign_language_specialist"])
    stranger = make_user("stranger@test.kz")
    with pytest.raises(PermissionDenied):
        book(stranger, deaf_person, types["sign_language_specialist"], at(tomorrow, 10))
    services.representative_add(actor=people["org_staff"], person=deaf_person, user=stranger,
                                consent_reference="Сенімхат № 12, 01.03.2026", relationship="daughter")
    assert book(stranger, deaf_person, types["sign_language_specialist"], at(tomorrow, 10)).booked_by == stranger


def test_delivery_is_recorded_by_the_assigned_staff_with_the_persons_code(beneficiary, deaf_person, types,
                                                                        make_contract, interpreter, people,
                                                                        tomorrow, at):
    make_contract(types["sign_language_specialist"])
    booking = book(beneficiary, deaf_person, types["sign_language_specialist"], at(tomorrow, 10), staff=interpreter)
    code = services.booking_confirmation_code(booking)
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(PermissionDenied):
        services.delivery_record(actor=people["volunteer"], booking=booking, started_at=at(tomorrow, 10),
                                 ended_at=at(tomorrow, 11), code=code, now=at(tomorrow, 12))
    with pytest.raises(ServiceError) as exc:
        services.delivery_record(actor=interpreter.user, booking=booking, started_at=at(tomorrow, 10),
                                 ended_at=at(tomorrow, 11), code=wrong, now=at(tomorrow, 12))
    assert exc.value.field == "code"
    record = services.delivery_record(actor=interpreter.user, booking=booking, started_at=at(tomorrow, 10, 5),
                                      ended_at=at(tomorrow, 11, 20), code=code, now=at(tomorrow, 12))
    assert record.units == Decimal("1.25") and record.confirmation == "code"
    booking.refresh_from_db()
    assert booking.status == "delivered"
