"""On PostgreSQL, where the race is real: 50 people booking or assigning the same staff member at overlapping times
at once, exactly one succeeds; the exclusion constraint refuses an overlapping row written by SQL; an act's totals
are checked against its lines at commit and an issued act never changes."""

import datetime as dt
from decimal import Decimal

import pytest
from conftest import run_at_once
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from qamqor.core.errors import ServiceError
from qamqor.social_services import services
from qamqor.social_services.models import Act, Booking

pytestmark = pytest.mark.postgres




@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("transactional_reference")
def test_fifty_people_booking_the_same_interpreter_at_once_only_one_succeeds(people, make_person, make_contract,
                                                                            interpreter, tomorrow, at):
    from qamqor.social_services.models import ServiceType

    sign = ServiceType.objects.get(code="sign_language_specialist")
    make_contract(sign, volume=1000)
    persons = [make_person("group_2", deaf_sign_language=True) for _ in range(50)]

    def attempt(i, person):
        # Overlapping slots: 10:00-11:00, 10:01-11:01, ... all cross 10:50.
        start = at(tomorrow, 10) + dt.timedelta(minutes=i)
        return lambda: services.booking_create(actor=people["org_staff"], person=person, service_type=sign,
                                               starts_at=start, staff=interpreter)

    results = run_at_once([attempt(i, p) for i, p in enumerate(persons)])
    booked = [r for r in results if isinstance(r, Booking)]
    refused = [r for r in results if isinstance(r, ServiceError)]
    assert len(booked) == 1, [r for r in results if not isinstance(r, (Booking, ServiceError))]
    assert len(refused) == 49 and {r.code for r in refused} == {"overlap"}
    assert Booking.objects.filter(staff=interpreter).exclude(status="cancelled").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("transactional_reference")
def test_fifty_assignments_of_the_same_interpreter_at_once_only_one_succeeds(people, make_person, make_contract,
                                                                            interpreter, tomorrow, at):
    from qamqor.social_services.models import ServiceType

    sign = ServiceType.objects.get(code="sign_language_specialist")
    make_contract(sign, volume=1000)
    persons = [make_person("group_2", deaf_sign_language=True) for _ in range(50)]
    requests = [services.booking_create(actor=people["org_staff"], person=person, service_type=sign,
                                        starts_at=at(tomorrow, 9) + dt.timedelta(minutes=i))
                for i, person in enumerate(persons)]

    def assign(booking, actor):
        return lambda: services.booking_assign(actor=actor, booking=booking, staff=interpreter)

    actors = [people["dispatcher"], people["org_admin"], people["org_staff"]]
    results = run_at_once([assign(b, actors[i % 3]) for i, b in enumerate(requests)])
    assigned = [r for r in results if isinstance(r, Booking)]
    assert len(assigned) == 1, [r for r in results if not isinstance(r, (Booking, ServiceError))]
    assert all(isinstance(r, ServiceError) and r.code == "overlap" for r in results if not isinstance(r, Booking))
    assert Booking.objects.filter(staff=interpreter, status="assigned").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("transactional_reference")
def test_fifty_overlapping_rides_assigned_to_one_driver_at_once_all_succeed(people, make_person, make_contract,
                                                                           driver, tomorrow, at):
    """A shared InvaTaxi vehicle: the driver carries passengers whose rides overlap (the transport plan decides how
    many fit), so neither the lock nor the exclusion constraint refuses them."""
    from qamqor.social_services.models import ServiceType

    taxi = ServiceType.objects.get(code="invataxi")
    make_contract(taxi, volume=1000)
    person = make_person("group_1")
    requests = [services.booking_create(actor=people["org_staff"], person=person, service_type=taxi,
                                        starts_at=at(tomorrow, 9) + dt.timedelta(minutes=i)) for i in range(50)]

    def assign(booking, actor):
        return lambda: services.booking_assign(actor=actor, booking=booking, staff=driver)

    actors = [people["dispatcher"], people["org_admin"], people["org_staff"]]
    results = run_at_once([assign(b, actors[i % 3]) for i, b in enumerate(requests)])
    assert all(isinstance(r, Booking) for r in results), [r for r in results if not isinstance(r, Booking)]
    assert Booking.objects.filter(staff=driver, status="assigned", exclusive=False).count() == 50


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("transactional_reference")
def test_eleven_bookings_moved_onto_the_same_hour_of_one_interpreter_at_once_keep_them_once(
        people, make_person, make_contract, interpreter, tomorrow, at):
    from qamqor.social_services.models import ServiceType

    sign = ServiceType.objects.get(code="sign_language_specialist")
    make_contract(sign, volume=1000)
    hours = [8, 9, 10, 11, 12, 13, 14, 16, 17, 18, 19]
    persons = [make_person("group_2", deaf_sign_language=True) for _ in hours]
    bookings = [services.booking_create(actor=people["org_staff"], person=person, service_type=sign,
                                        starts_at=at(tomorrow, h), staff=interpreter)
                for person, h in zip(persons, hours)]

    def move(booking):
        return lambda: services.booking_change(actor=people["org_staff"], booking=booking, starts_at=at(tomorrow, 15))

    results = run_at_once([move(b) for b in bookings])
    assert all(isinstance(r, Booking) for r in results), [r for r in results if not isinstance(r, Booking)]
    at_three = Booking.objects.filter(starts_at=at(tomorrow, 15))
    assert at_three.count() == 11
    assert at_three.filter(status="assigned", staff=interpreter).count() == 1
    assert at_three.filter(status="requested", staff__isnull=True).count() == 10
    assert sum(1 for r in results if r.unassigned is not None) == 10


