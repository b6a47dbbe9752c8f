"""Demo data for special social services: the city's employment and social programmes department as the customer,
contracts with the demo NGO as provider (sign-language interpreting, individual assistant, home care, InvaTaxi
rides), its staff with working hours, bookings over the next two weeks, services delivered over the past month and
the act for one contract. Everything goes through the services, as the clicks of the people involved would;
deliveries in the past pass a `now=` of their day (the only thing a page never does)."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from qamqor.accounts.models import Role, RoleAssignment, User
from qamqor.core.errors import ServiceError
from qamqor.core.models import DisabilityCategory
from qamqor.organizations.models import Organization
from qamqor.registry.models import Person

from . import selectors, services
from .models import Booking, ServiceType

CUSTOMER_NAME = "Алматы қаласының Жұмыспен қамту және әлеуметтік бағдарламалар басқармасы (демо)"
STAFF = [("interpreter1", "Айгүл Жестова", "interpreter"), ("interpreter2", "Дамир Қолтаңбаев", "interpreter"),
         ("assistant1", "Салтанат Көмекова", "assistant"), ("carer1", "Ольга Заботина", "carer")]
PERSONS = [  # surname, given name, disability, flags
    ("Ахметова", "Динара", "group_2", {"deaf_sign_language": True}),
    ("Омаров", "Бекзат", "group_3", {"deaf_sign_language": True}),
    ("Сейтқали", "Ерлан", "group_1", {"uses_wheelchair": True}),
    ("Иванова", "Татьяна", "group_1", {"uses_wheelchair": True, "needs_escort": True}),
    ("Жұмабаев", "Асқар", "group_2", {"blind_low_vision": True, "has_guide_dog": True}),
]


def _user(email: str, name: str) -> User:
    user = User.objects.filter(email=email).first()
    return user or User.objects.create_user(email=email, full_name=name, password=None)


def _bin(rng: random.Random) -> str:
    from qamqor.core.demo import demo_bin

    return demo_bin(rng, set(Organization.objects.values_list("bin", flat=True)))


def demo_social_services(*, rng: random.Random, provider: Organization, provider_admin, region, admin=None,
                         domain: str = "demo.qamqor.kz") -> str:
    """Create the demo's customer, contracts, staff, bookings, deliveries and one issued act; returns a summary.
    Does nothing when the demo customer exists already."""
    if Organization.objects.filter(name=CUSTOMER_NAME).exists():
        return "social services: already loaded"
    now = timezone.now()
    today = timezone.localdate()
    customer = Organization.objects.create(name=CUSTOMER_NAME, kind=Organization.Kind.STATE_BODY, bin=_bin(rng),
                                           region=region, status=Organization.Status.VERIFIED, verified_at=now)
    akimat = _user(f"akimat@{domain}", "Гүлмира Тоқтарова")
    RoleAssignment.objects.create(user=akimat, role=Role.ORG_STAFF, organization=customer, granted_at=now)
    akimat._active_roles = None  # the role cache is read below

    types = {t.code: t for t in ServiceType.objects.all()}
    admin = admin or User.objects.filter(is_superuser=True).order_by("pk").first()
    if "home_care" not in types and admin is not None:
        types["home_care"] = services.service_type_create(
            actor=admin, code="home_care", name_kk="үйде әлеуметтік күтім", name_ru="социальный уход на дому",
            name_en="home care", unit="visit", staff_role="carer", default_minutes=120,
            notes="Demo: not in the reference file; the norm is the customer's to set.")
        services.rule_create(actor=admin, service_type=types["home_care"], name="Group I", disability_codes=["group_1"],
                             units_per_month=12, notes="Demo rule.")
    starts_on = min(dt.date(today.year, 1, 1), today - dt.timedelta(days=45))
    ends_on = dt.date(today.year, 12, 31) if today.month < 12 else dt.date(today.year + 1, 6, 30)
    plan = [("sign_language_specialist", 1200, "6500.00"), ("individual_assistant", 4000, "2200.00"),
            ("home_care", 900, "4800.00"), ("invataxi", 6000, "3100.00")]
    contracts = {}
    for n, (code, volume, price) in enumerate(plan, start=1):
        if code in types:
            contracts[code] = services.contract_create(
                actor=akimat, customer=customer, provider=provider, service_type=types[code], region=region,
                number=f"ДЕМО-ГСЗ-{today.year}-{n:02d}", starts_on=starts_on, ends_on=ends_on, volume=volume,
                unit_price=price)

    staff = {}
    hours = [(d, dt.time(9), dt.time(18)) for d in range(5)] + [(5, dt.time(10), dt.time(14))]
    for login, name, role in STAFF:
        member = services.staff_add(actor=provider_admin, provider=provider, user=_user(f"{login}@{domain}", name),
                                    role=role)
        services.staff_set_hours(actor=provider_admin, staff=member, hours=hours)
        staff.setdefault(role, []).append(member)
    driver_user = User.objects.filter(email=f"driver@{domain}").first() or _user(f"driver1@{domain}", "Сергей Петров")
    driver = services.staff_add(actor=provider_admin, provider=provider, user=driver_user, role="driver")
    services.staff_set_hours(actor=provider_admin, staff=driver, hours=hours)
    staff["driver"] = [driver]

    categories = {c.code: c for c in DisabilityCategory.objects.all()}
    persons = [Person.objects.create(owner=provider, surname=s, given_name=g, region=region,
                                     birth_date=dt.date(1965 + rng.randrange(35), rng.randrange(1, 13),
                                                        rng.randrange(1, 28)),
                                     disability=categories[d], disability_indefinite=True,
                                     address="Алматы, Абай даңғылы 10", created_by=provider_admin, **flags)
               for s, g, d, flags in PERSONS]
    deaf, wheel = persons[:2], persons[2:4]
    what = [("sign_language_specialist", deaf, "interpreter", 60, ["court", "hospital", "exam", "public_service"]),
            ("individual_assistant", wheel, "assistant", 180, ["home", "hospital"]),
            ("home_care", wheel, "carer", 120, ["home"]),
            ("invataxi", persons[2:], "driver", 60, ["hospital", "work", "public_service"])]
    booked = delivered = 0
    slots = [dt.time(9, 30), dt.time(12), dt.time(14, 30)]

    def book(code, person, member, start, minutes, purpose, clock):
        return services.booking_create(actor=provider_admin, person=person, service_type=types[code],
                                       starts_at=start, ends_at=start + dt.timedelta(minutes=minutes),
                                       place=rng.choice(["Алматы, Төле би көшесі 59", "Алматы, Абай даңғылы 10",
                                                         "Алматы, Медеу аудандық соты"]),
                                       purpose=purpose, staff=member, now=clock)

    # The past month: delivered, confirmed by signature, on working days.
    for offset in range(30, 0, -1):
        day = today - dt.timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for i, (code, who, role, minutes, purposes) in enumerate(what):
            if code not in contracts or rng.random() < 0.35:
                continue
            start = selectors.at(day, slots[(offset + i) % len(slots)])
            member = staff[role][offset % len(staff[role])]
            try:
                booking = book(code, rng.choice(who), member, start, minutes, rng.choice(purposes),
                               start - dt.timedelta(days=2))
                end = start + dt.timedelta(minutes=minutes + rng.choice([0, 0, 15, -15]))
                services.delivery_record(actor=member.user, booking=booking, started_at=start, ended_at=end,
                                         signature=True, now=end + dt.timedelta(hours=1))
                delivered += 1
            except ServiceError:
                continue  # a quota reached or a slot taken: the demo simply has one service fewer

    # The next two weeks: booked and assigned, some still waiting for a staff member.
    for offset in range(1, 15):
        day = today + dt.timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for i, (code, who, role, minutes, purposes) in enumerate(what):
            if code not in contracts or rng.random() < 0.3:
                continue
            start = selectors.at(day, slots[(offset + i) % len(slots)])
            member = staff[role][offset % len(staff[role])] if rng.random() < 0.8 else None
            try:
                book(code, rng.choice(who), member, start, minutes, rng.choice(purposes), now)
                booked += 1
            except ServiceError:
                continue

    acts = 0
    last_month = selectors.month_start(today) - dt.timedelta(days=1)
    for contract in contracts.values():
        if acts == 0 and selectors.reconciliation(contract, last_month)["deliveries"]:
            act = services.act_generate(actor=provider_admin, contract=contract, month=last_month)
            services.act_issue(actor=akimat, act=act)
            acts = 1
    upcoming = Booking.objects.filter(contract__in=contracts.values(), starts_at__gt=now).count()
    return (f"social services: {len(contracts)} contracts, {sum(len(v) for v in staff.values())} staff, "
            f"{delivered} services delivered, {upcoming} upcoming bookings, {acts} act")
