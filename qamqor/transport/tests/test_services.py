"""The transport app's write layer: fleet and shifts with their validation, ride requests through the
social-services booking (eligibility, contract; return trips; repeated rides booked whole or not at all),
cancellation, and the marks from the road with their social-services effects."""

import datetime as dt

import pytest
from django.utils import timezone

from qamqor.core.errors import PermissionDenied, ServiceError
from qamqor.core.models import AuditLog
from qamqor.social_services import services as social
from qamqor.social_services.models import Booking, DeliveryRecord
from qamqor.transport import selectors, services
from qamqor.transport.models import RideRequest, Shift, Vehicle

from .factories import *  # noqa: F401,F403
from .factories import ALMATY

pytestmark = pytest.mark.django_db


def ride_args(person, provider, day, hour, **extra):
    (plat, plon), (dlat, dlon) = ALMATY["abay"], ALMATY["hospital"]
    when = timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))
    return {"person": person, "provider": provider, "pickup_address": "Абай 10", "pickup_latitude": plat,
            "pickup_longitude": plon, "dropoff_address": "Больница", "dropoff_latitude": dlat,
            "dropoff_longitude": dlon, "pickup_at": when, **extra}


# --- Fleet and shifts ------------------------------------------------------------------------------------------------

def test_a_vehicle_with_wheelchair_places_needs_a_ramp_or_lift(people, org, depot):
    with pytest.raises(ServiceError) as refused:
        services.vehicle_create(actor=people["dispatcher"], provider=org, plate="777 AAA 02", seats=4,
                                wheelchair_places=1, access="none", depot=depot)
    assert refused.value.field == "access"
    vehicle = services.vehicle_create(actor=people["dispatcher"], provider=org, plate="777 aaa 02", seats=4,
                                      wheelchair_places=1, access="lift", depot=depot)
    assert vehicle.plate == "777AAA02"
    with pytest.raises(ServiceError) as again:
        services.vehicle_create(actor=people["dispatcher"], provider=org, plate="777AAA02", seats=4,
                                wheelchair_places=0, access="none", depot=depot)
    assert again.value.field == "plate"


@pytest.mark.parametrize("seats", [0, 21, "4", True, None])
def test_it_refuses_seats_out_of_range(people, org, depot, seats):
    with pytest.raises(ServiceError) as refused:
        services.vehicle_create(actor=people["dispatcher"], provider=org, plate="1X", seats=seats,
                                wheelchair_places=0, access="none", depot=depot)
    assert refused.value.field == "seats"
    assert not Vehicle.objects.exists()


def test_only_the_providers_dispatchers_manage_its_fleet(people, org, depot, other_dispatcher):
    for actor in (people["driver"], people["beneficiary"], other_dispatcher):
        with pytest.raises(PermissionDenied):
            services.vehicle_create(actor=actor, provider=org, plate="1X", seats=3, wheelchair_places=0,
                                    access="none", depot=depot)


def test_neither_a_vehicle_nor_a_driver_holds_two_overlapping_shifts(make_shift, van, car, driver, other_driver):
    make_shift(van, driver, start=7, end=12)
    with pytest.raises(ServiceError) as vehicle_busy:
        make_shift(van, other_driver, start=11, end=15)
    assert vehicle_busy.value.field == "vehicle" and vehicle_busy.value.code == "overlap"
    with pytest.raises(ServiceError) as driver_busy:
        make_shift(car, driver, start=11, end=15)
    assert driver_busy.value.field == "driver"
    make_shift(van, other_driver, start=12, end=16)  # touching ends do not overlap
    assert Shift.objects.count() == 2


def test_a_cancelled_shift_frees_its_vehicle(people, make_shift, van, driver, other_driver):
    first = make_shift(van, driver)
    services.shift_cancel(actor=people["dispatcher"], shift=first)
    make_shift(van, other_driver)
    assert Shift.objects.filter(cancelled_at__isnull=True).count() == 1


