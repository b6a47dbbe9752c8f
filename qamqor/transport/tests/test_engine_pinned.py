"""A dispatcher's manual assignments: pinned requests stay on their vehicle; insertion restricted to chosen vehicles."""

import numpy as np
import pytest

from qamqor.transport.dispatch import Plan, Problem, Request, Stop, Vehicle, insert_request, solve
from qamqor.transport.dispatch.check import check
from qamqor.transport.dispatch.cordeau import parse, solution_json

from .conftest import make_instance


def _vehicle_of(sol, rid):
    for k, nodes in enumerate(sol.routes):
        if any(sol.data.describe(int(v))[0] == rid for v in nodes[1:-1]):
            return sol.data.problem.vehicles[k].id
    return None


def _without(plan, rid):
    return Plan(routes={vid: [s for s in stops if s[0] != rid] for vid, stops in plan.routes.items()})


def _moved_by_hand(seed):
    """A day, a planned request and the plan in which a dispatcher moved it to another vehicle that can take it."""
    text = make_instance(seed=seed, n=12, m=3)
    inst = parse(text, name=f"pin{seed}")
    sol = solve(inst.problem, seed=seed, workers=1, iterations=40)
    plan = sol.plan()
    for rid in sorted(r.id for r in inst.problem.requests if r.id not in sol.unserved):
        home = _vehicle_of(sol, rid)
        for other in (v.id for v in inst.problem.vehicles if v.id != home):
            moved = insert_request(inst.problem, _without(plan, rid), vehicles=[other])
            if rid not in moved.unserved:
                return text, inst, moved.plan(), rid, other
    pytest.skip("no request of this day fits on another vehicle")


@pytest.mark.parametrize("seed", range(12))
def test_a_pinned_request_stays_on_its_vehicle_through_a_replan(seed):
    text, inst, plan, rid, vehicle = _moved_by_hand(seed)
    plan.pinned = {rid}
    again = solve(inst.problem, seed=seed + 100, workers=1, iterations=150, warm_start=plan)
    assert _vehicle_of(again, rid) == vehicle
    errors = check(text, solution_json(inst, again))[0]
    assert set(errors) <= {f"request {i} not served" for i in again.unserved}


def test_without_the_pin_the_search_moves_such_requests_back():
    """The pin is what keeps them: left free, the search takes some of these manual moves back."""
    moved_back = 0
    for seed in range(12):
        text, inst, plan, rid, vehicle = _moved_by_hand(seed)
        again = solve(inst.problem, seed=seed + 100, workers=1, iterations=150, warm_start=plan)
        moved_back += _vehicle_of(again, rid) != vehicle
    assert moved_back > 0


def _small_day(wheelchair=True):
    #         depot  a     b     c
    times = np.array([[0, 5, 10, 30], [5, 0, 6, 30], [10, 6, 0, 30], [30, 30, 30, 0]], dtype=float)
    vans = [Vehicle(id="near", start=0, end=0, seats=4, wheelchairs=0, shift=(0, 600)),
            Vehicle(id="far", start=3, end=3, seats=2, wheelchairs=1, shift=(0, 600))]
    requests = [Request(id="s", pickup=Stop(1), dropoff=Stop(2)),
                Request(id="w", pickup=Stop(1), dropoff=Stop(2), seats=0, wheelchairs=1)][:2 if wheelchair else 1]
    return Problem(requests=requests, vehicles=vans, times=times, costs=times)


def test_a_restricted_insertion_uses_only_the_chosen_vehicles():
    problem = _small_day(wheelchair=False)
    empty = Plan(routes={"near": [], "far": []})
    free = insert_request(problem, empty)
    assert _vehicle_of(free, "s") == "near"  # the cheap choice
    chosen = insert_request(problem, empty, vehicles=["far"])
    assert _vehicle_of(chosen, "s") == "far"
    assert chosen.unserved == {}


def test_a_request_the_chosen_vehicle_cannot_take_is_left_out_with_the_reason():
    problem = _small_day()
    plan = Plan(routes={"near": [], "far": []})
    sol = insert_request(problem, plan, vehicles=["near"])
    assert _vehicle_of(sol, "s") == "near"
    assert sol.unserved == {"w": "No vehicle chosen for it has enough seats and wheelchair places for this request."}


def test_a_manual_assignment_to_an_unknown_vehicle_or_a_pin_off_the_plan_is_refused():
    problem = _small_day()
    with pytest.raises(ValueError, match="Vehicle 'ghost' is not in the problem"):
        insert_request(problem, Plan(routes={}), vehicles=["ghost"])
    with pytest.raises(ValueError, match="pinned request 's' must be"):
        solve(problem, workers=1, iterations=5, warm_start=Plan(routes={"near": []}, pinned={"s"}))
