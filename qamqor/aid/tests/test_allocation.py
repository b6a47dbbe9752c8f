"""The allocation engine against an independent LP (HiGHS on the direct lot × need formulation), on random small
campaigns; and its reasons, locks and exclusions on hand-made ones."""

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from qamqor.aid.allocation import (EXCLUDED, HOUSEHOLD_CAP, LOTS_EXHAUSTED, NO_LOT, NOT_ELIGIBLE, NOTHING_ASKED,
                                   PARTIAL, SERVED, ZERO_PRIORITY, InvalidInstance, Lock, Lot, Need, allocate,
                                   compatible, exact, first_come_first_served, instance_from_objects, parse_instance,
                                   priority)


def lp_optimum(instance) -> float:
    """The optimum of the LP (HiGHS through SciPy): a variable per compatible (need, lot) pair, a row per lot, need
    and household-item. Its matrix is a network matrix, so the LP optimum is the whole-unit optimum."""
    needs = [n for n in instance.needs if n.id not in instance.excluded_needs and n.quantity > 0]
    lots = [lot for lot in instance.lots if lot.id not in instance.excluded_lots]
    locks = {(lk.need, lk.lot): lk.quantity for lk in instance.locks}
    pairs = [(a, b) for a, n in enumerate(needs) for b, lot in enumerate(lots)
             if compatible(n, lot, instance.cross_region) or (n.id, lot.id) in locks]
    if not pairs:
        return 0.0
    households: dict = {}
    for a, n in enumerate(needs):
        cap, members = households.setdefault((n.household, n.item), [0, set()])
        households[(n.household, n.item)][0] = max(cap, n.quantity)
        members.add(a)
    rows = [([k for k, (_, b) in enumerate(pairs) if b == b0], lot.quantity) for b0, lot in enumerate(lots)]
    rows += [([k for k, (a, _) in enumerate(pairs) if a == a0], n.quantity) for a0, n in enumerate(needs)]
    rows += [([k for k, (a, _) in enumerate(pairs) if a in members], cap) for cap, members in households.values()]
    matrix = np.zeros((len(rows), len(pairs)))
    for r, (cols, _) in enumerate(rows):
        matrix[r, cols] = 1
    values = [-float(exact(needs[a].priority) / needs[a].quantity) for a, _ in pairs]
    bounds = [(locks[key], locks[key]) if (key := (needs[a].id, lots[b].id)) in locks else (0, None)
              for a, b in pairs]
    result = linprog(values, A_ub=matrix, b_ub=[bound for _, bound in rows], bounds=bounds, method="highs")
    assert result.status == 0, result.message
    return -result.fun


def check_feasible(instance, result):
    """Every assignment compatible and locked pairs as locked; no lot, need or household over its quantity."""
    needs = {n.id: n for n in instance.needs}
    lots = {lot.id: lot for lot in instance.lots}
    locks = {(lk.need, lk.lot): lk.quantity for lk in instance.locks}
    given: dict = {}
    got: dict = {}
    household: dict = {}
    pairs: dict = {}
    for need_id, lot_id, units in result.assignments:
        need, lot = needs[need_id], lots[lot_id]
        assert units > 0
        assert need_id not in instance.excluded_needs and lot_id not in instance.excluded_lots
        assert compatible(need, lot, instance.cross_region) or locks.get((need_id, lot_id))
        given[lot_id] = given.get(lot_id, 0) + units
        got[need_id] = got.get(need_id, 0) + units
        key = (need.household, need.item)
        household[key] = household.get(key, 0) + units
        pairs[(need_id, lot_id)] = pairs.get((need_id, lot_id), 0) + units
    for lot_id, units in given.items():
        assert units <= lots[lot_id].quantity
    for need_id, units in got.items():
        assert units <= needs[need_id].quantity
    for (hh, item), units in household.items():
        assert units <= max(n.quantity for n in instance.needs
                            if (n.household, n.item) == (hh, item) and n.id not in instance.excluded_needs)
    for pair, units in locks.items():
        assert pairs.get(pair, 0) == units
    assert [got.get(n.id, 0) for n in instance.needs] == result.served
    value = sum((exact(needs[n].priority) / needs[n].quantity * u for n, _, u in result.assignments), Fraction(0))
    assert value == result.objective_exact


PRIORITIES = st.one_of(st.integers(0, 9), st.decimals(0, 20, places=2),
                       st.floats(0, 20, allow_nan=False, allow_infinity=False).map(lambda x: round(x, 3)),
                       st.fractions(0, 10, max_denominator=7))