@pytest.mark.django_db
def test_the_exclusion_constraint_refuses_an_overlapping_row_written_by_sql(people, deaf_person, types,
                                                                          make_contract, interpreter, tomorrow, at):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_constraint WHERE conname = 'ss_booking_staff_no_overlap' AND contype = 'x'")
        assert cursor.fetchone() is not None
    make_contract(types["sign_language_specialist"])
    booking = services.booking_create(actor=people["org_staff"], person=deaf_person,
                                      service_type=types["sign_language_specialist"], starts_at=at(tomorrow, 10),
                                      staff=interpreter)
    insert = ("INSERT INTO social_services_booking (person_id, booked_by_id, service_type_id, contract_id, starts_at, "
              "ends_at, units, place, purpose, note, status, staff_id, cancel_reason, late_cancellation, created_at, "
              "cancelled_at, exclusive) SELECT person_id, booked_by_id, service_type_id, contract_id, %s, %s, 1, '', "
              "'other', '', %s, staff_id, '', false, now(), CASE WHEN %s = 'cancelled' THEN now() END, exclusive "
              "FROM social_services_booking WHERE id = %s")
    with pytest.raises(IntegrityError, match="ss_booking_staff_no_overlap"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(insert, [at(tomorrow, 10, 30), at(tomorrow, 11, 30), "assigned", "assigned", booking.pk])
    # Touching ends and cancelled rows do not conflict.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(insert, [at(tomorrow, 11), at(tomorrow, 12), "assigned", "assigned", booking.pk])
        cursor.execute(insert, [at(tomorrow, 10), at(tomorrow, 11), "cancelled", "cancelled", booking.pk])
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            Booking.objects.filter(pk=booking.pk).update(ends_at=at(tomorrow, 11, 30))


@pytest.mark.django_db
def test_the_exclusion_constraint_admits_a_drivers_overlapping_rides_and_no_exclusive_overlap(
        people, make_person, types, make_contract, driver, tomorrow, at):
    make_contract(types["invataxi"])
    ride = services.booking_create(actor=people["org_staff"], person=make_person("group_1"),
                                   service_type=types["invataxi"], starts_at=at(tomorrow, 10), staff=driver)
    assert not ride.exclusive
    copy = ("INSERT INTO social_services_booking (person_id, booked_by_id, service_type_id, contract_id, starts_at, "
            "ends_at, units, place, purpose, note, status, staff_id, cancel_reason, late_cancellation, created_at, "
            "exclusive) SELECT person_id, booked_by_id, service_type_id, contract_id, starts_at, ends_at, 1, '', "
            "'other', '', 'assigned', staff_id, '', false, now(), %s FROM social_services_booking WHERE id = %s")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(copy, [False, ride.pk])
        cursor.execute(copy, [False, ride.pk])
        cursor.execute(copy, [True, ride.pk])  # one exclusive booking beside the shared ones
    assert Booking.objects.filter(staff=driver, starts_at=at(tomorrow, 10)).count() == 4
    with pytest.raises(IntegrityError, match="ss_booking_staff_no_overlap"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(copy, [True, ride.pk])  # a second exclusive one at the same time


@pytest.mark.django_db
def test_the_database_checks_act_totals_and_freezes_an_issued_act(people, deaf_person, types, make_contract,
                                                                 interpreter, tomorrow, at):
    contract = make_contract(types["sign_language_specialist"])
    booking = services.booking_create(actor=people["org_staff"], person=deaf_person,
                                      service_type=types["sign_language_specialist"], starts_at=at(tomorrow, 10),
                                      staff=interpreter)
    services.delivery_record(actor=interpreter.user, booking=booking, started_at=at(tomorrow, 10),
                             ended_at=at(tomorrow, 11), signature=True, now=at(tomorrow, 12))
    act = services.act_generate(actor=people["org_admin"], contract=contract, month=tomorrow)
    with pytest.raises(IntegrityError, match="do not equal the sum of its lines"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE social_services_act SET total_amount = total_amount + 1 WHERE id = %s", [act.pk])
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    services.act_issue(actor=people["org_admin"], act=act)
    for statement in ("UPDATE social_services_act SET total_units = 0 WHERE id = %s",
                      "DELETE FROM social_services_actline WHERE act_id = %s",
                      "DELETE FROM social_services_act WHERE id = %s"):
        with pytest.raises(DatabaseError, match="issued"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement, [act.pk])
    assert Act.objects.get(pk=act.pk).total_amount == Decimal("5000.00")
    assert timezone.is_aware(Act.objects.get(pk=act.pk).issued_at)
