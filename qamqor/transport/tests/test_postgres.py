"""On PostgreSQL, where the races are real: drivers' and vehicles' shifts never overlap (the exclusion constraints
refuse a row written by SQL, and of ten dispatchers giving one vehicle overlapping shifts at once exactly one
succeeds); plan versions never change once written; two dispatchers' manual changes at once both land, as two
versions in a row."""

import datetime as dt

import pytest
from conftest import run_at_once
from django.db import DatabaseError, IntegrityError, transaction

from qamqor.core.errors import ServiceError
from qamqor.transport import selectors, services
from qamqor.transport.models import DayPlan, PlannedStop, PlanVersion, Shift

from .factories import *  # noqa: F401,F403

pytestmark = pytest.mark.postgres




@pytest.mark.django_db
def test_the_exclusion_constraints_refuse_overlapping_shifts_written_directly(make_shift, van, car, driver,
                                                                              other_driver, at, tomorrow, people):
    first = make_shift(van, driver, start=8, end=12)
    for vehicle, staff in ((van, other_driver), (car, driver)):
        with pytest.raises(IntegrityError), transaction.atomic():
            Shift.objects.create(provider=first.provider, day=tomorrow, vehicle=vehicle, driver=staff,
                                 starts_at=at(tomorrow, 11), ends_at=at(tomorrow, 14), created_by=people["dispatcher"])
    Shift.objects.filter(pk=first.pk).update(cancelled_at=at(tomorrow, 6))
    Shift.objects.create(provider=first.provider, day=tomorrow, vehicle=van, driver=driver,
                         starts_at=at(tomorrow, 11), ends_at=at(tomorrow, 14), created_by=people["dispatcher"])


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("transactional_reference")
def test_ten_dispatchers_giving_one_vehicle_overlapping_shifts_at_once_only_one_succeeds(people, van, make_driver,
                                                                                        at, tomorrow):
    drivers = [make_driver(email=f"race{i}@test.kz") for i in range(10)]

    def attempt(i, staff):
        return lambda: services.shift_create(actor=people["dispatcher"], vehicle=van, driver=staff,
                                             starts_at=at(tomorrow, 8) + dt.timedelta(minutes=i),
                                             ends_at=at(tomorrow, 12) + dt.timedelta(minutes=i))

    results = run_at_once([attempt(i, d) for i, d in enumerate(drivers)])
    made = [r for r in results if isinstance(r, Shift)]
    refused = [r for r in results if isinstance(r, ServiceError)]
    assert len(made) == 1, results
    assert len(refused) == 9 and {r.code for r in refused} == {"overlap"}
    assert Shift.objects.filter(vehicle=van).count() == 1


@pytest.mark.django_db
def test_a_written_version_never_changes(people, org, shifts, make_ride, tomorrow):
    make_ride()
    services.plan_run(services.plan_start(actor=people["dispatcher"], provider=org, day=tomorrow, time_limit=1).pk)
    version = PlanVersion.objects.get(day_plan__provider=org, number=1)
    for statement in (lambda: PlannedStop.objects.filter(version=version).update(sequence=7),
                      lambda: PlanVersion.objects.filter(pk=version.pk).update(note="edited"),
                      lambda: PlannedStop.objects.filter(version=version).delete()):
        with pytest.raises(DatabaseError), transaction.atomic():
            statement()
    assert PlannedStop.objects.filter(version=version).count() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("transactional_reference")
def test_two_manual_changes_at_once_both_land(people, org, shifts, make_ride, tomorrow):
    rides = [make_ride(hour=h) for h in (8, 10, 12)]
    services.plan_run(services.plan_start(actor=people["dispatcher"], provider=org, day=tomorrow, time_limit=1).pk)
    dp = DayPlan.objects.get(provider=org, day=tomorrow)
    v1 = selectors.current_version(dp)
    on = {rid: sid for sid, stops in selectors.version_routes(v1).items() for rid, _k in stops}
    van, car = shifts
    target = car if on[rides[0].pk] == van.pk else van
    results = run_at_once([
        lambda: services.plan_assign(actor=people["dispatcher"], ride=rides[0], shift=target),
        lambda: services.plan_unassign(actor=people["dispatcher"], ride=rides[1]),
    ])
    assert all(isinstance(r, PlanVersion) for r in results), results
    assert sorted(r.number for r in results) == [2, 3]
    dp.refresh_from_db()
    newest = selectors.version_routes(selectors.current_version(dp))
    where = {rid: sid for sid, stops in newest.items() for rid, _k in stops}
    assert dp.version == 3 and where[rides[0].pk] == target.pk and rides[1].pk not in where
