"""Compiled inner loops: exact route scheduling, best insertion, repair (greedy and regret-k), removal.

Every function takes the problem as the tuple
P = (n, e, l, d, q, loc, tm, cm, maxride, cap, maxdur, lock, locked, vset, vsets) built by `pack`, and a solution as arrays: R[k, :lens[k]] is the node sequence of vehicle k (start depot first, end
depot last), Bt[k, p] the earliest start of service at position p, Zt[k, p] the latest start at p that keeps the rest
of the route within its time windows, ld[k, p] the load (seats, wheelchairs) on leaving position p.

Schedule feasibility is exact. All constraints of a route are difference constraints between start times
(B_j >= B_i + d_i + t_ij along the route, e_i <= B_i <= l_i, B_drop - B_pick - d_pick <= L_i,
B_end - B_start <= T_k), so the route is feasible if and only if the least solution of the lower-bound constraints
respects every upper bound l_i. `schedule` computes that least solution by Bellman-Ford style passes (a forward pass
along the route, then raising pickups and the start where a ride or the duration is too long, and propagating);
more than r + 1 rounds means a positive cycle, that is no schedule. It plays the role of Cordeau & Laporte's
forward-time-slack scheduling but never declares a feasible route infeasible.
"""

from __future__ import annotations

import numpy as np

from .jit import njit

EPS = 1e-9
INF = 1e30
BIG = 1e6  # regret stand-in for a route where the request does not fit
RIDE_MARGIN = 1e-6  # a ride this much over its limit has no schedule in `schedule`'s tolerance either


def pack(data, lock, locked):
    """The kernel tuple for compiled problem `data` with per-vehicle frozen prefix lengths and locked requests."""
    return (np.int64(data.n), data.e, data.l, data.d, data.q, data.loc, data.tm, data.cm, data.maxride, data.cap,
            data.maxdur, lock, locked, data.vset, data.vsets)


@njit
def schedule(seq, r, k, P, ppos, B):
    """Least start times of route seq[:r] of vehicle k into B; False when no schedule meets every constraint."""
    n, e, l, d = P[0], P[1], P[2], P[3]
    loc, tm, maxride, maxdur = P[5], P[6], P[8], P[10]
    prev = seq[0]
    B[0] = e[prev]
    for p in range(1, r):
        v = seq[p]
        t = B[p - 1] + d[prev] + tm[loc[prev], loc[v]]
        if t < e[v]:
            t = e[v]
        if t > l[v] + EPS:
            return False
        B[p] = t
        prev = v
    for _ in range(r + 2):
        first = r
        for p in range(1, r - 1):
            v = seq[p]
            if v < n:
                ppos[v] = p
            elif v < 2 * n:
                i = v - n
                pp = ppos[i]
                need = B[p] - d[i] - maxride[i]
                if B[pp] < need - EPS:
                    if need > l[i] + EPS:
                        return False
                    B[pp] = need
                    if pp < first:
                        first = pp
        need = B[r - 1] - maxdur[k]
        if B[0] < need - EPS:
            if need > l[seq[0]] + EPS:
                return False
            B[0] = need
            first = 0
        if first == r:
            return True
        for p in range(first + 1, r):
            prev = seq[p - 1]
            v = seq[p]
            t = B[p - 1] + d[prev] + tm[loc[prev], loc[v]]
            if t > B[p]:
                if t > l[v] + EPS:
                    return False
                B[p] = t
    return False


@njit
def alone(i, fits, P):
    """True when some vehicle k with fits[k] can carry request i on its own (start, pickup, drop-off, end)."""
    n = P[0]
    ppos = np.empty(max(n, 1), np.int64)
    seq = np.empty(4, np.int64)
    B = np.empty(4)
    for k in range(fits.shape[0]):
        if fits[k]:
            seq[0], seq[1], seq[2], seq[3] = 2 * n + 2 * k, i, n + i, 2 * n + 2 * k + 1
            if schedule(seq, 4, k, P, ppos, B):
                return True
    return False


