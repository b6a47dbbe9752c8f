"""Re-planning a running day: fixed stops, warm starts, reproducibility, one new request, unserved reasons."""

import numpy as np
import pytest

from qamqor.transport.dispatch import Fixed, Plan, Problem, Request, Stop, Vehicle, insert_request, solve
from qamqor.transport.dispatch.check import check
from qamqor.transport.dispatch.cordeau import parse, solution_json

from .conftest import make_instance


@pytest.fixture(scope="module")
def day():
    inst = parse(make_instance(seed=7, n=14, m=3), name="day")
    return inst, solve(inst.problem, seed=1, workers=1, iterations=150)


def test_fixed_stops_stay_fixed_on_replan(day):
    inst, sol = day
    k = max(range(len(sol.routes)), key=lambda v: len(sol.routes[v]))
    plan = sol.plan()
    vid = inst.problem.vehicles[k].id
    fixed = [Fixed(request=rid, kind=kind, start=float(sol.starts[k][pos + 1]))
             for pos, (rid, kind) in enumerate(plan.routes[vid][:3])]
    plan.fixed = fixed
    again = solve(inst.problem, seed=9, workers=1, iterations=150, warm_start=plan)
    nodes = [again.data.describe(int(v)) for v in again.routes[k][1:4]]
    assert nodes == plan.routes[vid][:3]
    assert list(again.starts[k][1:4]) == pytest.approx([f.start for f in fixed])
    on_board = {rid for rid, kind in plan.routes[vid][:3] if kind == "pickup"}
    still = {again.data.describe(int(v))[0] for v in again.routes[k][1:-1]}
    assert on_board <= still
    errors = check(make_instance(seed=7, n=14, m=3), solution_json(inst, again))[0]
    assert set(errors) <= {f"request {i} not served" for i in again.unserved}


def test_warm_start_never_returns_worse_than_the_start(day):
    inst, sol = day
    again = solve(inst.problem, seed=4, workers=1, iterations=40, warm_start=sol.plan())
    assert again.objective <= sol.objective + 1e-9


def test_the_same_seed_gives_the_same_plan():
    inst = parse(make_instance(seed=3, n=12, m=3), name="seeded")
    runs = [solve(inst.problem, seed=5, workers=2, iterations=120) for _ in range(2)]
    assert runs[0].cost == runs[1].cost
    assert all(np.array_equal(a, b) for a, b in zip(runs[0].routes, runs[1].routes))


def test_a_new_request_is_inserted_without_reordering_the_plan():
    full = parse(make_instance(seed=11, n=10, m=3), name="full")
    # the same day without request 10: drop its two node lines and renumber
    lines = make_instance(seed=11, n=10, m=3).splitlines()
    header, rows = lines[0].split(), lines[1:]
    kept = rows[:10] + rows[11:20] + rows[21:]
    header[1] = "9"
    before = parse(" ".join(header) + "\n" + "\n".join(kept) + "\n", name="before")
    sol = solve(before.problem, seed=2, workers=1, iterations=100)
    plan = sol.plan()
    after = insert_request(full.problem, plan)
    assert 10 not in after.unserved
    for k, nodes in enumerate(after.routes):
        stops = [after.data.describe(int(v)) for v in nodes[1:-1]]
        assert [s for s in stops if s[0] != 10] == plan.routes[k]
    assert after.seconds < 5


def test_an_unservable_request_gets_its_reason():
    text = make_instance(seed=5, n=4, m=2, Q=3).replace("\n1 ", "\n1 ", 1)
    rows = text.splitlines()
    first = rows[2].split()
    first[4] = "5"  # five seats on a three-seat vehicle
    rows[2] = " ".join(first)
    drop = rows[2 + 4].split()
    drop[4] = "-5"
    rows[2 + 4] = " ".join(drop)
    inst = parse("\n".join(rows) + "\n", name="big-group")
    sol = solve(inst.problem, seed=0, workers=1, iterations=20)
    assert "enough seats" in sol.unserved[1]


def test_wheelchair_places_are_counted_apart_from_seats():
    times = np.array([[0, 5, 10], [5, 0, 6], [10, 6, 0]], dtype=float)
    requests = [Request(id="w", pickup=Stop(1, service=2), dropoff=Stop(2, service=2), seats=0, wheelchairs=1),
                Request(id="s", pickup=Stop(1, service=1), dropoff=Stop(2, service=1), seats=1)]
    vans = [Vehicle(id="car", start=0, end=0, seats=4, wheelchairs=0, shift=(0, 600)),
            Vehicle(id="ramp", start=0, end=0, seats=1, wheelchairs=1, shift=(0, 600))]
    problem = Problem(requests=requests, vehicles=vans, times=times, costs=times)
    sol = solve(problem, seed=0, workers=1, iterations=20)
    assert sol.unserved == {}
    by_vehicle = {vans[k].id: {sol.data.describe(int(v))[0] for v in r[1:-1]} for k, r in enumerate(sol.routes)}
    assert "w" in by_vehicle["ramp"]


def test_nothing_unfixed_is_planned_before_now(day):
    inst, sol = day
    plan = sol.plan()
    k = max(range(len(sol.routes)), key=lambda v: len(sol.routes[v]))
    vid = inst.problem.vehicles[k].id
    first = plan.routes[vid][0]
    plan.fixed = [Fixed(request=first[0], kind=first[1], start=float(sol.starts[k][1]))]
    plan.now = now = float(sol.starts[k][1]) + 1.0  # the first passenger has just been picked up
    again = solve(inst.problem, seed=2, workers=1, iterations=60, warm_start=plan)
    for r, starts in zip(again.routes, again.starts):
        for v, b in zip(r[1:-1], starts[1:-1]):
            if again.data.describe(int(v)) != first:
                assert b >= now - 1e-9


def test_a_vehicle_takes_no_more_requests_than_allowed():
    times = np.array([[0, 5, 10], [5, 0, 6], [10, 6, 0]], dtype=float)
    requests = [Request(id=x, pickup=Stop(1), dropoff=Stop(2)) for x in "ab"]
    problem = Problem(requests=requests, vehicles=[Vehicle(id="van", start=0, end=0, seats=4)], times=times,
                      costs=times, max_route_requests=1)
    sol = solve(problem, seed=0, workers=1, iterations=10)
    assert len(sol.unserved) == 1
