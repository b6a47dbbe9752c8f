"""Fixtures of the transport app's tests (imported by each test module: `from .factories import *`): the provider
(the shared `org`) with an InvaTaxi contract from the city's social department, a depot in Almaty, vehicles, drivers
working every day 00:00-23:59, shifts tomorrow, eligible passengers, and a second provider with its own dispatcher
and driver."""

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from qamqor.accounts.models import Role

__all__ = ["customer", "customer_staff", "invataxi", "tomorrow", "at", "contract", "make_driver", "driver",
           "other_driver", "depot", "make_vehicle", "van", "car", "make_shift", "shifts", "make_person", "passenger",
           "passenger_user", "make_ride", "other_provider", "other_dispatcher", "other_provider_driver",
           "_english", "_one_worker", "ALMATY"]

_iins = itertools.count(1)
_plates = itertools.count(1)
# Places in Almaty (latitude, longitude).
ALMATY = {"depot": (43.2220, 76.8512), "abay": (43.2400, 76.9050), "hospital": (43.2180, 76.9270),
          "mega": (43.2017, 76.8920), "airport": (43.3521, 77.0405), "tole_bi": (43.2550, 76.9280),
          "medeu": (43.1570, 77.0590), "sairan": (43.2400, 76.8650)}


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _one_worker(settings):
    """One search process: the tests share two cores with other work."""
    settings.TRANSPORT_SOLVER_WORKERS = 1


@pytest.fixture
def invataxi(db):
    from qamqor.social_services.models import ServiceType

    return ServiceType.objects.get(code="invataxi")


@pytest.fixture
def customer(db, almaty):
    from qamqor.organizations.models import Organization

    return Organization.objects.create(name="Алматы қаласы әлеуметтік бағдарламалар басқармасы", kind="state_body",
                                       bin="990140000011", region=almaty, status="verified")


@pytest.fixture
def customer_staff(make_user, customer):
    return make_user("akimat@test.kz", Role.ORG_STAFF, organization=customer)


@pytest.fixture
def tomorrow():
    return timezone.localdate() + dt.timedelta(days=1)


@pytest.fixture
def at():
    """A local moment: at(day, hour, minute=0)."""
    def make(day, hour, minute=0):
        return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))
    return make


@pytest.fixture
def contract(customer_staff, customer, org, almaty, invataxi):
    from qamqor.social_services import services

    today = timezone.localdate()
    return services.contract_create(actor=customer_staff, customer=customer, provider=org, service_type=invataxi,
                                    region=almaty, number="ИНВАТАКСИ-1/2026", starts_on=today - dt.timedelta(days=30),
                                    ends_on=today + dt.timedelta(days=400), volume=1000, unit_price="3100.00")


@pytest.fixture
def make_driver(people, make_user, org):
    from qamqor.social_services import services

    def make(user=None, *, provider=None, admin=None, email=None):
        provider = provider or org
        user = user or make_user(email or f"driver{next(_plates)}@test.kz", Role.DRIVER, organization=provider)
        staff = services.staff_add(actor=admin or people["org_admin"], provider=provider, user=user, role="driver")
        services.staff_set_hours(actor=admin or people["org_admin"], staff=staff,
                                 hours=[(d, dt.time(0, 0), dt.time(23, 59)) for d in range(7)])
        return staff
    return make


@pytest.fixture
def driver(people, make_driver):
    """The shared `driver` user as the provider's driver."""
    return make_driver(people["driver"])


@pytest.fixture
def other_driver(make_driver):
    return make_driver(email="driver.two@test.kz")


@pytest.fixture
def depot(people, org):
    from qamqor.transport import services

    lat, lon = ALMATY["depot"]
    return services.depot_create(actor=people["dispatcher"], provider=org, name="Depot on Tole bi",
                                 address="Алматы, Төле би 300", latitude=lat, longitude=lon)