@njit
def route_state(k, R, lens, Bt, Zt, ld, P, ppos):
    """Recompute schedule, latest times and loads of route k; False if its schedule is infeasible."""
    e, l, d, q, loc, tm = P[1], P[2], P[3], P[4], P[5], P[6]
    r = lens[k]
    seq = R[k]
    ok = schedule(seq, r, k, P, ppos, Bt[k])
    Zt[k, r - 1] = l[seq[r - 1]]
    for p in range(r - 2, -1, -1):
        v = seq[p]
        z = Zt[k, p + 1] - d[v] - tm[loc[v], loc[seq[p + 1]]]
        Zt[k, p] = z if z < l[v] else l[v]
    ld[k, 0, 0] = 0
    ld[k, 0, 1] = 0
    for p in range(1, r):
        v = seq[p]
        ld[k, p, 0] = ld[k, p - 1, 0] + q[v, 0]
        ld[k, p, 1] = ld[k, p - 1, 1] + q[v, 1]
    return ok


@njit
def _build(seq, r, a, b, pnode, dnode, cand):
    for x in range(a + 1):
        cand[x] = seq[x]
    cand[a + 1] = pnode
    for x in range(a + 1, b + 1):
        cand[x + 1] = seq[x]
    cand[b + 2] = dnode
    for x in range(b + 1, r):
        cand[x + 2] = seq[x]


@njit
def workspace(W):
    """Work arrays for `best_insertion` on routes of width W: candidate costs, pickup and drop-off positions."""
    size = (W * (W + 1)) // 2
    return np.empty(size), np.empty(size, np.int64), np.empty(size, np.int64)


@njit
def best_insertion(i, k, R, lens, Bt, Zt, ld, P, ppos, cand, Bc, cd, ca, cb):
    """Cheapest feasible insertion of request i into route k: (cost increase, a, b), or (INF, -1, -1).

    The pickup goes after position a and the drop-off after position b >= a of the current route. Positions that
    pass the cheap necessary tests (capacity, earliest and latest times, ride time against the latest pickup)
    are sorted by cost increase and the exact schedule test runs in that order until one passes, so the exact
    test runs only on positions cheaper than the answer. `cd`, `ca`, `cb` are work arrays of at least
    W (W + 1) / 2 entries for routes of width W (`workspace`).
    """
    n, e, l, d, q, loc, tm, cm = P[0], P[1], P[2], P[3], P[4], P[5], P[6], P[7]
    maxride, cap, lock = P[8], P[9], P[11]
    r = lens[k]
    seq = R[k]
    pn = i
    dn = n + i
    lp, ld_ = loc[pn], loc[dn]
    c0 = cap[k, 0]
    c1 = cap[k, 1]
    q0 = q[pn, 0]
    q1 = q[pn, 1]
    L = maxride[i]
    if q0 > c0 or q1 > c1 or r + 2 > R.shape[1]:
        return INF, -1, -1
    g = P[13][i]
    if g >= 0 and not P[14][g, k]:
        return INF, -1, -1  # pinned to, or allowed only on, other vehicles
    m = 0
    # Travel and service times are not negative, so Bt and Zt never decrease along the route: the pickup can only go
    # after a position whose next stop may start once the pickup's window opens (binary search), and no later than
    # a position whose own start is past the pickup's window. The margins are wider than the tests' EPS, so no
    # position that would pass them is skipped.
    lo, hi = lock[k] - 1, r - 1
    opens = e[pn] - 2.0 * EPS
    while lo < hi:
        mid = (lo + hi) // 2
        if Zt[k, mid + 1] < opens:
            lo = mid + 1
        else:
            hi = mid
    # (a position that starts after the drop-off's window cannot take the drop-off either)
    closes = (l[pn] if l[pn] < l[dn] else l[dn]) + 2.0 * EPS
    for a in range(lo, r - 1):
        if Bt[k, a] > closes:
            break
        if ld[k, a, 0] + q0 > c0 or ld[k, a, 1] + q1 > c1:
            continue
        sa = seq[a]
        sa1 = seq[a + 1]
        la, la1 = loc[sa], loc[sa1]
        tp = Bt[k, a] + d[sa] + tm[la, lp]
        if tp < e[pn]:
            tp = e[pn]
        if tp > l[pn] + EPS:
            continue
        # drop-off right after the pickup
        td = tp + d[pn] + tm[lp, ld_]
        if td < e[dn]:
            td = e[dn]
        if td <= l[dn] + EPS and td + d[dn] + tm[ld_, la1] <= Zt[k, a + 1] + EPS:
            cd[m] = cm[la, lp] + cm[lp, ld_] + cm[ld_, la1] - cm[la, la1]
            ca[m] = a
            cb[m] = a
            m += 1
        # latest start of the pickup when more stops follow it before the drop-off
        zp = Zt[k, a + 1] - d[pn] - tm[lp, la1]
        if zp > l[pn]:
            zp = l[pn]
        if tp > zp + EPS:
            continue
        dp = cm[la, lp] + cm[lp, la1] - cm[la, la1]
        # Riding through stops a+1..b takes at least the travel and service along them, however long the vehicle
        # waits: past the ride limit no schedule exists, for this drop-off position or any later one.
        path = tm[lp, la1]
        for b in range(a + 1, r - 1):
            if ld[k, b, 0] + q0 > c0 or ld[k, b, 1] + q1 > c1:
                break
            sb = seq[b]
            sb1 = seq[b + 1]
            lb, lb1 = loc[sb], loc[sb1]
            if b > a + 1:
                path += d[seq[b - 1]] + tm[loc[seq[b - 1]], lb]
            if path + d[sb] > L + RIDE_MARGIN:
                break
            if path + d[sb] + tm[lb, ld_] > L + RIDE_MARGIN:
                continue
            tdr = Bt[k, b] + d[sb] + tm[lb, ld_]
            if tdr > l[dn] + EPS:
                break
            if tdr < e[dn]:
                tdr = e[dn]
            if tdr - zp - d[pn] > L + EPS:
                break  # the ride would be too long even with the latest pickup; later drop-offs are later still
            if tdr + d[dn] + tm[ld_, lb1] > Zt[k, b + 1] + EPS:
                continue
            cd[m] = dp + cm[lb, ld_] + cm[ld_, lb1] - cm[lb, lb1]
            ca[m] = a
            cb[m] = b
            m += 1
    if m == 0:
        return INF, -1, -1
    order = np.argsort(cd[:m], kind="mergesort")  # equal costs in the order of their positions
    for x in range(m):
        y = order[x]
        _build(seq, r, ca[y], cb[y], pn, dn, cand)
        if schedule(cand, r + 2, k, P, ppos, Bc):
            return cd[y], ca[y], cb[y]
    return INF, -1, -1


