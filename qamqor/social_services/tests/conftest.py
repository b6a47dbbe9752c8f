"""Fixtures of special social services: a customer state body, the provider (the shared `org`), contracts,
persons with disabilities, an interpreter and a driver working every day 08:00-20:00, and a fixed clock."""

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from qamqor.accounts.models import Role

_iins = itertools.count(1)


@pytest.fixture
def types(db):
    from qamqor.social_services.models import ServiceType

    return {t.code: t for t in ServiceType.objects.all()}


@pytest.fixture
def customer(db, almaty):
    from qamqor.organizations.models import Organization

    return Organization.objects.create(name="Алматы қаласы жұмыспен қамту және әлеуметтік бағдарламалар басқармасы",
                                       kind="state_body", bin="990140000011", region=almaty, status="verified")


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
def make_contract(customer, customer_staff, org, almaty):
    from qamqor.social_services import services

    counter = itertools.count(1)

    def make(service_type, *, volume=100, unit_price="5000.00", starts_on=None, ends_on=None, allows_overrun=False,
             provider=None, region=None):
        today = timezone.localdate()
        return services.contract_create(
            actor=customer_staff, customer=customer, provider=provider or org, service_type=service_type,
            region=region or almaty, number=f"ГСЗ-{next(counter)}/2026", starts_on=starts_on or today - dt.timedelta(days=40),
            ends_on=ends_on or today + dt.timedelta(days=120), volume=volume, unit_price=unit_price,
            allows_overrun=allows_overrun)
    return make


@pytest.fixture
def make_person(org, almaty):
    from qamqor.core.models import DisabilityCategory
    from qamqor.registry.models import Person

    def make(disability="group_1", *, user=None, born=dt.date(1980, 5, 1), region=None, **flags):
        n = next(_iins)
        return Person.objects.create(owner=org, surname=f"Кусаинова{n}", given_name="Ляззат", birth_date=born,
                                     region=region or almaty, user=user,
                                     disability=DisabilityCategory.objects.get(code=disability) if disability else None,
                                     **flags)
    return make


@pytest.fixture
def make_staff(people, org):
    from qamqor.social_services import services

    def make(user, role, *, hours=((8, 0), (20, 0)), provider=None):
        staff = services.staff_add(actor=people["org_admin"], provider=provider or org, user=user, role=role)
        (h0, m0), (h1, m1) = hours
        services.staff_set_hours(actor=people["org_admin"], staff=staff,
                                 hours=[(d, dt.time(h0, m0), dt.time(h1, m1)) for d in range(7)])
        return staff
    return make


@pytest.fixture
def interpreter(make_user, make_staff, org):
    user = make_user("interpreter@test.kz", Role.ORG_STAFF, organization=org, name="Айгүл Жестова")
    return make_staff(user, "interpreter")


@pytest.fixture
def driver(people, make_staff):
    return make_staff(people["driver"], "driver")


@pytest.fixture
def beneficiary(people):
    return people["beneficiary"]


@pytest.fixture
def deaf_person(make_person, beneficiary):
    """The beneficiary's own record: group II, deaf, uses sign language."""
    return make_person("group_2", user=beneficiary, deaf_sign_language=True)


@pytest.fixture(autouse=True)
def _english():
    """Tests read the English messages (the interface language is Kazakh by default)."""
    from django.utils import translation

    with translation.override("en"):
        yield
