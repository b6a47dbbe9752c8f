"""Changing a booking: it moves with every check of a new booking; the interpreter stays when free at the new time
and is released (the booking back to "requested", the person told) when not; the person's side cannot change it
inside the cancellation notice, the provider can; a refusal names the reason and the next free time, and changes
nothing; a no-show is recorded by the provider after the start."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from qamqor.core.errors import PermissionDenied, ServiceError
from qamqor.core.models import AuditLog
from qamqor.social_services import services
from qamqor.social_services.models import Booking, EligibilityRule

pytestmark = pytest.mark.django_db
SIGN = "sign_language_specialist"


@pytest.fixture
def in_english(beneficiary, interpreter):
    """Notices go out in the recipient's language: read them in English."""
    for user in (beneficiary, interpreter.user):
        user.language = "en"
        user.save(update_fields=["language"])


@pytest.fixture
def assigned(beneficiary, deaf_person, types, make_contract, interpreter, at):
    """The person's interpreter booking in three days, 10:00-11:00, assigned."""
    make_contract(types[SIGN])
    day = timezone.localdate() + dt.timedelta(days=3)
    booking = services.booking_create(actor=beneficiary, person=deaf_person, service_type=types[SIGN],
                                      starts_at=at(day, 10), ends_at=at(day, 11), staff=interpreter,
                                      place="Медеу аудандық соты", purpose="court")
    Booking.objects.filter(pk=booking.pk).update(reminder_sent_at=timezone.now())
    booking.refresh_from_db()
    return booking, day


def snapshot(booking):
    booking.refresh_from_db()
    return (booking.starts_at, booking.ends_at, booking.status, booking.staff_id, booking.place, booking.units,
            booking.contract_id)


def test_it_moves_a_booking_and_keeps_the_interpreter_who_is_free(beneficiary, interpreter, assigned, at, in_english,
                                                                  django_capture_on_commit_callbacks):
    booking, day = assigned
    with django_capture_on_commit_callbacks(execute=True):
        moved = services.booking_change(actor=beneficiary, booking=booking, starts_at=at(day, 14),
                                        ends_at=at(day, 15, 30), place="Алматы, Абай даңғылы 10")
    booking.refresh_from_db()
    assert booking.starts_at == at(day, 14) and booking.ends_at == at(day, 15, 30)
    assert booking.status == "assigned" and booking.staff == interpreter and moved.unassigned is None
    assert booking.units == Decimal("1.50") and booking.place == "Алматы, Абай даңғылы 10"
    assert booking.purpose == "court"  # not given: unchanged
    assert booking.reminder_sent_at is None  # the reminder goes again for the new time
    audit = AuditLog.objects.get(action="social_booking.change")
    assert audit.actor == beneficiary and audit.object_id == str(booking.pk)
    assert audit.before["starts_at"] != audit.after["starts_at"]
    to_staff = [m for m in mail.outbox if m.to == [interpreter.user.email]]
    assert len(to_staff) == 1 and "You remain assigned" in to_staff[0].body and "14:00" in to_staff[0].body
    to_person = [m for m in mail.outbox if m.to == [beneficiary.email]]
    assert len(to_person) == 1 and "is moved to" in to_person[0].body


def test_a_change_that_overlaps_another_booking_of_the_interpreter_releases_them(
        beneficiary, people, make_person, types, interpreter, assigned, at, in_english,
        django_capture_on_commit_callbacks):
    booking, day = assigned
    other = services.booking_create(actor=people["org_staff"], person=make_person("group_1", deaf_sign_language=True),
                                    service_type=types[SIGN], starts_at=at(day, 14), ends_at=at(day, 15),
                                    staff=interpreter)
    with django_capture_on_commit_callbacks(execute=True):
        moved = services.booking_change(actor=beneficiary, booking=booking, starts_at=at(day, 14, 30))
    booking.refresh_from_db()
    # Moved, one hour as before, and back to the provider to assign someone else; the other booking is untouched.
    assert booking.starts_at == at(day, 14, 30) and booking.ends_at == at(day, 15, 30)
    assert booking.status == "requested" and booking.staff is None and moved.unassigned == interpreter
    other.refresh_from_db()
    assert other.status == "assigned" and other.staff == interpreter and other.starts_at == at(day, 14)
    assert Booking.objects.filter(staff=interpreter, starts_at__lt=at(day, 15, 30),
                                  ends_at__gt=at(day, 14, 30)).count() == 1
    to_person = [m for m in mail.outbox if m.to == [beneficiary.email]]
    assert len(to_person) == 1 and "is not free at the new time" in to_person[0].body
    to_staff = [m for m in mail.outbox if m.to == [interpreter.user.email]]
    assert len(to_staff) == 1 and "no longer assigned" in to_staff[0].body
    assert AuditLog.objects.get(action="social_booking.change").after["released_staff"] == interpreter.pk


def test_a_change_outside_the_interpreters_hours_releases_them(beneficiary, interpreter, assigned, at):
    booking, day = assigned
    services.booking_change(actor=beneficiary, booking=booking, starts_at=at(day, 20, 30))
    booking.refresh_from_db()
    assert booking.status == "requested" and booking.staff is None