@njit
def insert_at(i, k, a, b, R, lens, n):
    """Put request i into route k: pickup after position a, drop-off after position b (of the route before)."""
    r = lens[k]
    row = R[k]
    for x in range(r - 1, b, -1):
        row[x + 2] = row[x]
    row[b + 2] = n + i
    for x in range(b, a, -1):
        row[x + 1] = row[x]
    row[a + 1] = i
    lens[k] = r + 2


@njit
def _tops(C, ii, K, kk, TOP, KB):
    """The kk smallest values of row ii of C, in order, into TOP[ii], and into KB[ii] the first vehicle with the
    smallest (-1 when the request fits no vehicle)."""
    for h in range(kk):
        TOP[ii, h] = INF
    kb = -1
    for k in range(K):
        c = C[ii, k]
        if c < TOP[ii, kk - 1]:
            h = kk - 1
            while h > 0 and TOP[ii, h - 1] > c:
                TOP[ii, h] = TOP[ii, h - 1]
                h -= 1
            TOP[ii, h] = c
            if h == 0:
                kb = k
    KB[ii] = kb


@njit
def repair(pending, npend, kreg, noise, seed, R, lens, Bt, Zt, ld, P):
    """Insert pending[:npend] one at a time, greedy (kreg <= 1) or by largest regret-k; returns how many are left.

    The requests that fit nowhere are moved to the front of `pending`. `noise` > 0 perturbs each insertion cost by
    up to ±noise (Ropke & Pisinger's randomised insertion), using numba's generator seeded with `seed`.
    Each request keeps its kreg cheapest costs over the vehicles; after an insertion into route k only the requests
    whose cost for k changed and was or becomes one of those are rescanned over every vehicle.
    """
    np.random.seed(seed)
    n = P[0]
    K = lens.shape[0]
    W = R.shape[1]
    kk = kreg if kreg > 1 else 1
    ppos = np.empty(max(n, 1), np.int64)
    cand = np.empty(W + 2, np.int64)
    Bc = np.empty(W + 2)
    cd, ca, cb = workspace(W)
    C = np.full((npend, K), INF)
    A = np.zeros((npend, K), np.int64)
    Bb = np.zeros((npend, K), np.int64)
    TOP = np.empty((npend, kk))
    KB = np.empty(npend, np.int64)
    for ii in range(npend):
        for k in range(K):
            c, a, b = best_insertion(pending[ii], k, R, lens, Bt, Zt, ld, P, ppos, cand, Bc, cd, ca, cb)
            if c < INF and noise > 0.0:
                c = max(0.0, c + noise * (2.0 * np.random.random() - 1.0))
            C[ii, k] = c
            A[ii, k] = a
            Bb[ii, k] = b
        _tops(C, ii, K, kk, TOP, KB)
    active = np.ones(npend, np.bool_)
    left = npend
    while left > 0:
        pick = -1
        pickk = -1
        pickval = -INF
        pickc = INF
        for ii in range(npend):
            if not active[ii]:
                continue
            kb = KB[ii]
            if kb < 0:
                continue
            cbest = TOP[ii, 0]
            if kreg <= 1:
                val = -cbest
            else:
                val = 0.0
                for h in range(1, kreg):
                    val += (TOP[ii, h] if TOP[ii, h] < BIG else BIG) - cbest
            if val > pickval or (val == pickval and cbest < pickc):
                pick, pickk, pickval, pickc = ii, kb, val, cbest
        if pick < 0:
            break
        insert_at(pending[pick], pickk, A[pick, pickk], Bb[pick, pickk], R, lens, n)
        route_state(pickk, R, lens, Bt, Zt, ld, P, ppos)
        active[pick] = False
        left -= 1
        for ii in range(npend):
            if active[ii]:
                c, a, b = best_insertion(pending[ii], pickk, R, lens, Bt, Zt, ld, P, ppos, cand, Bc, cd, ca, cb)
                if c < INF and noise > 0.0:
                    c = max(0.0, c + noise * (2.0 * np.random.random() - 1.0))
                old = C[ii, pickk]
                C[ii, pickk] = c
                A[ii, pickk] = a
                Bb[ii, pickk] = b
                kth = TOP[ii, kk - 1]
                if c != old and (old <= kth or c <= kth):
                    _tops(C, ii, K, kk, TOP, KB)
    m = 0
    for ii in range(npend):
        if active[ii]:
            pending[m] = pending[ii]
            m += 1
    return m