def test_shift_validation(people, van, driver, at, tomorrow):
    cases = [({"starts_at": at(tomorrow, 10), "ends_at": at(tomorrow, 9)}, "ends_at"),
             ({"starts_at": at(tomorrow, 6), "ends_at": at(tomorrow, 6) + dt.timedelta(hours=17)}, "ends_at"),
             ({"starts_at": at(tomorrow, 7), "ends_at": at(tomorrow, 12), "break_starts_at": at(tomorrow, 11, 30),
               "break_minutes": 45}, "break_starts_at"),
             ({"starts_at": "tomorrow", "ends_at": at(tomorrow, 12)}, "starts_at")]
    for values, field in cases:
        with pytest.raises(ServiceError) as refused:
            services.shift_create(actor=people["dispatcher"], vehicle=van, driver=driver, **values)
        assert refused.value.field == field
    assert not Shift.objects.exists()


def test_a_driver_of_another_provider_cannot_drive_our_vehicle(people, van, other_provider_driver, at, tomorrow):
    with pytest.raises(ServiceError) as refused:
        services.shift_create(actor=people["dispatcher"], vehicle=van, driver=other_provider_driver,
                              starts_at=at(tomorrow, 8), ends_at=at(tomorrow, 12))
    assert refused.value.field == "driver"


def test_a_vehicle_with_shifts_to_come_stays_in_service(people, shifts, van):
    with pytest.raises(ServiceError):
        services.vehicle_set_active(actor=people["dispatcher"], vehicle=van, active=False)
    services.shift_cancel(actor=people["dispatcher"], shift=shifts[0])
    assert not services.vehicle_set_active(actor=people["dispatcher"], vehicle=van, active=False).active


# --- Ride requests ---------------------------------------------------------------------------------------------------

def test_a_passenger_books_a_ride_through_the_social_services_booking(passenger, passenger_user, org, contract,
                                                                      tomorrow):
    [ride] = services.ride_request_create(actor=passenger_user, source="portal", wheelchair=True,
                                          **ride_args(passenger, org, tomorrow, 9))
    assert ride.status == RideRequest.Status.REQUESTED and ride.day == tomorrow
    booking = ride.booking
    assert booking.service_type.code == "invataxi" and booking.contract == contract
    assert booking.person == passenger and booking.booked_by == passenger_user
    assert booking.starts_at == ride.pickup_at and booking.ends_at > booking.starts_at
    assert AuditLog.objects.filter(action="transport_ride.create", object_id=str(ride.pk)).exists()


def test_a_person_not_eligible_is_refused_and_nothing_is_saved(make_person, people, org, contract, tomorrow):
    group_3 = make_person("group_3")
    with pytest.raises(ServiceError) as refused:
        services.ride_request_create(actor=people["dispatcher"], **ride_args(group_3, org, tomorrow, 9))
    assert refused.value.code == "not_eligible" and "not eligible" in str(refused.value.message)
    assert not RideRequest.objects.exists() and not Booking.objects.exists()


def test_without_a_contract_the_ride_is_refused(passenger, passenger_user, people, org, tomorrow):
    with pytest.raises(ServiceError) as refused:
        services.ride_request_create(actor=passenger_user, **ride_args(passenger, org, tomorrow, 9))
    assert refused.value.code == "no_contract"
    # A dispatcher serves only the regions where the provider holds a contract.
    with pytest.raises(PermissionDenied):
        services.ride_request_create(actor=people["dispatcher"], **ride_args(passenger, org, tomorrow, 9))
    assert not RideRequest.objects.exists()


def test_beyond_the_contracted_volume_the_ride_is_refused(make_person, people, org, contract, tomorrow,
                                                          customer_staff):
    social.contract_amend(actor=customer_staff, contract=contract, signed_on=timezone.localdate(), reason="cut",
                          volume=1)
    person = make_person("group_1")
    services.ride_request_create(actor=people["dispatcher"], **ride_args(person, org, tomorrow, 9))
    with pytest.raises(ServiceError) as refused:
        services.ride_request_create(actor=people["dispatcher"], **ride_args(person, org, tomorrow, 14))
    assert refused.value.code == "contract_volume"
    assert RideRequest.objects.count() == 1


def test_a_dispatcher_of_another_provider_or_a_stranger_may_not_request(make_person, people, org, contract, tomorrow,
                                                                         other_dispatcher):
    person = make_person("group_1")
    for actor in (other_dispatcher, people["volunteer"], people["driver"]):
        with pytest.raises(PermissionDenied):
            services.ride_request_create(actor=actor, **ride_args(person, org, tomorrow, 9))