def test_inside_the_notice_the_person_is_refused_and_the_provider_may_change(beneficiary, people, assigned, at,
                                                                            interpreter):
    booking, day = assigned
    before = snapshot(booking)
    with pytest.raises(ServiceError) as exc:
        services.booking_change(actor=beneficiary, booking=booking, starts_at=at(day, 14), now=at(day, 1))
    assert exc.value.code == "notice" and exc.value.field == "starts_at"
    assert "Less than 24 hours before the start" in exc.value.message and "late cancellation" in exc.value.message
    assert snapshot(booking) == before

    services.booking_change(actor=people["dispatcher"], booking=booking, starts_at=at(day, 14), now=at(day, 1))
    booking.refresh_from_db()
    assert booking.starts_at == at(day, 14) and booking.staff == interpreter


def test_a_change_into_the_past_is_refused_with_the_next_free_time(beneficiary, interpreter, assigned, at):
    booking, day = assigned
    before = snapshot(booking)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    with pytest.raises(ServiceError) as exc:
        services.booking_change(actor=beneficiary, booking=booking, starts_at=at(yesterday, 10))
    assert exc.value.code == "past" and "The next free time is" in exc.value.message
    assert exc.value.alternative is not None and exc.value.alternative.starts_at > timezone.now()
    assert snapshot(booking) == before
    assert not AuditLog.objects.filter(action="social_booking.change").exists()


def test_the_quota_counts_the_booking_once_and_refuses_a_longer_one(beneficiary, types, assigned, at):
    EligibilityRule.objects.filter(service_type=types[SIGN]).update(units_per_month=Decimal("2"))
    booking, day = assigned
    # Its own hour is not counted twice: two hours fit a quota of two.
    services.booking_change(actor=beneficiary, booking=booking, starts_at=at(day, 12), ends_at=at(day, 14))
    before = snapshot(booking)
    with pytest.raises(ServiceError) as exc:
        services.booking_change(actor=beneficiary, booking=booking, starts_at=at(day, 12), ends_at=at(day, 15))
    assert exc.value.code == "quota" and "3.00" in exc.value.message and "2.00 are left" in exc.value.message
    assert snapshot(booking) == before


def test_the_contract_volume_and_period_hold(beneficiary, deaf_person, types, make_contract, at):
    contract = make_contract(types[SIGN], volume=2, ends_on=timezone.localdate() + dt.timedelta(days=10))
    day = timezone.localdate() + dt.timedelta(days=3)
    booking = services.booking_create(actor=beneficiary, person=deaf_person, service_type=types[SIGN],
                                      starts_at=at(day, 10), ends_at=at(day, 11))
    before = snapshot(booking)
    with pytest.raises(ServiceError) as exc:
        services.booking_change(actor=beneficiary, booking=booking, starts_at=at(day, 10), ends_at=at(day, 13))
    assert exc.value.code == "contract_volume"
    later = timezone.localdate() + dt.timedelta(days=20)
    with pytest.raises(ServiceError) as exc:
        services.booking_change(actor=beneficiary, booking=booking, starts_at=at(later, 10))
    assert exc.value.code == "no_contract" and contract.provider.name in exc.value.message
    assert snapshot(booking) == before
    services.booking_change(actor=beneficiary, booking=booking, starts_at=at(day, 10), ends_at=at(day, 12))
    assert snapshot(booking)[5] == Decimal("2.00")  # exactly the volume: its own hour was not counted twice


def test_only_a_coming_requested_or_assigned_booking_changes_and_only_by_its_people(
        beneficiary, people, make_user, assigned, at):
    booking, day = assigned
    with pytest.raises(PermissionDenied):
        services.booking_change(actor=make_user("stranger@test.kz"), booking=booking, starts_at=at(day, 14))
    with pytest.raises(PermissionDenied):
        services.booking_change(actor=people["volunteer"], booking=booking, starts_at=at(day, 14))
    with pytest.raises(ServiceError) as exc:
        services.booking_change(actor=beneficiary, booking=booking, starts_at=at(day, 10))
    assert exc.value.code == "unchanged"
    services.booking_cancel(actor=beneficiary, booking=booking)
    with pytest.raises(ServiceError) as exc:
        services.booking_change(actor=beneficiary, booking=booking, starts_at=at(day, 14))
    assert exc.value.code == "conflict"
    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.starts_at == at(day, 10)


def test_a_no_show_is_recorded_by_the_provider_after_the_start_only(beneficiary, people, interpreter, assigned, at):
    booking, day = assigned
    with pytest.raises(ServiceError):
        services.booking_mark_no_show(actor=interpreter.user, booking=booking, now=at(day, 9))
    with pytest.raises(PermissionDenied):
        services.booking_mark_no_show(actor=beneficiary, booking=booking, now=at(day, 10, 30))
    services.booking_mark_no_show(actor=interpreter.user, booking=booking, now=at(day, 10, 30))
    booking.refresh_from_db()
    assert booking.status == "no_show"
    with pytest.raises(ServiceError):
        services.booking_change(actor=people["org_admin"], booking=booking, starts_at=at(day, 14), now=at(day, 9))