@st.composite
def campaigns(draw):
    categories = st.lists(st.sampled_from(["disabled", "large", "health"]), max_size=2, unique=True)
    needs = [Need(f"n{i}", draw(st.sampled_from("ABCDE")), draw(st.sampled_from("xy")), draw(st.integers(0, 5)),
                  draw(st.sampled_from(["r1", "r2"])), draw(PRIORITIES), tuple(draw(categories)))
             for i in range(draw(st.integers(1, 10)))]
    lots = [Lot(f"l{j}", draw(st.sampled_from("xxyyz")), draw(st.integers(0, 6)), draw(st.sampled_from(["r1", "r2"])),
                tuple(draw(st.one_of(st.just([]), categories))))
            for j in range(draw(st.integers(1, 6)))]
    cross = draw(st.booleans())
    excluded_needs = draw(st.sets(st.sampled_from([n.id for n in needs]), max_size=1))
    excluded_lots = draw(st.sets(st.sampled_from([lot.id for lot in lots]), max_size=1))
    # A few locks that the checks accept: compatible pairs, within every quantity.
    pairs = [(n, lot) for n in needs for lot in lots if compatible(n, lot, cross)
             and n.id not in excluded_needs and lot.id not in excluded_lots]
    locks = []
    if pairs:
        for n, lot in draw(st.lists(st.sampled_from(pairs), max_size=3, unique=True)):
            candidate = locks + [Lock(n.id, lot.id, draw(st.integers(0, 2)))]
            try:
                instance_from_objects(needs, lots, cross_region=cross, locks=candidate,
                                      excluded_needs=excluded_needs, excluded_lots=excluded_lots)
            except InvalidInstance:
                continue
            locks = candidate
    return instance_from_objects(needs, lots, cross_region=cross, locks=locks, excluded_needs=excluded_needs,
                                 excluded_lots=excluded_lots)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(campaigns())
def test_it_matches_an_independent_lp(instance):
    result = allocate(instance)
    assert result.optimal
    check_feasible(instance, result)
    assert result.objective == pytest.approx(lp_optimum(instance), rel=1e-6, abs=1e-9)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(campaigns())
def test_it_proves_optimality_when_costs_must_be_scaled(instance):
    # A tiny cost limit forces scaled, rounded costs, whose flow is then proven optimal (or repaired) exactly.
    result = allocate(instance, exact_cost_limit=7)
    assert result.optimal
    check_feasible(instance, result)
    assert result.objective_exact == allocate(instance).objective_exact


def need(nid, household, quantity, priority=1, item="food", region="r1", categories=()):
    return Need(nid, household, item, quantity, region, priority, tuple(categories))


def lot(lid, quantity, item="food", region="r1", restricted_to=()):
    return Lot(lid, item, quantity, region, tuple(restricted_to))


def test_it_gives_each_need_its_reason():
    needs = [need("full", "h1", 2, priority=9),
             need("part", "h2", 3, priority=6),
             need("starved", "h3", 1, priority=1),
             need("cap", "h4", 1, priority=5), need("cap-other", "h4", 1, priority=1),
             need("elsewhere", "h5", 1, region="r2"),
             need("meat", "h6", 1, item="meat"),
             need("zero", "h7", 0),
             need("out", "h8", 1, priority=100),
             need("nobody", "h9", 1, priority=0, item="tea")]
    lots = [lot("bread", 5), lot("veterans-meat", 5, item="meat", restricted_to=["veteran"]),
            lot("tea", 1, item="tea")]
    result = allocate(instance_from_objects(needs, lots, excluded_needs=["out"]))
    reasons = dict(zip(result.need_ids, result.reasons))
    assert reasons == {"full": SERVED, "part": PARTIAL, "starved": LOTS_EXHAUSTED, "cap": SERVED,
                       "cap-other": HOUSEHOLD_CAP, "elsewhere": NO_LOT, "meat": NOT_ELIGIBLE, "zero": NOTHING_ASKED,
                       "out": EXCLUDED, "nobody": reasons["nobody"]}
    # A need of priority zero adds nothing; whether it gets the spare tea is the solver's free choice.
    assert reasons["nobody"] in (SERVED, ZERO_PRIORITY)
    assert result.served_units("part") == 2 and result.partial_causes == {"part": LOTS_EXHAUSTED}
    assert result.objective_exact == 9 + 5 + Fraction(6 * 2, 3)


def test_a_partial_need_names_the_household_cap():
    result = allocate(instance_from_objects([need("big", "h1", 1, priority=9), need("small", "h1", 2, priority=1)],
                                            [lot("bread", 5)]))
    assert result.served == [1, 1]
    assert result.reasons == [SERVED, PARTIAL] and result.partial_causes == {"small": HOUSEHOLD_CAP}


def test_locks_are_kept_exactly_and_zero_forbids_a_pair():
    needs = [need("a", "h1", 2, priority=1), need("b", "h2", 2, priority=10)]
    lots = [lot("l1", 2), lot("l2", 2)]
    free = allocate(instance_from_objects(needs, lots))
    assert free.objective_exact == 1 + 10
    forced = allocate(instance_from_objects(needs, lots, locks=[Lock("a", "l1", 1), Lock("b", "l2", 0)]))
    pairs = {(n, lt): u for n, lt, u in forced.assignments}
    assert pairs[("a", "l1")] == 1 and ("b", "l2") not in pairs
    # b may still take l1's other unit; l2 goes to a, which cannot take more than 2.
    assert pairs == {("a", "l1"): 1, ("b", "l1"): 1, ("a", "l2"): 1}
    assert forced.optimal and forced.objective_exact == Fraction(1) + Fraction(10, 2)


