"""A running day kept compiled (Session): each insertion equals insert_request's, and the day stays feasible."""

from dataclasses import replace

import numpy as np
import pytest

from qamqor.transport.dispatch import Plan, Problem, Request, Session, Stop, Vehicle, insert_request, solve
from qamqor.transport.dispatch.check import check
from qamqor.transport.dispatch.cordeau import parse, solution_json
from qamqor.transport.dispatch.travel import EuclideanProvider

from .conftest import make_instance


def _stops(sol):
    """vehicle id -> [(request id, kind, start)] of a solution, whatever its node numbering."""
    out = {}
    for k, (nodes, starts) in enumerate(zip(sol.routes, sol.starts)):
        out[sol.data.problem.vehicles[k].id] = [(*sol.data.describe(int(v)), round(float(b), 9))
                                                 for v, b in zip(nodes[1:-1], starts[1:-1])]
    return out


def _day(seed, n=14, m=3, first=8):
    text = make_instance(seed=seed, n=n, m=m)
    inst = parse(text, name=f"s{seed}")
    before = replace(inst.problem, requests=inst.problem.requests[:first])
    return text, inst, before


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("spare", [1, 64])
def test_each_insertion_equals_insert_request_on_the_same_plan(seed, spare):
    text, inst, before = _day(seed)
    start = solve(before, seed=seed, workers=1, iterations=30)
    session = Session(before, start.plan(), spare_requests=spare)
    plain = start
    for j in range(8, len(inst.problem.requests)):
        request = inst.problem.requests[j]
        problem_j = replace(inst.problem, requests=inst.problem.requests[:j + 1])
        known_unserved = set(plain.unserved)
        plain = insert_request(problem_j, plain.plan())
        got = session.insert(request)
        if set(plain.unserved) - {request.id} != known_unserved:
            pytest.skip("insert_request also put in an earlier unserved request; a session inserts only the new one")
        assert _stops(session.solution()) == _stops(plain)
        assert got.vehicle == (None if request.id in plain.unserved else
                               next(v for v, stops in _stops(plain).items() if any(s[0] == request.id for s in stops)))
        assert session.solution().unserved == plain.unserved
    errors = check(text, solution_json(inst, session.solution()))[0]
    assert set(errors) <= {f"request {i} not served" for i in session.solution().unserved}


def test_new_places_come_from_the_provider_and_the_session_grows():
    rng = np.random.default_rng(5)
    points = [tuple(p) for p in rng.uniform(-10, 10, (24, 2))]
    depot = [(0.0, 0.0)]

    def request(i, a, b):
        return Request(id=i, pickup=Stop(a, (60 + 10 * i, 90 + 10 * i), 2), dropoff=Stop(b, service=2))

    vans = [Vehicle(id=k, start=0, end=0, shift=(0, 600), seats=3) for k in range(2)]
    times, _ = EuclideanProvider().matrices(depot + points[:4])
    first = Problem(requests=[request(0, 1, 2), request(1, 3, 4)], vehicles=vans, times=times, costs=times)
    session = Session(first, None, spare_requests=1, spare_locations=1, points=depot + points[:4],
                      provider=EuclideanProvider())
    for i in range(2, 12):
        a, b = session.add_point(points[2 * i]), session.add_point(points[2 * i + 1])
        got = session.insert(request(i, a, b))
        assert got.vehicle is not None and got.pickup >= 60 + 10 * i
    full_t, _ = EuclideanProvider().matrices(depot + points)
    assert session.current_problem().times == pytest.approx(full_t)
    assert session.solution().unserved == {}


def _small_day():
    times = np.array([[0, 5, 10, 30], [5, 0, 6, 30], [10, 6, 0, 30], [30, 30, 30, 0]], dtype=float)
    vans = [Vehicle(id="near", start=0, end=0, seats=4, wheelchairs=0, shift=(0, 600)),
            Vehicle(id="far", start=3, end=3, seats=2, wheelchairs=1, shift=(0, 600))]
    return Problem(requests=[], vehicles=vans, times=times, costs=times)


def test_a_session_insertion_can_be_restricted_and_pinned():
    session = Session(_small_day(), Plan(routes={"near": [], "far": []}))
    assert session.insert(Request(id="s", pickup=Stop(1), dropoff=Stop(2))).vehicle == "near"
    got = session.insert(Request(id="t", pickup=Stop(1), dropoff=Stop(2)), vehicles=["far"], pin=True)
    assert got.vehicle == "far" and "t" in session.plan().pinned
    left = session.insert(Request(id="w", pickup=Stop(1), dropoff=Stop(2), seats=0, wheelchairs=1),
                          vehicles=["near"])
    assert left.vehicle is None
    assert left.reason == "No vehicle chosen for it has enough seats and wheelchair places for this request."
    with pytest.raises(ValueError, match="already in the day"):
        session.insert(Request(id="s", pickup=Stop(1), dropoff=Stop(2)))
    with pytest.raises(ValueError, match="location 9 is not a place"):
        session.insert(Request(id="x", pickup=Stop(9), dropoff=Stop(2)))


def test_a_new_request_is_not_planned_before_now():
    session = Session(_small_day(), Plan(routes={"near": [], "far": []}))
    got = session.insert(Request(id="s", pickup=Stop(1), dropoff=Stop(2)), now=300)
    assert got.pickup >= 300 and got.dropoff >= 300


def test_a_cancelled_request_leaves_its_route_and_the_rest_stays_feasible():
    text, inst, _ = _day(3, first=14)
    sol = solve(inst.problem, seed=1, workers=1, iterations=30)
    session = Session(inst.problem, sol.plan())
    gone = next(r.id for r in inst.problem.requests if r.id not in sol.unserved)
    session.cancel(gone)
    assert all(rid != gone for stops in session.plan().routes.values() for rid, _ in stops)
    errors = check(text, solution_json(inst, session.solution()))[0]
    assert set(errors) <= {f"request {i} not served" for i in session.solution().unserved} | {
        f"request {gone} not served"}
    with pytest.raises(KeyError):
        session.cancel(gone)


def test_a_late_vehicle_gives_up_the_requests_it_can_no_longer_reach_on_time():
    text, inst, _ = _day(4, first=14)
    sol = solve(inst.problem, seed=1, workers=1, iterations=30)
    session = Session(inst.problem, sol.plan())
    k = max(range(len(sol.routes)), key=lambda v: len(sol.routes[v]))
    rid, kind = sol.data.describe(int(sol.routes[k][1]))
    late = inst.problem.requests[rid - 1].pickup.window[1] if kind == "pickup" else None
    if late is None or late > 1e8:
        pytest.skip("the first stop has no closing time")
    assert session.fix(rid, kind, late) is not None
    plan = session.plan()
    vid = inst.problem.vehicles[k].id
    assert plan.routes[vid][0] == (rid, kind)
    assert session.solution().starts[k][1] == pytest.approx(late)
    errors = check(text, solution_json(inst, session.solution()))[0]
    assert set(errors) <= {f"request {i} not served" for i in session.solution().unserved}
    with pytest.raises(ValueError, match="not the next stop"):
        session.fix(rid, kind, late)