@njit
def remove_requests(mask, R, lens, Bt, Zt, ld, P):
    """Take every unlocked request i with mask[i] out of its route; returns how many were removed.

    A request that stays in its route (locked, or its route would become infeasible without it) gets mask[i]
    cleared, so that the caller never re-inserts a request that is still routed.
    """
    n, locked = P[0], P[12]
    K = lens.shape[0]
    ppos = np.empty(max(n, 1), np.int64)
    backup = np.empty(R.shape[1], np.int64)
    removed = 0
    for k in range(K):
        r = lens[k]
        row = R[k]
        m = 0
        for p in range(r):
            v = row[p]
            backup[p] = v
            if v < 2 * n:
                i = v % n
                if mask[i] and not locked[i]:
                    continue
                if v < n:
                    mask[i] = False
            row[m] = v
            m += 1
        if m < r:
            lens[k] = m
            if not route_state(k, R, lens, Bt, Zt, ld, P, ppos):
                # Without the triangle inequality (road times) a shorter route can be slower; keep it as it was.
                for p in range(r):
                    row[p] = backup[p]
                    if row[p] < n:
                        mask[row[p]] = False
                lens[k] = r
                route_state(k, R, lens, Bt, Zt, ld, P, ppos)
            else:
                removed += (r - m) // 2
    return removed


