"""Small factories for the events tests. Aid rows (items, needs, offers, distributions) are made with the ORM
directly: the tests count what the selectors compute from them, not how aid's services write them."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

_serial = itertools.count(1)


@pytest.fixture
def make_event(db, org, almaty):
    from qamqor.events.models import Event

    def make(*, starts_at=None, days=10, hours=3, organizer=None, region=None, status="planned", **extra):
        starts = starts_at or (timezone.now() + dt.timedelta(days=days)).replace(microsecond=0)
        extra.setdefault("title", f"Мейірім керуені {next(_serial)}")
        extra.setdefault("place", "Абай даңғылы 10")
        if status == "cancelled":
            extra.setdefault("cancel_reason", "Дауыл")
        return Event.objects.create(organizer=organizer or org, region=region or almaty, starts_at=starts,
                                    ends_at=starts + dt.timedelta(hours=hours), status=status, **extra)

    return make


@pytest.fixture
def make_item(db):
    from qamqor.aid.models import Item

    def make(code, *, unit="package", value="15000.00", kind="goods", help_kind="food"):
        return Item.objects.get_or_create(code=f"t-{code}", defaults={
            "name_kk": f"{code} kk", "name_ru": f"{code} ru", "name_en": f"{code} en", "kind": kind,
            "help_kind": help_kind, "unit": unit, "value_kzt": Decimal(value) if value else None})[0]

    return make


@pytest.fixture
def make_person(db, org, almaty):
    from qamqor.lib.names import full_name_key
    from qamqor.registry.models import Household, HouseholdMember, Person

    def make(surname="Кусаинова", given="Ляззат", *, household=None, new_household=True):
        person = Person.objects.create(owner=org, region=almaty, surname=surname, given_name=given,
                                       name_key=full_name_key(surname, given))
        if household is None and new_household:
            household = Household.objects.create(owner=org, region=almaty)
        if household is not None:
            HouseholdMember.objects.create(household=household, person=person,
                                           relationship="head" if not household.members.exists() else "child")
        person.household = household
        return person

    return make


@pytest.fixture
def give(db, org, almaty):
    """give(item, quantity, person=... | institution=..., event=..., campaign=..., status="handed", value=...)"""
    from qamqor.aid.models import Distribution, Need

    def make(item, quantity, *, person=None, institution="", event=None, campaign=None, status="handed",
             value=None, organization=None):
        need = Need.objects.create(person=person, household=getattr(person, "household", None),
                                   institution_name=institution, institution_kind="hospital" if institution else "",
                                   item=item, quantity=quantity, region=almaty, campaign=campaign, owner=org)
        value = Decimal(value) if value is not None else (item.value_kzt or Decimal(0)) * quantity
        return Distribution.objects.create(
            need=need, person=person, household=getattr(person, "household", None), item=item, quantity=quantity,
            campaign=campaign, event=event, organization=organization or org, value_kzt=value, status=status,
            handed_at=timezone.now() if status == "handed" else None,
            confirmation="signature" if status == "handed" else "")

    return make


@pytest.fixture
def make_campaign(db, org):
    from qamqor.aid.models import Campaign

    def make(slug="kurban-ait-2026", *, status="open", budget="5000000.00", **extra):
        return Campaign.objects.create(title=extra.pop("title", "Құрбан айт 2026: ет"), slug=slug, organizer=org,
                                       starts_on=dt.date(2026, 5, 1), ends_on=dt.date(2026, 6, 30),
                                       budget_kzt=Decimal(budget), status=status, **extra)

    return make
