"""The compiled kernels against plain definitions: cheapest feasible insertion by trying every position, regret
insertion by scanning every vehicle for every request, and the relocate descent on the routes it is given."""

import numpy as np
import pytest

from qamqor.transport.dispatch import Plan, Problem, Request, RideRule, Stop, Vehicle, insert_request
from qamqor.transport.dispatch import kernels as kx
from qamqor.transport.dispatch.check import check_routes
from qamqor.transport.dispatch.model import Data, Fixed
from qamqor.transport.dispatch.search import _compile, _repair, _solution, _start_state
from qamqor.transport.dispatch.travel import EuclideanProvider


def _day(seed: int, n: int = 14, vehicles: int = 3) -> Problem:
    """A random day over few places (so stops share places and insertion costs tie), tight and loose windows, ride
    limits by the rule and absolute, seats and wheelchair places."""
    rng = np.random.default_rng(seed)
    places = rng.uniform(-8, 8, (6 + n // 2, 2))
    times, costs = EuclideanProvider(speed=0.5).matrices([tuple(p) for p in places])
    requests = []
    for i in range(n):
        a, b = rng.choice(len(places), 2, replace=False)
        at = float(rng.uniform(40, 400))
        window = (at, at + float(rng.choice([5, 15, 30])))
        on_pickup = rng.random() < 0.5
        wheel = int(rng.random() < 0.3)
        requests.append(Request(id=f"r{i}", pickup=Stop(int(a), window if on_pickup else (0, 1440), 2.0),
                                dropoff=Stop(int(b), (0, 1440) if on_pickup else window, 2.0),
                                seats=int(rng.integers(0 if wheel else 1, 3)), wheelchairs=wheel,
                                max_ride=45.0 if rng.random() < 0.2 else None))
    vans = [Vehicle(id=f"v{k}", start=k % 3, end=(k + 1) % 3, shift=(0.0, float(rng.choice([300, 480, 600]))),
                    seats=int(rng.integers(2, 5)), wheelchairs=int(rng.integers(0, 2)),
                    max_duration=float(rng.choice([240, 1e9]))) for k in range(vehicles)]
    return Problem(requests=requests, vehicles=vans, times=times, costs=costs, ride_rule=RideRule(factor=1.5,
                                                                                                  extra=15))


def _state(problem: Problem, routed_share: float, seed: int):
    """The compiled day with about `routed_share` of its requests put in by regret insertion."""
    data, lock, locked, start = _compile(problem, None)
    P = kx.pack(data, lock, locked)
    st = _start_state(data, P, lock, locked, start)
    rng = np.random.default_rng(seed)
    first = np.flatnonzero(rng.random(data.n) < routed_share).astype(np.int64)
    if len(first):
        _repair(st, first, 2, 0.0, 0, P)
    routed = {int(v) % data.n for k in range(data.K) for v in st.R[k, 1:st.lens[k] - 1]}
    return data, P, st, [i for i in range(data.n) if i not in routed]


def _loads_fit(route, data, k) -> bool:
    load = np.zeros(2, np.int64)
    for v in route[1:-1]:
        load += data.q[v]
        if (load > data.cap[k]).any():
            return False
    return True


def _cheapest_by_trying_every_position(i, k, st, data, P):
    """(cost increase, a, b) of the cheapest feasible insertion of request i into route k, the first in position
    order among equal costs; each candidate route is built and scheduled in full."""
    n, loc, cm = data.n, data.loc, data.cm
    r = int(st.lens[k])
    seq = [int(v) for v in st.R[k, :r]]
    if r + 2 > st.R.shape[1] or (data.vset[i] >= 0 and not data.vsets[data.vset[i], k]):
        return kx.INF, -1, -1
    ppos = np.empty(max(n, 1), np.int64)
    B = np.empty(r + 2)
    p, d = loc[i], loc[n + i]
    best = (kx.INF, -1, -1)
    for a in range(r - 1):
        for b in range(a, r - 1):
            route = seq[:a + 1] + [i] + seq[a + 1:b + 1] + [n + i] + seq[b + 1:]
            if not _loads_fit(route, data, k) or not kx.schedule(np.array(route, np.int64), r + 2, k, P, ppos, B):
                continue
            la, la1 = loc[seq[a]], loc[seq[a + 1]]
            if b == a:
                cost = cm[la, p] + cm[p, d] + cm[d, la1] - cm[la, la1]
            else:
                lb, lb1 = loc[seq[b]], loc[seq[b + 1]]
                cost = cm[la, p] + cm[p, la1] - cm[la, la1] + cm[lb, d] + cm[d, lb1] - cm[lb, lb1]
            if cost < best[0]:
                best = (cost, a, b)
    return best


@pytest.mark.parametrize("seed", range(12))
def test_best_insertion_is_the_cheapest_feasible_position_and_the_first_of_equal_ones(seed):
    problem = _day(seed)
    data, P, st, unrouted = _state(problem, 0.7, seed)
    ppos = np.empty(data.n, np.int64)
    cand, Bc = np.empty(st.R.shape[1] + 2, np.int64), np.empty(st.R.shape[1] + 2)
    work = kx.workspace(st.R.shape[1])
    found = 0
    for i in unrouted:
        for k in range(data.K):
            got = kx.best_insertion(i, k, st.R, st.lens, st.Bt, st.Zt, st.ld, P, ppos, cand, Bc, *work)
            want = _cheapest_by_trying_every_position(i, k, st, data, P)
            assert (got[1], got[2]) == (want[1], want[2]), (i, k)
            assert got[0] == pytest.approx(want[0], abs=1e-9) or got[0] == want[0] == kx.INF
            found += got[1] >= 0
    assert found  # some insertions were possible, so positions were compared


def _regret_by_scanning_every_vehicle(pending, kreg, st, P):
    """Regret-k (greedy for kreg 1) insertion as defined: each step scans every pending request over every vehicle;
    returns the requests left out."""
    n, K, W = P[0], len(st.lens), st.R.shape[1]
    ppos, cand, Bc = np.empty(max(n, 1), np.int64), np.empty(W + 2, np.int64), np.empty(W + 2)
    work = kx.workspace(W)

    def cost(i, k):
        return kx.best_insertion(i, k, st.R, st.lens, st.Bt, st.Zt, st.ld, P, ppos, cand, Bc, *work)

    table = {i: [cost(i, k) for k in range(K)] for i in pending}
    while table:
        pick = None
        for i, row in table.items():  # in the order of `pending`
            costs = [c for c, _a, _b in row]
            cbest = min(costs)
            if cbest >= kx.INF:
                continue
            kb = costs.index(cbest)
            if kreg <= 1:
                val = -cbest
            else:
                small = sorted(costs)[:kreg]
                val = 0.0
                for h in range(1, kreg):
                    val += min(small[h], kx.BIG) - cbest
            if pick is None or val > pick[0] or (val == pick[0] and cbest < pick[1]):
                pick = (val, cbest, i, kb)
        if pick is None:
            break
        _val, _c, i, k = pick
        _cost, a, b = table.pop(i)[k]
        kx.insert_at(i, k, a, b, st.R, st.lens, n)
        kx.route_state(k, st.R, st.lens, st.Bt, st.Zt, st.ld, P, ppos)
        for j in table:
            table[j][k] = cost(j, k)
    return sorted(table)


@pytest.mark.parametrize("kreg", [1, 2, 3])
@pytest.mark.parametrize("seed", range(6))
def test_regret_insertion_puts_requests_where_the_plain_definition_does(seed, kreg):
    problem = _day(100 + seed, n=22, vehicles=4)
    data, P, st, unrouted = _state(problem, 0.3, seed)
    plain = st.copy()
    plain_left = _regret_by_scanning_every_vehicle(list(unrouted), kreg, plain, P)
    ours = st.copy()
    pending = np.array(unrouted, np.int64)
    left = kx.repair(pending, len(pending), kreg, 0.0, 0, ours.R, ours.lens, ours.Bt, ours.Zt, ours.ld, P)
    assert sorted(pending[:left].tolist()) == plain_left
    assert len(plain_left) < len(unrouted)
    for k in range(data.K):
        assert ours.R[k, :ours.lens[k]].tolist() == plain.R[k, :plain.lens[k]].tolist()


def _two_depots():
    """Depot A at the origin, depot B 20 km east with three rides around it; the first is on A's van."""
    points = [(0, 0), (20, 0), (19, 1), (21, 1), (20, 2), (19, -1), (21, -2), (20, -1)]
    times, costs = EuclideanProvider(speed=1.0).matrices(points)
    requests = [Request(id=f"r{i}", pickup=Stop(2 + i, (0, 600)), dropoff=Stop(5 + i, (0, 600))) for i in range(3)]
    vans = [Vehicle(id="A", start=0, end=0, shift=(0, 600)), Vehicle(id="B", start=1, end=1, shift=(0, 600))]
    problem = Problem(requests=requests, vehicles=vans, times=times, costs=costs)
    plan = Plan(routes={"A": [("r0", "pickup"), ("r0", "dropoff")],
                        "B": [("r1", "pickup"), ("r1", "dropoff"), ("r2", "pickup"), ("r2", "dropoff")]})
    data, lock, locked, start = _compile(problem, plan)
    P = kx.pack(data, lock, locked)
    return problem, data, P, _start_state(data, P, lock, locked, start)


def _vehicle_of(st, data, rid):
    i = data.request_index[rid]
    return next(k for k in range(data.K) if i in st.R[k, 1:st.lens[k] - 1])


def test_relocate_descent_moves_a_ride_to_the_van_next_to_it():
    problem, data, P, st = _two_depots()
    before = st.cost(P)
    st.dirty[:] = True
    moves = kx.relocate_descent(0, st.R, st.lens, st.Bt, st.Zt, st.ld, P, st.dirty, 100)
    assert moves >= 1
    assert _vehicle_of(st, data, "r0") == 1
    assert st.cost(P) < before - 30  # A's 40 km round trip is gone
    assert not st.dirty.any()
    sol = _solution(data, st, 0, 0.0, 0)
    assert check_routes(problem, sol.stops(), sol.unserved)[0] == []


def test_relocate_descent_tries_only_the_routes_marked_changed_and_stops_at_its_limit():
    _problem, data, P, st = _two_depots()
    # only B changed: its rides are tried (and may be reordered on B), A's ride is not
    st.dirty[:] = [False, True]
    kx.relocate_descent(0, st.R, st.lens, st.Bt, st.Zt, st.ld, P, st.dirty, 100)
    assert [_vehicle_of(st, data, rid) for rid in ("r0", "r1", "r2")] == [0, 1, 1]
    assert not st.dirty.any()
    # A changed, but the descent may try nothing: A stays marked for a later descent
    st.dirty[:] = [True, False]
    assert kx.relocate_descent(0, st.R, st.lens, st.Bt, st.Zt, st.ld, P, st.dirty, 0) == 0
    assert st.dirty.tolist() == [True, False]
    assert kx.relocate_descent(0, st.R, st.lens, st.Bt, st.Zt, st.ld, P, st.dirty, 1) == 1
    assert _vehicle_of(st, data, "r0") == 1


def test_a_candidate_marks_dirty_only_the_routes_whose_stops_changed():
    _problem, data, P, st = _two_depots()
    st.dirty[:] = False
    i = data.request_index["r1"]
    mask = np.zeros(data.n, np.bool_)
    same = st.copy()  # r1 out of B and back: put where it was, B's stops are as before
    mask[i] = True
    kx.remove_requests(mask, same.R, same.lens, same.Bt, same.Zt, same.ld, P)
    kx.insert_at(i, 1, 0, 0, same.R, same.lens, data.n)  # B was r1 pickup, r1 drop-off, r2 pickup, r2 drop-off
    same.mark_changed(st)
    assert same.R[1, :same.lens[1]].tolist() == st.R[1, :st.lens[1]].tolist()
    assert not same.dirty.any()
    moved = st.copy()  # r0 out of A, back where it is cheapest: on B
    mask[:] = False
    mask[data.request_index["r0"]] = True
    kx.remove_requests(mask, moved.R, moved.lens, moved.Bt, moved.Zt, moved.ld, P)
    _repair(moved, np.array([data.request_index["r0"]], np.int64), 1, 0.0, 0, P)
    moved.mark_changed(st)
    assert moved.dirty.tolist() == [True, True]
    assert not st.dirty.any()


def test_compiling_a_day_refuses_negative_times_and_places_outside_the_matrices():
    times = np.array([[0.0, 5.0], [-1.0, 0.0]])
    one = [Request(id="r", pickup=Stop(0), dropoff=Stop(1))]
    van = [Vehicle(id="v", start=0, end=0)]
    with pytest.raises(ValueError, match="must not be negative"):
        insert_request(Problem(requests=one, vehicles=van, times=times, costs=times), Plan(routes={}))
    times = np.array([[0.0, 5.0], [5.0, 0.0]])
    with pytest.raises(ValueError, match="must index the travel matrices"):
        Data(Problem(requests=[Request(id="r", pickup=Stop(0), dropoff=Stop(2))], vehicles=van, times=times,
                     costs=times))
    with pytest.raises(ValueError, match="must index the travel matrices"):
        Data(Problem(requests=one, vehicles=[Vehicle(id="v", start=0, end=7)], times=times, costs=times))
    with pytest.raises(ValueError, match="Service times must not be negative"):
        Data(Problem(requests=[Request(id="r", pickup=Stop(0, service=-2.0), dropoff=Stop(1))], vehicles=van,
                     times=times, costs=times))


def test_a_compiled_day_holds_each_stop_and_vehicle_at_its_node():
    times = np.array([[0.0, 10.0, 20.0], [10.0, 0.0, 12.0], [20.0, 12.0, 0.0]], dtype=np.float32)
    requests = [Request(id="a", pickup=Stop(1, (30, 50), 2.0), dropoff=Stop(2, (0, 200), 6.0), seats=2),
                Request(id="b", pickup=Stop(2, (0, 300)), dropoff=Stop(1, (100, 130)), seats=0, wheelchairs=1,
                        max_ride=25.0)]
    vans = [Vehicle(id="v", start=0, end=1, shift=(20, 400), seats=3, wheelchairs=1, max_duration=300)]
    data = Data(Problem(requests=requests, vehicles=vans, times=times, costs=times), capacity=3, now=60.0,
                fixed=[Fixed("b", "pickup", 90.0)])
    n = 3  # slots: a, b, one free
    assert data.loc.tolist() == [1, 2, 0, 2, 1, 0, 0, 1]
    assert data.e.tolist() == [60, 90, 0, 60, 100, 0, 60, 20]  # now for a and the van's start; the fixed pickup
    assert data.l.tolist() == [50, 90, 1e9, 200, 130, 1e9, 400, 400]
    assert data.d.tolist() == [2, 0, 0, 6, 0, 0, 0, 0]
    assert data.q.tolist() == [[2, 0], [0, 1], [0, 0], [-2, 0], [0, -1], [0, 0], [0, 0], [0, 0]]
    assert data.maxride.tolist()[:2] == [42.0, 25.0]  # max(2 × 12, 12 + 30) by the default rule; b's own
    assert data.cap.tolist() == [[3, 1]] and data.maxdur.tolist() == [300]
    assert data.n == n