@njit
def route_costs(R, lens, P):
    """Travel cost of each route (0 for a vehicle that does not leave its depot)."""
    loc, cm = P[5], P[7]
    K = lens.shape[0]
    out = np.zeros(K)
    for k in range(K):
        r = lens[k]
        if r <= 2:
            continue
        s = 0.0
        for p in range(r - 1):
            s += cm[loc[R[k, p]], loc[R[k, p + 1]]]
        out[k] = s
    return out


@njit
def removal_gains(R, lens, P):
    """Cost saved by taking each routed, unlocked request out of its route (-1 for the others)."""
    n, loc, cm, locked = P[0], P[5], P[7], P[12]
    K = lens.shape[0]
    gain = np.full(max(n, 1), -1.0)
    pos = np.zeros(max(2 * n, 1), np.int64)
    for k in range(K):
        r = lens[k]
        row = R[k]
        for p in range(1, r - 1):
            pos[row[p]] = p
        for p in range(1, r - 1):
            v = row[p]
            if v >= n or locked[v]:
                continue
            pp = p
            dp = pos[n + v]
            a, b = loc[row[pp - 1]], loc[row[pp + 1]]
            x, y = loc[v], loc[n + v]
            if dp == pp + 1:
                c = loc[row[dp + 1]]
                gain[v] = cm[a, x] + cm[x, y] + cm[y, c] - cm[a, c]
            else:
                g = cm[a, x] + cm[x, b] - cm[a, b]
                a2, b2 = loc[row[dp - 1]], loc[row[dp + 1]]
                gain[v] = g + cm[a2, y] + cm[y, b2] - cm[a2, b2]
    return gain


@njit
def all_states(R, lens, Bt, Zt, ld, P):
    """Recompute every route's state; returns the index of the first infeasible route, or -1."""
    n = P[0]
    ppos = np.empty(max(n, 1), np.int64)
    bad = -1
    for k in range(lens.shape[0]):
        if not route_state(k, R, lens, Bt, Zt, ld, P, ppos) and bad < 0:
            bad = k
    return bad


@njit
def choose_removal(kind, q, seed, R, lens, Bt, P, s0, s1, s2):
    """q routed, unlocked requests to take out: kind 0 random, 1 worst (randomised, power 3), 2 Shaw-related
    (distance, time and load to an already chosen request, randomised with power 6)."""
    np.random.seed(seed)
    n, qq, loc, cm, locked = P[0], P[4], P[5], P[7], P[12]
    K = lens.shape[0]
    times = np.zeros(max(2 * n, 1))
    cands = np.empty(max(n, 1), np.int64)
    m = 0
    for k in range(K):
        for p in range(1, lens[k] - 1):
            v = R[k, p]
            times[v] = Bt[k, p]
            if v < n and not locked[v]:
                cands[m] = v
                m += 1
    if q > m:
        q = m
    out = np.empty(q, np.int64)
    if q == 0:
        return out
    cands = cands[:m]
    if kind == 0:
        for x in range(q):
            y = x + np.random.randint(m - x)
            cands[x], cands[y] = cands[y], cands[x]
            out[x] = cands[x]
        return out
    if kind == 1:
        gains = removal_gains(R, lens, P)
        order = cands[np.argsort(-gains[cands], kind="mergesort")]
        size = m
        for x in range(q):
            idx = int(size * np.random.random() ** 3)
            out[x] = order[idx]
            for y in range(idx, size - 1):
                order[y] = order[y + 1]
            size -= 1
        return out
    first = np.random.randint(m)
    out[0] = cands[first]
    alive = np.ones(m, np.bool_)
    alive[first] = False
    rest = np.empty(m, np.int64)
    rel = np.empty(m)
    for x in range(1, q):
        ref = out[np.random.randint(x)]
        cnt = 0
        for y in range(m):
            if alive[y]:
                j = cands[y]
                rest[cnt] = y
                rel[cnt] = (9.0 * (cm[loc[ref], loc[j]] + cm[loc[n + ref], loc[n + j]]) / s0
                            + 3.0 * (abs(times[ref] - times[j]) + abs(times[n + ref] - times[n + j])) / s1
                            + 2.0 * abs(qq[ref, 0] + qq[ref, 1] - qq[j, 0] - qq[j, 1]) / s2)
                cnt += 1
        order = np.argsort(rel[:cnt], kind="mergesort")
        pick = rest[order[int(cnt * np.random.random() ** 6)]]
        out[x] = cands[pick]
        alive[pick] = False
    return out


