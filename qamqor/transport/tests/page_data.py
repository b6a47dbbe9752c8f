"""A small InvaTaxi world for the page tests: the shared `org` runs InvaTaxi under a contract in Almaty, with a depot,
a wheelchair van and a shift tomorrow driven by the `driver` account; another provider has its own dispatcher, van
and driver. The passenger is the beneficiary's own registry record (group I, in a wheelchair), with two rides
tomorrow: one put on the van by the dispatcher (so the day has a plan), one not on any vehicle. Another beneficiary
has a record of their own and no rides. Everything is made through the services, as the pages would."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from qamqor.accounts.models import Role

_iins = itertools.count(1)

# Almaty: the depot near the railway station, pick-ups and drop-offs a few kilometres away.
DEPOT = (Decimal("43.271000"), Decimal("76.940000"))
HOME = (Decimal("43.238949"), Decimal("76.889709"))
CLINIC = (Decimal("43.222000"), Decimal("76.851000"))
PARK = (Decimal("43.250000"), Decimal("76.920000"))
# Every Kazakh letter, so that a page or PDF showing the name shows them all.
PASSENGER = ("Өмірзақова", "Шаһарбану", "Ұлықбекқызы")  # with і, ә, ғ, ң, ү below
HOME_ADDRESS = "Алматы, Әуезов көшесі 12, 3-подъезд (Ғабит Мүсірепов үйі, Теңіз)"
CLINIC_ADDRESS = "Алматы, №4 қалалық емхана, Жандосов көшесі 6"


def at(day, hour, minute=0):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@dataclass
class World:
    org: object
    org2: object
    day: dt.date
    contract: object
    depot: object
    vehicle: object
    shift: object
    driver: object
    vehicle2: object
    shift2: object
    driver2: object
    passenger: object
    other_person: object
    planned: object  # ride on the van
    waiting: object  # ride on no vehicle
    users: dict

    def ids(self) -> dict:
        return {"org": self.org.pk, "org2": self.org2.pk, "day": self.day.isoformat(), "shift": self.shift.pk,
                "shift2": self.shift2.pk, "vehicle": self.vehicle.pk, "planned": self.planned.pk,
                "waiting": self.waiting.pk, "person": self.passenger.pk, "other_person": self.other_person.pk,
                "iin": self.passenger.iin}


def make_person(*, owner, region, user=None, names=None, disability="group_1", **flags):
    from qamqor.core.models import DisabilityCategory
    from qamqor.lib.iin import make_iin
    from qamqor.lib.names import full_name_key
    from qamqor.registry.models import Person

    surname, given, patronymic = names or ("Сейітова", "Айгүл", "")
    born = dt.date(1975, 4, 2)
    start = next(_iins) * 50
    iin = next(i for i in (make_iin(born, "F", n) for n in range(start, start + 50)) if i)
    return Person.objects.create(owner=owner, region=region, user=user, surname=surname, given_name=given,
                                 patronymic=patronymic, name_key=full_name_key(surname, given, patronymic),
                                 birth_date=born, sex="F", iin=iin, phone="+7 701 555 12 34",
                                 disability=DisabilityCategory.objects.get(code=disability), **flags)


def make_world(people, org, almaty, make_user) -> World:
    from qamqor.organizations.models import Organization
    from qamqor.social_services import services as social
    from qamqor.social_services.models import ServiceType
    from qamqor.transport import services

    day = timezone.localdate() + dt.timedelta(days=1)
    org2 = Organization.objects.create(name="«Жол» инватакси", kind="ngo", bin="190440000017", region=almaty,
                                       status="verified")
    customer = Organization.objects.create(name="Алматы қаласы әлеуметтік бағдарламалар басқармасы",
                                           kind="state_body", bin="990140000011", region=almaty, status="verified")
    signer = make_user("akimat@test.kz", Role.ORG_STAFF, organization=customer)
    invataxi = ServiceType.objects.get(code="invataxi")
    contracts = [social.contract_create(actor=signer, customer=customer, provider=provider, service_type=invataxi,
                                        region=almaty, number=f"ИТ-{n}/2026", starts_on=day - dt.timedelta(days=30),
                                        ends_on=day + dt.timedelta(days=120), volume=500, unit_price="3100.00")
                 for n, provider in enumerate((org, org2), start=1)]
    users = {"dispatcher": people["dispatcher"], "driver": people["driver"], "passenger": people["beneficiary"],
             "other_dispatcher": make_user("dispatcher2@test.kz", Role.DISPATCHER, organization=org2),
             "other_driver": make_user("driver2@test.kz", Role.DRIVER, organization=org2),
             "other_beneficiary": make_user("beneficiary2@test.kz", Role.BENEFICIARY)}
    dispatcher, dispatcher2 = users["dispatcher"], users["other_dispatcher"]
    driver = social.staff_add(actor=people["org_admin"], provider=org, user=users["driver"], role="driver")
    admin2 = make_user("orgadmin2@test.kz", Role.ORG_ADMIN, organization=org2)
    driver2 = social.staff_add(actor=admin2, provider=org2, user=users["other_driver"], role="driver")

    depot = services.depot_create(actor=dispatcher, provider=org, name="Негізгі гараж", address="Алматы, Сейфуллин 1",
                                  latitude=DEPOT[0], longitude=DEPOT[1])
    vehicle = services.vehicle_create(actor=dispatcher, provider=org, plate="123 ABC 02", seats=4,
                                      wheelchair_places=1, access="ramp", depot=depot, model_name="Ford Transit")
    shift = services.shift_create(actor=dispatcher, vehicle=vehicle, driver=driver, starts_at=at(day, 8),
                                  ends_at=at(day, 16), break_starts_at=at(day, 12), break_minutes=30)
    depot2 = services.depot_create(actor=dispatcher2, provider=org2, name="Гараж", address="Алматы, Абай 50",
                                   latitude=DEPOT[0], longitude=DEPOT[1])
    vehicle2 = services.vehicle_create(actor=dispatcher2, provider=org2, plate="777 JOL 02", seats=3,
                                       wheelchair_places=1, access="lift", depot=depot2)
    shift2 = services.shift_create(actor=dispatcher2, vehicle=vehicle2, driver=driver2, starts_at=at(day, 8),
                                   ends_at=at(day, 16))

    passenger = make_person(owner=org, region=almaty, user=users["passenger"], names=PASSENGER,
                            uses_wheelchair=True)
    other = make_person(owner=org, region=almaty, user=users["other_beneficiary"], disability="group_2")
    common = {"actor": users["passenger"], "person": passenger, "provider": org, "wheelchair": True,
              "source": "portal"}
    [planned] = services.ride_request_create(
        **common, pickup_address=HOME_ADDRESS, pickup_latitude=HOME[0], pickup_longitude=HOME[1],
        dropoff_address=CLINIC_ADDRESS, dropoff_latitude=CLINIC[0], dropoff_longitude=CLINIC[1],
        pickup_at=at(day, 10), needs_note="3-қабаттан түсіруге көмектесу", escorts=1)
    [waiting] = services.ride_request_create(
        **common, pickup_address=CLINIC_ADDRESS, pickup_latitude=CLINIC[0], pickup_longitude=CLINIC[1],
        dropoff_address="Алматы, Ғорький саябағы", dropoff_latitude=PARK[0], dropoff_longitude=PARK[1],
        arrive_by=at(day, 14), guide_dog=True)
    services.plan_assign(actor=dispatcher, ride=planned, shift=shift)
    planned.refresh_from_db()
    waiting.refresh_from_db()
    return World(org=org, org2=org2, day=day, contract=contracts[0], depot=depot, vehicle=vehicle, shift=shift,
                 driver=driver, vehicle2=vehicle2, shift2=shift2, driver2=driver2, passenger=passenger,
                 other_person=other, planned=planned, waiting=waiting, users=users)


def make_today(world):
    """The van on a shift today too, with the passenger's ride at 22:00 on it (made as if at 00:05, so that at any
    time of the test day the driver can mark it: a stop is marked when it happens, on the ride's day)."""
    from qamqor.transport import services

    day = timezone.localdate()
    early = at(day, 0, 5)
    dispatcher = world.users["dispatcher"]
    shift = services.shift_create(actor=dispatcher, vehicle=world.vehicle, driver=world.driver, starts_at=at(day, 8),
                                  ends_at=at(day, 23, 55), now=early)
    [ride] = services.ride_request_create(
        actor=world.users["passenger"], person=world.passenger, provider=world.org, wheelchair=True, escorts=1,
        pickup_address=HOME_ADDRESS, pickup_latitude=HOME[0], pickup_longitude=HOME[1],
        dropoff_address=CLINIC_ADDRESS, dropoff_latitude=CLINIC[0], dropoff_longitude=CLINIC[1],
        pickup_at=at(day, 22), needs_note="3-қабаттан түсіруге көмектесу", source="portal", now=early)
    services.plan_assign(actor=dispatcher, ride=ride, shift=shift, now=early)
    return shift, ride


@pytest.fixture
def world(people, org, almaty, make_user):
    return make_world(people, org, almaty, make_user)


@pytest.fixture
def as_user(client_for, world):
    """as_user(name) -> a test client signed in as one of the world's users (or anonymous for None)."""
    def make(name):
        return client_for(world.users[name] if name else None)
    return make