@pytest.mark.parametrize("change, field", [
    ({"pickup_latitude": 91}, "pickup_latitude"), ({"dropoff_longitude": "east"}, "dropoff_latitude"),
    ({"pickup_address": "  "}, "pickup_address"), ({"escorts": 4}, "escorts"),
    ({"arrive_by": timezone.now() + dt.timedelta(days=1)}, "pickup_at"),
    ({"pickup_at": timezone.now() - dt.timedelta(hours=1)}, "pickup_at"), ({"source": "fax"}, "source"),
])
def test_bad_input_is_refused_with_its_field(make_person, people, org, contract, tomorrow, change, field):
    person = make_person("group_1")
    with pytest.raises(ServiceError) as refused:
        services.ride_request_create(actor=people["dispatcher"], **{**ride_args(person, org, tomorrow, 9), **change})
    assert refused.value.field == field
    assert not RideRequest.objects.exists()


def test_a_return_trip_goes_back_the_same_day(passenger, passenger_user, org, contract, tomorrow, at):
    outbound, back = services.ride_request_create(actor=passenger_user, return_pickup_at=at(tomorrow, 13),
                                                  **ride_args(passenger, org, tomorrow, 9))
    assert back.outbound == outbound and back.pickup_address == outbound.dropoff_address
    assert back.dropoff_latitude == outbound.pickup_latitude and back.pickup_at == at(tomorrow, 13)
    assert back.booking != outbound.booking
    with pytest.raises(ServiceError) as refused:
        services.ride_request_create(actor=passenger_user, return_pickup_at=at(tomorrow, 8),
                                     **ride_args(passenger, org, tomorrow, 9))
    assert refused.value.field == "return_pickup_at"


def test_repeated_rides_book_every_occurrence(passenger, passenger_user, org, contract, tomorrow, at):
    until = tomorrow + dt.timedelta(days=13)
    weekdays = [tomorrow.weekday(), (tomorrow.weekday() + 2) % 7]
    rides = services.ride_request_create(actor=passenger_user, repeat_weekdays=weekdays, repeat_until=until,
                                         return_pickup_at=at(tomorrow, 14), **ride_args(passenger, org, tomorrow, 8))
    days = sorted({r.day for r in rides})
    assert days[0] == tomorrow and all(d.weekday() in weekdays for d in days) and days[-1] <= until
    assert len(rides) == 2 * len(days) == 2 * 4
    assert len({r.series for r in rides}) == 1 and rides[0].series
    assert Booking.objects.filter(person=passenger).count() == 8


def test_repeated_rides_are_booked_whole_or_not_at_all(passenger, passenger_user, org, contract, tomorrow,
                                                       customer_staff):
    # The contract ends in a week: the rides after that cannot be booked, so none is.
    social.contract_amend(actor=customer_staff, contract=contract, signed_on=timezone.localdate(), reason="short",
                          ends_on=tomorrow + dt.timedelta(days=6))
    with pytest.raises(ServiceError) as refused:
        services.ride_request_create(actor=passenger_user, repeat_weekdays=list(range(7)),
                                     repeat_until=tomorrow + dt.timedelta(days=10),
                                     **ride_args(passenger, org, tomorrow, 8))
    first_refused = (tomorrow + dt.timedelta(days=7)).strftime("%d.%m.%Y")
    assert "Nothing was booked" in str(refused.value.message) and first_refused in str(refused.value.message)
    assert not RideRequest.objects.exists() and not Booking.objects.exists()


def test_cancelling_a_ride_cancels_its_booking(passenger, passenger_user, org, contract, tomorrow):
    [ride] = services.ride_request_create(actor=passenger_user, **ride_args(passenger, org, tomorrow, 9))
    cancelled = services.ride_cancel(actor=passenger_user, ride=ride, reason="feel unwell")
    assert cancelled.status == RideRequest.Status.CANCELLED and cancelled.cancel_reason == "feel unwell"
    assert Booking.objects.get(pk=ride.booking_id).status == Booking.Status.CANCELLED
    with pytest.raises(ServiceError):
        services.ride_cancel(actor=passenger_user, ride=cancelled)


