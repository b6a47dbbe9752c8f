"""The day plan through the Django layer: plan_start → task → progress → a new version; same-day insertion; manual
assign (checked by the engine, refused with the reason) and unassign (held back); a manual change survives a
concurrent re-plan; fixed stops stay fixed on re-plan; versions never change; the board and manifest selectors in a
fixed number of queries."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from qamqor.core.errors import ServiceError
from qamqor.transport import selectors, services
from qamqor.transport.models import DayPlan, PlannedStop, PlanVersion, ReplanRun, RideRequest

from .factories import *  # noqa: F401,F403

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _dispatcher_reads_english(people):
    """A run writes its version's note in the language of the dispatcher who started it."""
    people["dispatcher"].language = "en"
    people["dispatcher"].save(update_fields=["language"])


def plan(people, provider, day, time_limit=1):
    run = services.plan_start(actor=people["dispatcher"], provider=provider, day=day, time_limit=time_limit)
    return run, services.plan_run(run.pk)


def routes(version):
    return selectors.version_routes(version)


def shift_of(version, ride):
    return next((sid for sid, stops in routes(version).items() if (ride.pk, "pickup") in stops), None)


def stops_of(version):
    return list(PlannedStop.objects.filter(version=version).order_by("shift_id", "sequence")
                .values_list("shift_id", "sequence", "request_id", "kind", "planned_at", "fixed"))


def test_planning_a_day_runs_as_a_task_with_progress(people, org, shifts, make_ride, tomorrow,
                                                     django_capture_on_commit_callbacks):
    rides = [make_ride(hour=h, frm=f, to=t) for h, f, t in
             [(8, "abay", "hospital"), (8, "sairan", "mega"), (9, "hospital", "tole_bi"), (11, "mega", "abay"),
              (13, "tole_bi", "sairan")]]
    with django_capture_on_commit_callbacks(execute=True):
        run = services.plan_start(actor=people["dispatcher"], provider=org, day=tomorrow, time_limit=1)
    run.refresh_from_db()
    assert run.status == ReplanRun.Status.DONE and run.progress == 100 and run.result_version == 1
    version = PlanVersion.objects.get(day_plan__provider=org, day_plan__day=tomorrow, number=1)
    assert version.kind == PlanVersion.Kind.SOLVE and version.served == 5 and version.unserved == 0
    assert version.cost_minutes > 0
    for ride in rides:
        ride.refresh_from_db()
        assert ride.status == RideRequest.Status.PLANNED
        pickup, dropoff = PlannedStop.objects.filter(version=version, request=ride).order_by("kind").reverse()
        assert pickup.kind == "pickup" and pickup.shift_id == dropoff.shift_id
        assert ride.pickup_at - dt.timedelta(minutes=10) <= pickup.planned_at <= ride.pickup_at + dt.timedelta(
            minutes=20)
        assert dropoff.planned_at > pickup.planned_at


def test_a_second_plan_waits_for_the_first(people, org, shifts, make_ride, tomorrow):
    make_ride()
    services.plan_start(actor=people["dispatcher"], provider=org, day=tomorrow, time_limit=1)
    with pytest.raises(ServiceError) as refused:
        services.plan_start(actor=people["dispatcher"], provider=org, day=tomorrow, time_limit=1)
    assert refused.value.code == "conflict"


def test_a_wheelchair_ride_goes_on_the_vehicle_with_a_ramp(people, org, shifts, make_ride, passenger, tomorrow):
    ride = make_ride(passenger, wheelchair=True)
    _run, version = plan(people, org, tomorrow)
    assert shift_of(version, ride) == shifts[0].pk  # the van


def test_a_ride_no_vehicle_can_carry_is_unassigned_with_the_reason(people, org, car, other_driver, make_shift,
                                                                   make_ride, passenger, tomorrow):
    make_shift(car, other_driver)
    ride = make_ride(passenger, wheelchair=True)
    _run, version = plan(people, org, tomorrow)
    ride.refresh_from_db()
    assert ride.status == RideRequest.Status.UNSERVED and version.unserved == 1
    board = selectors.day_board(provider=org, day=tomorrow)
    [(unassigned, reason)] = board["unassigned"]
    assert unassigned == ride and "wheelchair places" in reason


