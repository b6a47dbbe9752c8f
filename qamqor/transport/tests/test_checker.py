"""The checker accepts the engine's schedules and rejects a solution that breaks any single constraint."""

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qamqor.transport.dispatch.check import check
from qamqor.transport.dispatch.cordeau import parse, solution_json
from qamqor.transport.dispatch.search import solve


@st.composite
def instances(draw):
    """A small 2006-format instance in which every request can be served alone by an empty vehicle."""
    n = draw(st.integers(2, 7))
    m = draw(st.integers((n + 1) // 2, n))
    Q, L, T = 3, 30, 480
    coord = st.floats(-10, 10, allow_nan=False).map(lambda v: round(v, 3))
    lines = [f"{m} {n} {T} {Q} {L}", "0 0 0 0 0 0 480"]
    pick, drop = [], []
    for i in range(1, n + 1):
        load = draw(st.integers(1, 3))
        on_drop = draw(st.booleans())
        start = draw(st.integers(60, 300))
        pw = (0, 1440) if on_drop else (start, start + 15)
        dw = (start, start + 15) if on_drop else (0, 1440)
        pick.append(f"{i} {draw(coord)} {draw(coord)} 3 {load} {pw[0]} {pw[1]}")
        drop.append(f"{n + i} {draw(coord)} {draw(coord)} 3 {-load} {dw[0]} {dw[1]}")
    lines += pick + drop + [f"{2 * n + 1} 0 0 0 0 0 480"]
    return "\n".join(lines) + "\n"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.integers(0, 1000))
def test_it_returns_schedules_the_checker_proves_feasible(text, seed):
    inst = parse(text, name="random")
    sol = solve(inst.problem, seed=seed, workers=1, iterations=30, time_limit=30)
    errors, cost = check(text, solution_json(inst, sol))
    unserved = {f"request {i} not served" for i in sol.unserved}
    assert set(errors) <= unserved
    assert cost == pytest.approx(sol.cost)


TEXT = """\
2 3 100 2 12
0 0 0 0 0 0 100
1 1 0 1 1 0 100
2 2 0 1 1 0 100
3 0 5 1 1 0 100
4 3 0 1 -1 0 100
5 4 0 1 -1 0 100
6 0 8 1 -1 0 100
7 0 0 0 0 0 100
"""


@pytest.fixture(scope="module")
def good():
    inst = parse(TEXT, name="small")
    sol = solve(inst.problem, seed=0, workers=1, iterations=50)
    out = solution_json(inst, sol)
    assert check(TEXT, out)[0] == []
    return out


def _route_of(sol, node):
    for r in sol["routes"]:
        for pos, s in enumerate(r["stops"]):
            if s["node"] == node:
                return r, pos
    raise AssertionError(node)


def _header(text, **values):
    m, n, T, Q, L = text.splitlines()[0].split()
    fields = {"m": m, "n": n, "T": T, "Q": Q, "L": L} | {k: str(v) for k, v in values.items()}
    return " ".join(fields[k] for k in "m n T Q L".split()) + "\n" + text.split("\n", 1)[1]


def _errors(text, sol):
    return " | ".join(check(text, sol)[0])


def test_the_good_solution_uses_one_route_for_the_two_close_requests(good):
    assert _route_of(good, 1)[0] is _route_of(good, 2)[0]  # so that the load mutation below can bite


def test_it_rejects_an_unserved_request(good):
    sol = copy.deepcopy(good)
    r, pos = _route_of(sol, 3)
    r["stops"] = [s for s in r["stops"] if s["node"] not in (3, 6)]
    assert "request 3 not served" in _errors(TEXT, sol)


def test_it_rejects_a_stop_visited_twice(good):
    sol = copy.deepcopy(good)
    r, pos = _route_of(sol, 1)
    r["stops"].insert(pos + 1, dict(r["stops"][pos]))
    assert "more than once" in _errors(TEXT, sol)


def test_it_rejects_a_drop_off_before_its_pickup(good):
    sol = copy.deepcopy(good)
    r, pos = _route_of(sol, 3)
    nodes = [s["node"] for s in r["stops"]]
    i, j = nodes.index(3), nodes.index(6)
    r["stops"][i]["node"], r["stops"][j]["node"] = 6, 3
    assert "drop-off before pickup" in _errors(TEXT, sol)


def test_it_rejects_a_drop_off_on_another_vehicle(good):
    sol = copy.deepcopy(good)
    r, pos = _route_of(sol, 6)
    stop = r["stops"].pop(pos)
    other = {"vehicle": 99, "stops": [{"node": 0, "start": 0.0}, stop, {"node": 7, "start": 90.0}]}
    sol["routes"].append(other)
    assert "not on the same vehicle" in _errors(TEXT, sol)


def test_it_rejects_an_overloaded_vehicle(good):
    assert "load 2 after node" in _errors(_header(TEXT, Q=1), good)


def test_it_rejects_a_start_outside_the_time_window(good):
    sol = copy.deepcopy(good)
    r, pos = _route_of(sol, 6)
    text = TEXT.replace("6 0 8 1 -1 0 100", f"6 0 8 1 -1 0 {r['stops'][pos]['start'] - 1:.3f}")
    assert "outside [0.0" in _errors(text, sol)


def test_it_rejects_a_ride_longer_than_the_limit(good):
    r, pos = _route_of(good, 3)
    assert "ride time" in _errors(_header(TEXT, L=1), good)


def test_it_rejects_a_route_longer_than_the_duration_limit(good):
    assert "route duration" in _errors(_header(TEXT, T=5), good)


def test_it_rejects_a_start_before_the_vehicle_can_arrive(good):
    sol = copy.deepcopy(good)
    r, pos = _route_of(sol, 6)
    r["stops"][pos]["start"] -= 1.0
    assert "before arrival" in _errors(TEXT, sol)


def test_it_rejects_too_many_vehicles(good):
    sol = copy.deepcopy(good)
    sol["routes"] = sol["routes"] + [{"vehicle": 5, "stops": [{"node": 0, "start": 0}, {"node": 7, "start": 0}]}] * 2
    assert "vehicles used" in _errors(TEXT, sol)


def test_it_rejects_a_wrong_cost(good):
    sol = json.loads(json.dumps(good))
    sol["cost"] += 1
    assert "claimed cost" in _errors(TEXT, sol)