@pytest.fixture
def make_vehicle(people, org, depot):
    from qamqor.transport import services

    def make(*, seats=4, wheelchair_places=0, access="none", provider=None, on_depot=None, actor=None):
        return services.vehicle_create(actor=actor or people["dispatcher"], provider=provider or org,
                                       plate=f"{next(_plates):03d}TAX02", seats=seats,
                                       wheelchair_places=wheelchair_places, access=access, depot=on_depot or depot)
    return make


@pytest.fixture
def van(make_vehicle):
    return make_vehicle(seats=4, wheelchair_places=2, access="ramp")


@pytest.fixture
def car(make_vehicle):
    return make_vehicle(seats=3)


@pytest.fixture
def make_shift(people, at, tomorrow):
    from qamqor.transport import services

    def make(vehicle, driver, *, day=None, start=7, end=19, actor=None):
        day = day or tomorrow
        return services.shift_create(actor=actor or people["dispatcher"], vehicle=vehicle, driver=driver,
                                     starts_at=at(day, start), ends_at=at(day, end))
    return make


@pytest.fixture
def shifts(make_shift, van, car, driver, other_driver):
    """Tomorrow 07:00-19:00: the van (ramp, 2 wheelchair places) with `driver`, the car with `other_driver`."""
    return [make_shift(van, driver), make_shift(car, other_driver)]


@pytest.fixture
def make_person(org, almaty):
    from qamqor.core.models import DisabilityCategory
    from qamqor.registry.models import Person

    def make(disability="group_1", *, user=None, region=None, **flags):
        n = next(_iins)
        return Person.objects.create(owner=org, surname=f"Сейтқали{n}", given_name="Ерлан", birth_date=dt.date(1975, 3, 1),
                                     region=region or almaty, user=user, phone=f"+7 701 000 00 {n:02d}",
                                     disability=DisabilityCategory.objects.get(code=disability) if disability else None,
                                     disability_indefinite=True, **flags)
    return make


@pytest.fixture
def passenger_user(people):
    return people["beneficiary"]


@pytest.fixture
def passenger(make_person, passenger_user):
    """The beneficiary's own record: group I, uses a wheelchair."""
    return make_person("group_1", user=passenger_user, uses_wheelchair=True)


@pytest.fixture
def make_ride(people, org, contract, tomorrow, at, make_person):
    """A ride requested by the dispatcher: make_ride(person=None, hour=9, frm="abay", to="hospital", **options)."""
    from qamqor.transport import services

    def make(person=None, *, hour=9, minute=0, frm="abay", to="hospital", day=None, arrive=False, actor=None,
             **options):
        person = person or make_person("group_2")
        day = day or tomorrow
        when = at(day, hour, minute)
        (plat, plon), (dlat, dlon) = ALMATY[frm], ALMATY[to]
        return services.ride_request_create(
            actor=actor or people["dispatcher"], person=person, provider=org, pickup_address=f"Алматы, {frm}",
            pickup_latitude=plat, pickup_longitude=plon, dropoff_address=f"Алматы, {to}", dropoff_latitude=dlat,
            dropoff_longitude=dlon, pickup_at=None if arrive else when, arrive_by=when if arrive else None,
            **options)[0]
    return make


@pytest.fixture
def other_provider(db, almaty):
    from qamqor.organizations.models import Organization

    return Organization.objects.create(name="«Жол» инватакси", kind="service_provider", bin="200340000018",
                                       region=almaty, status="verified")


@pytest.fixture
def other_dispatcher(make_user, other_provider):
    return make_user("dispatcher.two@test.kz", Role.DISPATCHER, organization=other_provider)


@pytest.fixture
def other_provider_driver(make_user, make_driver, other_provider):
    admin = make_user("admin.two@test.kz", Role.ORG_ADMIN, organization=other_provider)
    user = make_user("driver.other@test.kz", Role.DRIVER, organization=other_provider)
    return make_driver(user, provider=other_provider, admin=admin)