def test_a_same_day_request_is_inserted_into_the_plan_at_once(people, org, shifts, make_ride, tomorrow):
    make_ride(hour=8)
    _run, v1 = plan(people, org, tomorrow)
    late = make_ride(hour=15, frm="mega", to="sairan")
    late.refresh_from_db()
    assert late.status == RideRequest.Status.PLANNED
    dp = DayPlan.objects.get(provider=org, day=tomorrow)
    newest = PlanVersion.objects.get(day_plan=dp, number=dp.version)
    assert newest.number == 2 and newest.kind == PlanVersion.Kind.INSERT and newest.request == late
    assert shift_of(newest, late) is not None
    assert stops_of(v1) == stops_of(PlanVersion.objects.get(pk=v1.pk))  # v1 untouched


def test_manual_assign_is_checked_by_the_engine(people, org, shifts, make_ride, passenger, tomorrow):
    chair = make_ride(passenger, wheelchair=True, hour=9)
    walker = make_ride(hour=9, frm="sairan", to="mega")
    _run, v1 = plan(people, org, tomorrow)
    van, car = shifts
    with pytest.raises(ServiceError) as refused:
        services.plan_assign(actor=people["dispatcher"], ride=chair, shift=car)
    assert refused.value.code == "infeasible" and car.vehicle.plate in str(refused.value.message)
    assert "wheelchair" in str(refused.value.message)
    target = car if shift_of(v1, walker) == van.pk else van
    v2 = services.plan_assign(actor=people["dispatcher"], ride=walker, shift=target)
    assert v2.number == 2 and v2.kind == PlanVersion.Kind.ASSIGN and shift_of(v2, walker) == target.pk
    walker.refresh_from_db()
    assert walker.pinned_shift == target


def test_unassign_holds_the_ride_back_from_every_plan(people, org, shifts, make_ride, tomorrow):
    ride = make_ride()
    _run, v1 = plan(people, org, tomorrow)
    v2 = services.plan_unassign(actor=people["dispatcher"], ride=ride)
    ride.refresh_from_db()
    assert ride.held and ride.status == RideRequest.Status.UNSERVED and shift_of(v2, ride) is None
    _run, v3 = plan(people, org, tomorrow)
    assert shift_of(v3, ride) is None
    board = selectors.day_board(provider=org, day=tomorrow)
    assert [(r.pk, reason) for r, reason in board["unassigned"]] == [(ride.pk, "Held back by a dispatcher.")]
    v4 = services.plan_release(actor=people["dispatcher"], ride=ride)
    assert shift_of(v4, ride) is not None


def test_a_manual_change_survives_a_concurrent_replan(people, org, shifts, make_ride, tomorrow):
    """Start a re-plan from version v, make a manual assign and an unassign (v+1, v+2), then let the re-plan
    finish: the newest version has both changes."""
    rides = [make_ride(hour=h, frm=f, to=t) for h, f, t in
             [(8, "abay", "hospital"), (9, "sairan", "mega"), (10, "hospital", "tole_bi"), (12, "mega", "abay")]]
    _run, v1 = plan(people, org, tomorrow)
    van, car = shifts
    run = services.plan_start(actor=people["dispatcher"], provider=org, day=tomorrow, time_limit=1)
    assert run.based_on == 1
    moved = rides[1]
    target = car if shift_of(v1, moved) == van.pk else van
    v2 = services.plan_assign(actor=people["dispatcher"], ride=moved, shift=target)
    v3 = services.plan_unassign(actor=people["dispatcher"], ride=rides[2])
    assert (v2.number, v3.number) == (2, 3)
    v4 = services.plan_run(run.pk)
    assert v4.number == 4 and v4.kind == PlanVersion.Kind.REPLAN and v4.based_on == 1
    assert shift_of(v4, moved) == target.pk
    assert shift_of(v4, rides[2]) is None
    assert "Kept 2 changes made while planning." in v4.note
    run.refresh_from_db()
    assert run.status == ReplanRun.Status.DONE and run.result_version == 4
    for ride in (rides[0], rides[3]):
        assert shift_of(v4, ride) is not None


