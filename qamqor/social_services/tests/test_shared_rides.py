"""Shared InvaTaxi rides end to end: two passengers whose rides overlap travel in one vehicle with one driver; both
pick-ups assign the driver to both bookings, and both drop-offs are recorded as deliveries (transport marks through
social services), with nothing left for the dispatcher to sort out."""

import datetime as dt

import pytest
from django.utils import timezone

from qamqor.social_services.models import Booking, DeliveryRecord
from qamqor.transport import services as transport
from qamqor.transport.models import RideRequest
from qamqor.transport.tests.factories import *  # noqa: F401,F403
from qamqor.transport.tests.factories import ALMATY

pytestmark = pytest.mark.django_db


def test_two_passengers_share_the_van_and_both_rides_are_delivered(people, org, contract, make_person, van, driver):
    now = timezone.now()
    start = max(timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(0, 1))),
                now - dt.timedelta(hours=3))
    before = start - dt.timedelta(minutes=30)
    shift = transport.shift_create(actor=people["dispatcher"], vehicle=van, driver=driver,
                                   starts_at=start - dt.timedelta(minutes=1), ends_at=now + dt.timedelta(hours=3),
                                   now=before)
    (plat, plon), (dlat, dlon) = ALMATY["abay"], ALMATY["hospital"]
    rides = []
    for minutes in (5, 8):  # the second passenger is picked up on the way, before the first is dropped off
        [ride] = transport.ride_request_create(
            actor=people["dispatcher"], person=make_person("group_1"), provider=org, pickup_address="Абай 10",
            pickup_latitude=plat, pickup_longitude=plon, dropoff_address="Больница", dropoff_latitude=dlat,
            dropoff_longitude=dlon, pickup_at=start + dt.timedelta(minutes=minutes), now=before)
        transport.plan_assign(actor=people["dispatcher"], ride=ride, shift=shift, now=before)
        rides.append(RideRequest.objects.get(pk=ride.pk))
    first, second = (Booking.objects.get(pk=r.booking_id) for r in rides)
    assert first.starts_at < second.ends_at and second.starts_at < first.ends_at  # the bookings overlap
    assert first.taken_by == org and not first.exclusive

    for ride in rides:
        marked = transport.ride_mark(actor=people["driver"], ride=RideRequest.objects.get(pk=ride.pk),
                                     event="picked_up", at=ride.pickup_at + dt.timedelta(minutes=1))
        assert marked.delivery_note == ""
    for ride in rides:
        done = transport.ride_mark(actor=people["driver"], ride=RideRequest.objects.get(pk=ride.pk),
                                   event="dropped_off", at=ride.pickup_at + dt.timedelta(minutes=25))
        assert done.status == RideRequest.Status.DROPPED_OFF and done.delivery_note == ""

    records = DeliveryRecord.objects.filter(booking_id__in=[r.booking_id for r in rides])
    assert records.count() == 2 and {r.staff_id for r in records} == {driver.pk}
    assert set(Booking.objects.filter(pk__in=[r.booking_id for r in rides]).values_list("status", flat=True)) \
        == {Booking.Status.DELIVERED}
