"""The portal's InvaTaxi entry: an entitled person is sent to the transport app to book a ride and follow their rides
(a ride needs its places and a place in the day's plan, so the services booking form does not offer it); the booking
page of a ride shows its pick-up and drop-off, and the expected pick-up time and vehicle once the day is planned."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from qamqor.social_services.models import ServiceType
from qamqor.transport import services as transport
from qamqor.transport.models import RideRequest
from qamqor.transport.selectors import ride_eta
from qamqor.transport.tests.factories import *  # noqa: F401,F403
from qamqor.transport.tests.factories import ALMATY

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def row_of(page, name):
    return re.search(rf"<tr>\s*<th scope=\"row\">{re.escape(name)}</th>.*?</tr>", page, re.S).group(0)


def test_the_invataxi_entitlement_leads_to_the_ride_booking(client_for, passenger, passenger_user, invataxi, contract):
    page = client_for(passenger_user).get("/services/", **EN).content.decode()
    row = row_of(page, invataxi.name_en)
    assert f'href="{reverse("transport:book")}?person={passenger.pk}"' in row and "Book a ride" in row
    assert f'href="{reverse("transport:my_rides")}"' in row
    assert reverse("social_services:book") not in row
    form = client_for(passenger_user).get("/services/book/", **EN).content.decode()
    assert f'value="{invataxi.pk}"' not in form  # booked as a ride, not here
    sign = ServiceType.objects.get(code="sign_language_specialist")
    assert f'value="{sign.pk}"' in form


def test_a_rides_booking_shows_its_places_and_the_expected_pick_up(client_for, people, passenger, passenger_user,
                                                                   org, contract, van, driver, make_shift, tomorrow,
                                                                   at):
    (plat, plon), (dlat, dlon) = ALMATY["abay"], ALMATY["hospital"]
    [ride] = transport.ride_request_create(
        actor=passenger_user, person=passenger, provider=org, pickup_address="Абай даңғылы 10",
        pickup_latitude=plat, pickup_longitude=plon, dropoff_address="Қалалық аурухана",
        dropoff_latitude=dlat, dropoff_longitude=dlon, pickup_at=at(tomorrow, 9), wheelchair=True)
    me = client_for(passenger_user)
    page = me.get(f"/services/bookings/{ride.booking_id}/", **EN).content.decode()
    assert "Абай даңғылы 10" in page and "Қалалық аурухана" in page
    assert "Not planned yet" in page and f'href="{reverse("transport:my_rides")}"' in page

    shift = make_shift(van, driver)
    transport.plan_assign(actor=people["dispatcher"], ride=ride, shift=shift)
    eta = ride_eta(ride=RideRequest.objects.get(pk=ride.pk))
    page = me.get(f"/services/bookings/{ride.booking_id}/", **EN).content.decode()
    assert timezone.localtime(eta["pickup_at"]).strftime("%d.%m.%Y %H:%M") in page
    assert van.plate in page and "Not planned yet" not in page


def test_an_interpreters_booking_has_no_ride(client_for, beneficiary, make_person, customer_staff, customer, org,
                                             almaty, tomorrow, at):
    from qamqor.social_services import services

    sign = ServiceType.objects.get(code="sign_language_specialist")
    services.contract_create(actor=customer_staff, customer=customer, provider=org, service_type=sign, region=almaty,
                             number="ГСЗ-9/2026", starts_on=tomorrow - dt.timedelta(days=30),
                             ends_on=tomorrow + dt.timedelta(days=30), volume=10, unit_price="5000.00")
    person = make_person("group_2", user=beneficiary, deaf_sign_language=True)
    booking = services.booking_create(actor=beneficiary, person=person, service_type=sign, starts_at=at(tomorrow, 10))
    page = client_for(beneficiary).get(f"/services/bookings/{booking.pk}/", **EN).content.decode()
    assert "The ride" not in page and "Expected pick-up" not in page