@njit
def route_cost(k, R, lens, P):
    """Travel cost of route k (0 for a vehicle that does not leave its depot)."""
    loc, cm = P[5], P[7]
    r = lens[k]
    if r <= 2:
        return 0.0
    s = 0.0
    for p in range(r - 1):
        s += cm[loc[R[k, p]], loc[R[k, p + 1]]]
    return s


@njit
def relocate_descent(seed, R, lens, Bt, Zt, ld, P, dirty, limit):
    """Local search: take a request out and put it back at its cheapest place (any vehicle) when that saves cost.

    Only the requests of the routes marked `dirty` (changed since their last descent) are tried, in random order;
    a move makes the two routes it changes dirty again, so their requests are tried (again). At most ten tries per
    request first queued, and at most `limit` tries in all (each tries every vehicle: the bound at city scale).
    Clears `dirty` except for the routes of requests left untried; returns the number of moves.
    """
    np.random.seed(seed)
    n, locked = P[0], P[12]
    K = lens.shape[0]
    W = R.shape[1]
    ppos = np.empty(max(n, 1), np.int64)
    cand = np.empty(W + 2, np.int64)
    Bc = np.empty(W + 2)
    cd, ca, cb = workspace(W)
    route_of = np.full(max(n, 1), -1, np.int64)
    queued = np.zeros(max(n, 1), np.bool_)
    queue = np.empty(max(n, 1), np.int64)  # a ring of at most n requests (each at most once)
    head = 0
    size = 0
    for k in range(K):
        for p in range(1, lens[k] - 1):
            v = R[k, p]
            if v < n:
                route_of[v] = k
                if dirty[k] and not locked[v]:
                    queue[size] = v
                    queued[v] = True
                    size += 1
    np.random.shuffle(queue[:size])
    budget = min(10 * size, limit)
    keep = np.empty(W, np.int64)
    keepB = np.empty(W)
    keepZ = np.empty(W)
    keepL = np.empty((W, 2), np.int64)
    moves = 0
    while size > 0 and budget > 0:
        i = queue[head]
        head = (head + 1) % n
        size -= 1
        queued[i] = False
        budget -= 1
        k = route_of[i]
        if k < 0:
            continue
        r = lens[k]
        before = route_cost(k, R, lens, P)
        m = 0
        for p in range(r):
            v = R[k, p]
            keep[p] = v
            keepB[p] = Bt[k, p]
            keepZ[p] = Zt[k, p]
            keepL[p, 0] = ld[k, p, 0]
            keepL[p, 1] = ld[k, p, 1]
            if v != i and v != n + i:
                R[k, m] = v
                m += 1
        lens[k] = m
        ok = route_state(k, R, lens, Bt, Zt, ld, P, ppos)
        gain = before - route_cost(k, R, lens, P)
        bestc = INF
        bk = -1
        ba = -1
        bb = -1
        if ok:
            for k2 in range(K):
                c, a, b = best_insertion(i, k2, R, lens, Bt, Zt, ld, P, ppos, cand, Bc, cd, ca, cb)
                if c < bestc:
                    bestc, bk, ba, bb = c, k2, a, b
        if bk >= 0 and bestc < gain - 1e-7:
            insert_at(i, bk, ba, bb, R, lens, n)
            route_state(bk, R, lens, Bt, Zt, ld, P, ppos)
            route_of[i] = bk
            moves += 1
            for kk in (k, bk):
                for p in range(1, lens[kk] - 1):
                    v = R[kk, p]
                    if v < n and not locked[v] and not queued[v]:
                        queue[(head + size) % n] = v
                        queued[v] = True
                        size += 1
        else:
            for p in range(r):
                R[k, p] = keep[p]
                Bt[k, p] = keepB[p]
                Zt[k, p] = keepZ[p]
                ld[k, p, 0] = keepL[p, 0]
                ld[k, p, 1] = keepL[p, 1]
            lens[k] = r
    for k in range(K):
        dirty[k] = False
    for x in range(size):
        dirty[route_of[queue[(head + x) % n]]] = True
    return moves