def test_another_beneficiary_may_not_cancel(passenger, passenger_user, org, contract, tomorrow, make_user):
    [ride] = services.ride_request_create(actor=passenger_user, **ride_args(passenger, org, tomorrow, 9))
    stranger = make_user("other.person@test.kz", "beneficiary")
    with pytest.raises(PermissionDenied):
        services.ride_cancel(actor=stranger, ride=ride)
    assert RideRequest.objects.get(pk=ride.pk).status == RideRequest.Status.REQUESTED


# --- Marks from the road ---------------------------------------------------------------------------------------------

@pytest.fixture
def today_ride(people, org, contract, make_person, make_shift, van, driver):
    """A ride today, booked yesterday for 08:00 (its booking starts before now, as on the road), planned on the van."""
    today = timezone.localdate()
    now = timezone.now()
    start = max(timezone.make_aware(dt.datetime.combine(today, dt.time(0, 1))), now - dt.timedelta(hours=3))
    shift = services.shift_create(actor=people["dispatcher"], vehicle=van, driver=driver,
                                  starts_at=start - dt.timedelta(minutes=1), ends_at=now + dt.timedelta(hours=3),
                                  now=start - dt.timedelta(minutes=30))
    person = make_person("group_1")
    args = ride_args(person, org, today, 0)
    args["pickup_at"] = start + dt.timedelta(minutes=5)
    [ride] = services.ride_request_create(actor=people["dispatcher"], now=start - dt.timedelta(minutes=30), **args)
    services.plan_assign(actor=people["dispatcher"], ride=ride, shift=shift, now=start - dt.timedelta(minutes=30))
    ride.refresh_from_db()
    return ride


def test_a_drop_off_records_the_delivery_by_the_driver(today_ride, people, driver):
    services.ride_mark(actor=people["driver"], ride=today_ride, event="picked_up",
                       at=today_ride.pickup_at + dt.timedelta(minutes=2))
    ride = RideRequest.objects.get(pk=today_ride.pk)
    assert ride.status == RideRequest.Status.PICKED_UP
    done = services.ride_mark(actor=people["driver"], ride=ride, event="dropped_off",
                              at=ride.picked_up_at + dt.timedelta(minutes=20))
    assert done.status == RideRequest.Status.DROPPED_OFF and done.delivery_note == ""
    record = DeliveryRecord.objects.get(booking=today_ride.booking)
    assert record.staff == driver and record.started_at == done.picked_up_at and record.ended_at == done.dropped_off_at
    assert record.confirmation == "signature"
    assert Booking.objects.get(pk=today_ride.booking_id).status == Booking.Status.DELIVERED


def test_a_no_show_marks_the_booking(today_ride, people):
    services.ride_mark(actor=people["driver"], ride=today_ride, event="no_show",
                       at=today_ride.pickup_at + dt.timedelta(minutes=10))
    assert RideRequest.objects.get(pk=today_ride.pk).status == RideRequest.Status.NO_SHOW
    assert Booking.objects.get(pk=today_ride.booking_id).status == Booking.Status.NO_SHOW


def test_a_no_show_waits_for_the_pickup_time(today_ride, people):
    with pytest.raises(ServiceError):
        services.ride_mark(actor=people["driver"], ride=today_ride, event="no_show",
                           at=today_ride.pickup_at - dt.timedelta(minutes=3))
    assert RideRequest.objects.get(pk=today_ride.pk).status == RideRequest.Status.PLANNED


def test_marks_come_in_order_and_from_the_rides_driver(today_ride, people, other_driver):
    with pytest.raises(ServiceError) as early:
        services.ride_mark(actor=people["driver"], ride=today_ride, event="dropped_off")
    assert "pick-up first" in str(early.value.message)
    with pytest.raises(PermissionDenied):
        services.ride_mark(actor=other_driver.user, ride=today_ride, event="picked_up")
    with pytest.raises(ServiceError):
        services.ride_mark(actor=people["driver"], ride=today_ride, event="flew_away")
    with pytest.raises(ServiceError):
        services.ride_mark(actor=people["driver"], ride=today_ride, event="picked_up",
                           at=timezone.now() + dt.timedelta(hours=1))
    assert RideRequest.objects.get(pk=today_ride.pk).status == RideRequest.Status.PLANNED