def test_a_replayed_assignment_that_no_longer_fits_keeps_the_dispatchers_change(people, org, make_shift, car,
                                                                                other_driver, make_ride, tomorrow):
    """One three-seat car. The re-plan (started before) put a one-seat ride on it at 09:00; meanwhile the dispatcher
    assigned a ride needing all three seats at 09:00. The dispatcher's ride stays; the re-plan's ride is given up,
    and the version's note names it."""
    shift = make_shift(car, other_driver)
    group = make_ride(hour=9, frm="abay", to="hospital", escorts=2)
    other = make_ride(hour=9, frm="airport", to="medeu")  # too far to serve before or after the group
    run = services.plan_start(actor=people["dispatcher"], provider=org, day=tomorrow, time_limit=1)
    services.plan_assign(actor=people["dispatcher"], ride=group, shift=shift)
    ReplanRun.objects.filter(pk=run.pk).update(status=ReplanRun.Status.RUNNING)
    # The search's result, as it would come back from a search that started before the assignment.
    result = {shift.pk: [(other.pk, "pickup", 540.0), (other.pk, "dropoff", 560.0)]}
    version = services._apply_replan(run, result, {group.pk: "busy"}, solved={group.pk, other.pk}, seconds=1.0)
    assert shift_of(version, group) == shift.pk and shift_of(version, other) is None
    assert f"rides {other.pk}" in version.note and "Kept 1 change made while planning." in version.note
    other.refresh_from_db()
    assert other.status == RideRequest.Status.UNSERVED and other.unserved_reason == "given_up"


def test_fixed_stops_stay_fixed_on_replan(people, org, contract, make_person, van, car, driver, other_driver):
    """A running day: one passenger picked up by the van; a re-plan keeps that pick-up with its time on the van and
    the passenger's drop-off on the van, whatever else moves."""
    now = timezone.now()
    today = timezone.localdate()
    start = max(timezone.make_aware(dt.datetime.combine(today, dt.time(0, 1))), now - dt.timedelta(minutes=40))
    before = start - dt.timedelta(minutes=30)
    van_shift = services.shift_create(actor=people["dispatcher"], vehicle=van, driver=driver, starts_at=start,
                                      ends_at=now + dt.timedelta(hours=4), now=before)
    services.shift_create(actor=people["dispatcher"], vehicle=car, driver=other_driver, starts_at=start,
                          ends_at=now + dt.timedelta(hours=4), now=before)
    from .factories import ALMATY
    rides = []
    for minutes, (frm, to) in zip((20, 25, 30), [("abay", "hospital"), ("sairan", "mega"), ("hospital", "tole_bi")]):
        (plat, plon), (dlat, dlon) = ALMATY[frm], ALMATY[to]
        [ride] = services.ride_request_create(
            actor=people["dispatcher"], person=make_person("group_1"), provider=org, pickup_address=frm,
            pickup_latitude=plat, pickup_longitude=plon, dropoff_address=to, dropoff_latitude=dlat,
            dropoff_longitude=dlon, pickup_at=start + dt.timedelta(minutes=minutes), now=before)
        rides.append(ride)
    run = services.plan_start(actor=people["dispatcher"], provider=org, day=today, time_limit=1)
    services.plan_run(run.pk, now=before)
    first = rides[0]
    v = services.plan_assign(actor=people["dispatcher"], ride=first, shift=van_shift, now=before)
    picked = min(now, first.pickup_at + dt.timedelta(minutes=3))
    services.ride_mark(actor=people["driver"], ride=RideRequest.objects.get(pk=first.pk), event="picked_up", at=picked)
    services.plan_release(actor=people["dispatcher"], ride=RideRequest.objects.get(pk=first.pk))  # unpinned
    run = services.plan_start(actor=people["dispatcher"], provider=org, day=today, time_limit=1)
    replanned = services.plan_run(run.pk)
    pickup = PlannedStop.objects.get(version=replanned, request=first, kind="pickup")
    dropoff = PlannedStop.objects.get(version=replanned, request=first, kind="dropoff")
    assert pickup.fixed and pickup.shift_id == van_shift.pk and dropoff.shift_id == van_shift.pk
    assert abs((pickup.planned_at - picked).total_seconds()) < 1
    assert pickup.sequence == 0 and replanned.number > v.number


