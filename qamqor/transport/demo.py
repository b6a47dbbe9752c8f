"""Demo data for InvaTaxi: the demo provider's depot in Almaty, eight vehicles (four with a ramp or lift), eight
drivers with shifts today and tomorrow, about forty ride requests of the demo persons eligible for InvaTaxi, and a
plan for today. Everything goes through the services, as the dispatcher's clicks would."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from qamqor.accounts.models import Role, RoleAssignment, User
from qamqor.core.errors import ServiceError
from qamqor.registry.models import Person
from qamqor.social_services import services as social
from qamqor.social_services.models import ProviderStaff

from . import services
from .models import Depot, RideRequest

# Places in Almaty: (address, latitude, longitude).
PLACES = [("Алматы, Абай даңғылы 10", 43.2400, 76.9050), ("Алматы, Төле би көшесі 59", 43.2550, 76.9280),
          ("Алматы, №7 қалалық клиникалық аурухана", 43.2180, 76.9270), ("Алматы, Сайран көлі", 43.2400, 76.8650),
          ("Алматы, MEGA Alma-Ata", 43.2017, 76.8920), ("Алматы, Халыққа қызмет көрсету орталығы, Жібек жолы 50",
                                                         43.2610, 76.9460),
          ("Алматы, Республикалық оңалту орталығы", 43.2290, 76.9560), ("Алматы, Достық даңғылы 85", 43.2330, 76.9570),
          ("Алматы, Орбита-1 ш.а.", 43.2050, 76.8600), ("Алматы, Алмалы ауданы, Сейфуллин 500", 43.2470, 76.9330)]
DRIVERS = ["Сергей Петров", "Нұрлан Оспанов", "Бауыржан Тоқтаров", "Ержан Исабеков", "Алексей Ким", "Дәурен Қалиев",
           "Павел Шевченко", "Талғат Жақыпов"]


def _driver(provider, admin, email, name) -> ProviderStaff:
    user = User.objects.filter(email=email).first() or User.objects.create_user(email=email, full_name=name,
                                                                                password=None)
    if not RoleAssignment.objects.filter(user=user, role=Role.DRIVER, organization=provider,
                                         revoked_at__isnull=True).exists():
        RoleAssignment.objects.create(user=user, role=Role.DRIVER, organization=provider)
    staff = ProviderStaff.objects.filter(provider=provider, user=user).first()
    if staff is None or staff.role != "driver" or not staff.active:
        staff = social.staff_add(actor=admin, provider=provider, user=user, role="driver")
    social.staff_set_hours(actor=admin, staff=staff, hours=[(d, dt.time(6), dt.time(23)) for d in range(7)])
    return staff


def demo_transport(*, rng: random.Random, provider, provider_admin, dispatcher, domain: str = "demo.qamqor.kz",
                   plan_seconds: int = 5) -> str:
    """Create the demo fleet, shifts, rides and today's plan; returns a summary. Does nothing when the provider has
    a depot already."""
    if Depot.objects.filter(provider=provider).exists():
        return "transport: already loaded"
    dispatcher._active_roles = None
    depot = services.depot_create(actor=dispatcher, provider=provider, name="Төле би депосы",
                                  address="Алматы, Төле би көшесі 300", latitude="43.2220", longitude="76.8512")
    vehicles = []
    for n in range(8):
        accessible = n < 4
        vehicles.append(services.vehicle_create(
            actor=dispatcher, provider=provider, plate=f"{101 + n}INV02", seats=4 if accessible else 3,
            wheelchair_places=2 if accessible else 0, access=("lift" if n % 2 else "ramp") if accessible else "none",
            depot=depot, model_name="Ford Transit" if accessible else "Hyundai Accent"))
    drivers = [_driver(provider, provider_admin, f"driver@{domain}" if n == 0 else f"driver{n + 1}@{domain}", name)
               for n, name in enumerate(DRIVERS)]
    now = timezone.now()
    today = timezone.localdate()
    shifts = 0
    for day in (today, today + dt.timedelta(days=1)):
        for vehicle, staff in zip(vehicles, drivers):
            start = timezone.make_aware(dt.datetime.combine(day, dt.time(7)))
            try:
                services.shift_create(actor=dispatcher, vehicle=vehicle, driver=staff, starts_at=start,
                                      ends_at=start + dt.timedelta(hours=12), now=now)
                shifts += 1
            except ServiceError:
                continue  # today's shift is over when the demo is loaded late in the evening
    persons = list(Person.objects.filter(owner=provider, status="active", disability__code__in=["group_1", "group_2"])
                   .order_by("pk")[:60])
    rides = 0
    for n in range(60):
        if rides >= 40 or not persons:
            break
        person = persons[n % len(persons)]
        day = today if n % 2 == 0 else today + dt.timedelta(days=1)
        earliest = max(8 * 60, (timezone.localtime(now).hour + 1) * 60 if day == today else 0)
        if earliest > 17 * 60:
            day = today + dt.timedelta(days=1)
            earliest = 8 * 60
        minute = rng.randrange(earliest, 17 * 60 + 1, 15)
        when = timezone.make_aware(dt.datetime.combine(day, dt.time(minute // 60, minute % 60)))
        (a, alat, alon), (b, blat, blon) = rng.sample(PLACES, 2)
        try:
            services.ride_request_create(
                actor=dispatcher, person=person, provider=provider, pickup_address=a, pickup_latitude=alat,
                pickup_longitude=alon, dropoff_address=b, dropoff_latitude=blat, dropoff_longitude=blon,
                pickup_at=when if n % 3 else None, arrive_by=None if n % 3 else when,
                wheelchair=person.uses_wheelchair, escorts=1 if person.needs_escort else 0,
                guide_dog=person.has_guide_dog, source="phone",
                return_pickup_at=when + dt.timedelta(hours=3) if n % 5 == 0 and minute < 15 * 60 else None, now=now)
            rides += 1
        except ServiceError:
            continue  # not eligible, or over a quota: the demo has one ride fewer
    # The demo beneficiary's own rides, booked by themselves on the portal: one today (on the plan, with its
    # expected pick-up time) and one tomorrow with a return trip.
    mine = Person.objects.filter(user__email=f"beneficiary@{domain}").select_related("user").first()
    if mine is not None:
        home, clinic = PLACES[0], PLACES[-1]
        for day, hour in ((today, max(timezone.localtime(now).hour + 2, 9)), (today + dt.timedelta(days=1), 10)):
            if hour > 17:
                continue
            when = timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 30)))
            try:
                services.ride_request_create(
                    actor=mine.user, person=mine, provider=provider, pickup_address=home[0], pickup_latitude=home[1],
                    pickup_longitude=home[2], dropoff_address=clinic[0], dropoff_latitude=clinic[1],
                    dropoff_longitude=clinic[2], pickup_at=when, wheelchair=mine.uses_wheelchair, source="portal",
                    return_pickup_at=when + dt.timedelta(hours=2) if day != today else None, now=now)
            except ServiceError:
                break  # not eligible for InvaTaxi in this demo: the beneficiary has no rides
    planned = ""
    if RideRequest.objects.filter(provider=provider, day=today).exists():
        run = services.plan_start(actor=dispatcher, provider=provider, day=today, time_limit=plan_seconds)
        version = services.plan_run(run.pk)
        planned = f", today's plan: {version.served} rides on routes, {version.unserved} unassigned" if version else ""
    total = RideRequest.objects.filter(provider=provider).count()
    return f"transport: {len(vehicles)} vehicles, {len(drivers)} drivers, {shifts} shifts, {total} rides{planned}"
