"""Random days with seats and wheelchair places, several depots and shifts: every plan the engine gives (a search,
a warm re-plan with pins, a session's insertions) is proven feasible by the independent checker."""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qamqor.transport.dispatch import Problem, Request, RideRule, Session, Stop, Vehicle, solve
from qamqor.transport.dispatch.check import check_routes
from qamqor.transport.dispatch.travel import EuclideanProvider


@st.composite
def days(draw):
    """A day over random points: depots first, then two points per request; a few more requests to add later."""
    depots = draw(st.integers(1, 3))
    n = draw(st.integers(1, 10))
    extra = draw(st.integers(0, 3))
    coord = st.floats(-10, 10, allow_nan=False, allow_infinity=False)
    points = [(draw(coord), draw(coord)) for _ in range(depots + 2 * (n + extra))]
    times, costs = EuclideanProvider(speed=0.5).matrices(points)
    vans = []
    for k in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, 240))
        vans.append(Vehicle(id=f"v{k}", start=draw(st.integers(0, depots - 1)), end=draw(st.integers(0, depots - 1)),
                            shift=(start, start + draw(st.integers(120, 600))), seats=draw(st.integers(1, 4)),
                            wheelchairs=draw(st.integers(0, 2)), max_duration=draw(st.sampled_from([240, 1e9]))))
    requests = []
    for i in range(n + extra):
        wheel = draw(st.integers(0, 1))
        seats = draw(st.integers(0 if wheel else 1, 2))
        at = draw(st.integers(30, 600))
        window = (at, at + draw(st.integers(0, 30)))
        on_pickup = draw(st.booleans())
        service = draw(st.sampled_from([0, 2, 6]))
        requests.append(Request(id=f"r{i}", pickup=Stop(depots + 2 * i, window if on_pickup else (0, 1440), service),
                                dropoff=Stop(depots + 2 * i + 1, (0, 1440) if on_pickup else window, service),
                                seats=seats, wheelchairs=wheel,
                                max_ride=draw(st.sampled_from([None, None, 45.0]))))
    problem = Problem(requests=requests[:n], vehicles=vans, times=times, costs=costs,
                      ride_rule=RideRule(factor=draw(st.sampled_from([1.5, 2.0])), extra=20))
    return problem, requests[n:]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(days(), st.integers(0, 1000))
def test_every_plan_of_a_random_day_is_feasible(day, seed):
    problem, later = day
    sol = solve(problem, seed=seed, workers=1, iterations=25)
    assert check_routes(problem, sol.stops(), sol.unserved)[0] == []
    # a dispatcher pins the served requests of the busiest vehicle, then the day is planned again
    plan = sol.plan()
    busiest = max(plan.routes, key=lambda v: len(plan.routes[v]))
    plan.pinned = {rid for rid, _ in plan.routes[busiest]}
    again = solve(problem, seed=seed + 1, workers=1, iterations=25, warm_start=plan)
    assert check_routes(problem, again.stops(), again.unserved, pinned=dict.fromkeys(plan.pinned, busiest))[0] == []
    # later requests of the same day go in through a session
    session = Session(problem, again.plan(), spare_requests=1)
    for r in later:
        session.insert(r)
    whole = replace(problem, requests=list(problem.requests) + later)
    now = session.solution()
    assert check_routes(whole, now.stops(), now.unserved)[0] == []


def _one_ride():
    times = np.array([[0, 5, 10], [5, 0, 6], [10, 6, 0]], dtype=float)
    problem = Problem(requests=[Request(id="w", pickup=Stop(1), dropoff=Stop(2), seats=1, wheelchairs=1)],
                      vehicles=[Vehicle(id="van", start=0, end=0, seats=2, wheelchairs=1, shift=(0, 600))],
                      times=times, costs=times)
    routes = {"van": [("van", "start", 0.0), ("w", "pickup", 5.0), ("w", "dropoff", 11.0), ("van", "end", 21.0)]}
    return problem, routes


def test_the_checker_accepts_a_good_route_and_counts_its_cost():
    problem, routes = _one_ride()
    assert check_routes(problem, routes) == ([], 21.0)


@pytest.mark.parametrize("change, message", [
    (lambda p, r: (replace(p, vehicles=[replace(p.vehicles[0], wheelchairs=0)]), r), "wheelchair places taken"),
    (lambda p, r: (p, {"van": r["van"][:2] + [("w", "dropoff", 60.0), r["van"][3]]}), "over its limit"),
    (lambda p, r: (p, {"van": [r["van"][0], ("w", "pickup", 4.0), *r["van"][2:]]}), "before arrival"),
    (lambda p, r: (p, {"van": [r["van"][0], r["van"][2], r["van"][1], r["van"][3]]}), "not after its pickup"),
    (lambda p, r: (p, {"van": [r["van"][0], r["van"][3]]}), "neither served nor reported unserved"),
    (lambda p, r: (replace(p, vehicles=[replace(p.vehicles[0], shift=(0, 15))]), r), "outside (0, 15)"),
])
def test_the_checker_rejects_a_broken_route(change, message):
    problem, routes = change(*_one_ride())
    assert message in " | ".join(check_routes(problem, routes)[0])