def test_versions_never_change(people, org, shifts, make_ride, tomorrow):
    rides = [make_ride(hour=h) for h in (8, 10, 12)]
    _run, v1 = plan(people, org, tomorrow)
    frozen = stops_of(v1)
    van, car = shifts
    target = car if shift_of(v1, rides[0]) == van.pk else van
    services.plan_assign(actor=people["dispatcher"], ride=rides[0], shift=target)
    services.plan_unassign(actor=people["dispatcher"], ride=rides[1])
    services.ride_cancel(actor=people["dispatcher"], ride=rides[2])
    plan(people, org, tomorrow)
    assert stops_of(PlanVersion.objects.get(pk=v1.pk)) == frozen
    numbers = list(PlanVersion.objects.filter(day_plan__day=tomorrow).values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))


def test_a_cancelled_ride_leaves_the_plan(people, org, shifts, make_ride, tomorrow):
    ride = make_ride()
    plan(people, org, tomorrow)
    services.ride_cancel(actor=people["dispatcher"], ride=ride)
    dp = DayPlan.objects.get(provider=org, day=tomorrow)
    newest = PlanVersion.objects.get(day_plan=dp, number=dp.version)
    assert newest.number == 2 and shift_of(newest, ride) is None


def test_cancelling_a_shift_unassigns_its_rides(people, org, shifts, make_ride, tomorrow):
    rides = [make_ride(hour=h) for h in (8, 9)]
    _run, v1 = plan(people, org, tomorrow)
    used = {shift_of(v1, r) for r in rides}
    shift = next(s for s in shifts if s.pk in used)
    services.shift_cancel(actor=people["dispatcher"], shift=shift)
    board = selectors.day_board(provider=org, day=tomorrow)
    assert all(not entry["stops"] for entry in board["shifts"] if entry["shift"].pk == shift.pk)
    assert board["version"].number == 2


def test_the_board_and_the_manifest_take_a_fixed_number_of_queries(people, org, shifts, make_ride, tomorrow,
                                                                    django_assert_num_queries):
    for h in (8, 9, 10):
        make_ride(hour=h)
    _run, version = plan(people, org, tomorrow)
    with django_assert_num_queries(6):
        board = selectors.day_board(provider=org, day=tomorrow)
    assert board["stats"]["served"] == 3 and sum(len(s["stops"]) for s in board["shifts"]) == 6
    for h in (11, 12, 13, 14, 15, 16):
        make_ride(hour=h)
    plan(people, org, tomorrow)
    with django_assert_num_queries(6):
        board = selectors.day_board(provider=org, day=tomorrow)
    assert board["stats"]["served"] == 9
    shift = max(shifts, key=lambda s: len(next(e["stops"] for e in board["shifts"] if e["shift"].pk == s.pk)))
    with django_assert_num_queries(2):
        sheet = selectors.manifest(shift=shift)
    assert sheet["stops"] and all(s["passenger"] and s["phone"] for s in sheet["stops"])


def test_the_demo_loads_a_fleet_rides_and_todays_plan(people, org, contract, make_person):
    import random

    from qamqor.transport.demo import demo_transport
    from qamqor.transport.models import Shift, Vehicle

    for _ in range(6):
        make_person("group_1")
    summary = demo_transport(rng=random.Random(1), provider=org, provider_admin=people["org_admin"],
                             dispatcher=people["dispatcher"], domain="test.kz", plan_seconds=1)
    assert Vehicle.objects.filter(provider=org).count() == 8 and Vehicle.objects.filter(wheelchair_places=2).count() == 4
    assert Shift.objects.filter(provider=org, driver__user=people["driver"]).exists()
    assert RideRequest.objects.filter(provider=org).count() >= 30
    today = timezone.localdate()
    if RideRequest.objects.filter(provider=org, day=today).exists():
        assert DayPlan.objects.get(provider=org, day=today).version >= 1 and "today's plan" in summary
    assert demo_transport(rng=random.Random(1), provider=org, provider_admin=people["org_admin"],
                          dispatcher=people["dispatcher"], domain="test.kz") == "transport: already loaded"