def test_excluded_lots_give_nothing():
    result = allocate(instance_from_objects([need("a", "h1", 2)], [lot("l1", 2), lot("l2", 2)],
                                            excluded_lots=["l1"]))
    assert result.assignments == [("a", "l2", 2)]
    assert result.lots_left == {"l1": 0, "l2": 0}


def test_restricted_lots_reach_only_their_categories_and_cross_regions_when_allowed():
    needs = [need("vet", "h1", 1, priority=1, categories=["veteran"], region="r2"), need("other", "h2", 1, priority=5)]
    lots = [lot("for-veterans", 2, restricted_to=["veteran", "disabled"])]
    assert allocate(instance_from_objects(needs, lots)).assignments == []
    result = allocate(instance_from_objects(needs, lots, cross_region=True))
    assert result.assignments == [("vet", "for-veterans", 1)]


def test_the_priority_rises_with_waiting_and_vulnerability():
    assert priority(1, 1, None) > priority(0.5, 1, None) > priority(0, 0, 0) == 1.0
    assert priority(0.5, 0.5, 400) > priority(0.5, 0.5, 30) > priority(0.5, 0.5, 0)
    assert priority(0.5, 0.5, 90) == round(1 + 2.5 + 1.5 + 1.0, 2)
    # Waiting alone never overtakes a much more vulnerable household.
    assert priority(0.1, 0.5, 10_000) < priority(0.9, 0.5, 0)


@pytest.mark.parametrize("field, value, message", [
    ("quantity", -1, "needs[1].quantity: must be a whole number ≥ 0"),
    ("quantity", 1.5, "needs[1].quantity: must be a whole number ≥ 0"),
    ("priority", float("inf"), "needs[1].priority: must be a finite number ≥ 0"),
    ("priority", -0.5, "needs[1].priority: must be a finite number ≥ 0"),
    ("priority", "high", "needs[1].priority: must be a finite number ≥ 0"),
    ("id", "n0", "needs[1].id: 'n0' is used by an earlier need; ids must be unique"),
    ("categories", "veteran", "needs[1].categories: must be a list of strings or integers"),
])
def test_bad_records_are_named(field, value, message):
    data = {"needs": [{"id": f"n{i}", "household": "h", "item": "x", "quantity": 1, "region": "r", "priority": 1,
                       "categories": []} for i in range(2)],
            "lots": [{"id": "l", "item": "x", "quantity": 1, "region": "r", "restricted_to": []}]}
    data["needs"][1][field] = value
    with pytest.raises(InvalidInstance) as caught:
        parse_instance(data)
    assert message in caught.value.errors


def test_bad_locks_are_named():
    data = {"needs": [{"id": "n", "household": "h", "item": "x", "quantity": 1, "region": "r", "priority": 1,
                       "categories": []}],
            "lots": [{"id": "l", "item": "x", "quantity": 1, "region": "r", "restricted_to": []},
                     {"id": "m", "item": "y", "quantity": 1, "region": "r", "restricted_to": []}],
            "locks": [{"need": "n", "lot": "l", "quantity": 2}, {"need": "n", "lot": "m", "quantity": 1},
                      {"need": "nobody", "lot": "l", "quantity": 1}]}
    with pytest.raises(InvalidInstance) as caught:
        parse_instance(data)
    assert caught.value.errors == ["locks[1]: lot 'm' cannot serve need 'n' (item, region or restriction differ)",
                                   "locks[2].need: 'nobody' is not the id of any need"]


def test_decimal_priorities_are_exact():
    result = allocate(instance_from_objects([need("a", "h1", 3, priority=Decimal("0.10")),
                                             need("b", "h2", 7, priority=0.1)], [lot("l", 10)]))
    assert result.objective_exact == Fraction(2, 10)


def test_first_come_first_served_takes_needs_in_order():
    needs = [need("early", "h1", 2, priority=1), need("late", "h2", 2, priority=9)]
    assert first_come_first_served(instance_from_objects(needs, [lot("l", 3)])) == [("early", "l", 2), ("late", "l", 1)]


def test_forked_workers_find_the_same_optimum():
    import random

    rng = random.Random(7)
    needs = [need(i, rng.randrange(300), rng.randint(1, 4), priority=round(rng.uniform(1, 10), 2),
                  item=rng.choice("abc"), region=rng.choice(["r1", "r2", "r3"]),
                  categories=rng.sample(["disabled", "large"], rng.randint(0, 1))) for i in range(1500)]
    lots = [lot(f"l{j}", rng.randint(1, 20), item=rng.choice("abc"), region=rng.choice(["r1", "r2", "r3"]),
                restricted_to=rng.sample(["disabled", "large"], rng.choice([0, 0, 1]))) for j in range(60)]
    instance = instance_from_objects(needs, lots, locks=[Lock(needs[0].id, lots[0].id, 0)])
    alone, forked = allocate(instance), allocate(instance, workers=2)
    assert forked.optimal and forked.objective_exact == alone.objective_exact
    assert forked.reasons == alone.reasons or sum(forked.served) == sum(alone.served)
    check_feasible(instance, forked)