def test_no_stop_is_planned_during_a_drivers_break(people, org, car, other_driver, make_ride, tomorrow, at):
    """The driver rests from 12:00 to 13:00 at the depot: rides before and after it are planned around it; a ride
    that can only be picked up during the break is left over with its reason, and the same holds for manual
    assignments and same-day insertions, which go through the same bridge."""
    shift = services.shift_create(actor=people["dispatcher"], vehicle=car, driver=other_driver,
                                  starts_at=at(tomorrow, 8), ends_at=at(tomorrow, 18),
                                  break_starts_at=at(tomorrow, 12), break_minutes=60)
    morning = make_ride(hour=11, minute=0)
    lunch = make_ride(hour=12, minute=20)
    afternoon = make_ride(hour=13, minute=30, frm="hospital", to="abay")
    _run, version = plan(people, org, tomorrow)
    rest = (at(tomorrow, 12), at(tomorrow, 13))
    planned = PlannedStop.objects.filter(version=version)
    assert {stop.request_id for stop in planned} == {morning.pk, afternoon.pk}
    assert all(not rest[0] <= stop.planned_at < rest[1] for stop in planned), [s.planned_at for s in planned]
    # The morning ride is dropped off in time to drive back to the depot for 12:00.
    assert max(s.planned_at for s in planned if s.request_id == morning.pk) < rest[0]
    lunch.refresh_from_db()
    assert lunch.status == RideRequest.Status.UNSERVED
    with pytest.raises(ServiceError):
        services.plan_assign(actor=people["dispatcher"], ride=lunch, shift=shift)
    assert [sid for sid in routes(selectors.current_version(version.day_plan))] == [shift.pk]


def test_a_driver_faster_than_the_travel_model_does_not_make_the_day_unplannable(people, org, contract, make_person,
                                                                                  van, driver):
    """The driver marks a drop-off one minute after the pick-up where the model needs far longer: the next re-plan
    still works, keeps both stops on the van, and the marks keep their real times."""
    now = timezone.now()
    today = timezone.localdate()
    start = max(timezone.make_aware(dt.datetime.combine(today, dt.time(0, 1))), now - dt.timedelta(minutes=40))
    before = start - dt.timedelta(minutes=30)
    shift = services.shift_create(actor=people["dispatcher"], vehicle=van, driver=driver, starts_at=start,
                                  ends_at=now + dt.timedelta(hours=4), now=before)
    from .factories import ALMATY
    (plat, plon), (dlat, dlon) = ALMATY["abay"], ALMATY["hospital"]
    [ride] = services.ride_request_create(
        actor=people["dispatcher"], person=make_person("group_1"), provider=org, pickup_address="abay",
        pickup_latitude=plat, pickup_longitude=plon, dropoff_address="hospital", dropoff_latitude=dlat,
        dropoff_longitude=dlon, pickup_at=start + dt.timedelta(minutes=20), now=before)
    run = services.plan_start(actor=people["dispatcher"], provider=org, day=today, time_limit=1)
    services.plan_run(run.pk, now=before)
    picked = min(now - dt.timedelta(minutes=1), ride.pickup_at + dt.timedelta(minutes=2))
    services.ride_mark(actor=people["driver"], ride=RideRequest.objects.get(pk=ride.pk), event="picked_up", at=picked)
    services.ride_mark(actor=people["driver"], ride=RideRequest.objects.get(pk=ride.pk), event="dropped_off",
                       at=picked + dt.timedelta(minutes=1))
    run = services.plan_start(actor=people["dispatcher"], provider=org, day=today, time_limit=1)
    replanned = services.plan_run(run.pk)
    assert replanned is not None
    run.refresh_from_db()
    assert run.status == ReplanRun.Status.DONE, run.message
    stops = {s.kind: s for s in PlannedStop.objects.filter(version=replanned, request=ride)}
    assert stops["pickup"].fixed and stops["dropoff"].fixed and {s.shift_id for s in stops.values()} == {shift.pk}
    ride.refresh_from_db()
    assert ride.status == RideRequest.Status.DROPPED_OFF and ride.dropped_off_at == picked + dt.timedelta(minutes=1)
