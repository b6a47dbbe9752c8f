"""The allocation engine's plain-data inputs and their checks (no Django).

Ids, households, items, regions and categories are strings or integers, compared as given (the Django layer passes
primary keys or codes). Quantities are whole units. A priority is a finite number >= 0; it is read as the decimal it
was written as (0.1 is one tenth, not the binary float nearest to it), which is what makes the optimum exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from numbers import Real
from typing import Any, Iterable

Key = str | int


@dataclass(frozen=True, slots=True)
class Need:
    """A household's request for `quantity` units of `item` in `region`."""

    id: Key
    household: Key
    item: Key
    quantity: int
    region: Key
    priority: int | float | Decimal | Fraction
    categories: tuple[Key, ...] = ()


@dataclass(frozen=True, slots=True)
class Lot:
    """`quantity` units of `item` offered in `region`; `restricted_to` empty means anyone may receive them."""

    id: Key
    item: Key
    quantity: int
    region: Key
    restricted_to: tuple[Key, ...] = ()


@dataclass(frozen=True, slots=True)
class Lock:
    """The coordinator's decision that `lot` gives exactly `quantity` units to `need` (0 forbids the pair)."""

    need: Key
    lot: Key
    quantity: int


@dataclass(slots=True)
class Instance:
    """A campaign to allocate: needs, lots, whether lots may cross regions, and the coordinator's locks/exclusions."""

    needs: list[Need]
    lots: list[Lot]
    cross_region: bool = False
    locks: list[Lock] = field(default_factory=list)
    excluded_needs: frozenset = frozenset()
    excluded_lots: frozenset = frozenset()


class InvalidInstance(ValueError):
    """Bad input: `errors` lists every problem as "needs[12].quantity: must be a whole number ≥ 0"."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        shown = errors[:20]
        more = f"\n... and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__("\n".join(shown) + more)


def exact(priority) -> Fraction:
    """The exact rational value of a priority: a float counts as the shortest decimal that prints as it."""
    if isinstance(priority, float):
        return Fraction(repr(priority))
    return Fraction(priority)


def compatible(need: Need, lot: Lot, cross_region: bool) -> bool:
    """Whether `lot` may serve `need`: same item, same region unless cross_region, restriction empty or shared."""
    return (lot.item == need.item and (cross_region or lot.region == need.region)
            and (not lot.restricted_to or not set(lot.restricted_to).isdisjoint(need.categories)))


# -- reading the file format -------------------------------------------------------------------------------------

_WHOLE = "must be a whole number ≥ 0"
_KEY = "must be a string or an integer"


def _whole(value) -> int | None:
    if type(value) is int:
        return value if value >= 0 else None
    if isinstance(value, (float, Decimal)) and not isinstance(value, bool) and math.isfinite(value) \
            and value == int(value) and value >= 0:
        return int(value)
    return None


def _is_key(value) -> bool:
    return type(value) is str or type(value) is int


def _priority_ok(value) -> bool:
    if isinstance(value, bool) or not isinstance(value, (Real, Decimal)):
        return False
    if isinstance(value, (float, Decimal)) and not math.isfinite(value):
        return False
    return value >= 0


def _keys(value, where: str, errors: list[str]) -> tuple:
    if not isinstance(value, list):
        errors.append(f"{where}: must be a list of strings or integers")
        return ()
    for j, v in enumerate(value):
        if not _is_key(v):
            errors.append(f"{where}[{j}]: {_KEY}")
    return tuple(value)


NEED_FIELDS = ("id", "household", "item", "quantity", "region", "priority", "categories")
LOT_FIELDS = ("id", "item", "quantity", "region", "restricted_to")


def parse_instance(data: Any) -> Instance:
    """Check a decoded allocation file and turn it into an Instance; raise InvalidInstance listing every problem."""
    errors: list[str] = []
    if not isinstance(data, dict):
        raise InvalidInstance(["the file must hold a JSON object with \"needs\" and \"lots\""])
    for name in ("needs", "lots"):
        if name not in data:
            errors.append(f"{name}: is required (a list, possibly empty)")
        elif not isinstance(data[name], list):
            errors.append(f"{name}: must be a list")
    cross_region = data.get("cross_region", False)
    if type(cross_region) is not bool:
        errors.append("cross_region: must be true or false")
    if errors:
        raise InvalidInstance(errors)

    needs: list[Need] = []
    seen: set = set()
    for i, rec in enumerate(data["needs"]):
        where = f"needs[{i}]"
        if not isinstance(rec, dict):
            errors.append(f"{where}: must be an object with {', '.join(NEED_FIELDS)}")
            continue
        missing = [f for f in NEED_FIELDS if f not in rec]
        if missing:
            errors.extend(f"{where}.{f}: is required" for f in missing)
            continue
        n_errors = len(errors)
        nid, household, item, region = rec["id"], rec["household"], rec["item"], rec["region"]
        for name, value in (("id", nid), ("household", household), ("item", item), ("region", region)):
            if not _is_key(value):
                errors.append(f"{where}.{name}: {_KEY}")
        quantity = _whole(rec["quantity"])
        if quantity is None:
            errors.append(f"{where}.quantity: {_WHOLE}")
        priority = rec["priority"]
        if not _priority_ok(priority):
            errors.append(f"{where}.priority: must be a finite number ≥ 0")
        categories = _keys(rec["categories"], f"{where}.categories", errors)
        if _is_key(nid):
            if nid in seen:
                errors.append(f"{where}.id: {nid!r} is used by an earlier need; ids must be unique")
            seen.add(nid)
        if len(errors) == n_errors:
            needs.append(Need(nid, household, item, quantity, region, priority, categories))

    lots: list[Lot] = []
    seen = set()
    for i, rec in enumerate(data["lots"]):
        where = f"lots[{i}]"
        if not isinstance(rec, dict):
            errors.append(f"{where}: must be an object with {', '.join(LOT_FIELDS)}")
            continue
        missing = [f for f in LOT_FIELDS if f not in rec]
        if missing:
            errors.extend(f"{where}.{f}: is required" for f in missing)
            continue
        n_errors = len(errors)
        lid, item, region = rec["id"], rec["item"], rec["region"]
        for name, value in (("id", lid), ("item", item), ("region", region)):
            if not _is_key(value):
                errors.append(f"{where}.{name}: {_KEY}")
        quantity = _whole(rec["quantity"])
        if quantity is None:
            errors.append(f"{where}.quantity: {_WHOLE}")
        restricted = _keys(rec["restricted_to"], f"{where}.restricted_to", errors)
        if _is_key(lid):
            if lid in seen:
                errors.append(f"{where}.id: {lid!r} is used by an earlier lot; ids must be unique")
            seen.add(lid)
        if len(errors) == n_errors:
            lots.append(Lot(lid, item, quantity, region, restricted))

    locks: list[Lock] = []
    raw_locks = data.get("locks", [])
    if not isinstance(raw_locks, list):
        errors.append("locks: must be a list of {\"need\", \"lot\", \"quantity\"}")
        raw_locks = []
    for i, rec in enumerate(raw_locks):
        where = f"locks[{i}]"
        if not isinstance(rec, dict) or any(f not in rec for f in ("need", "lot", "quantity")):
            errors.append(f"{where}: must be an object with need, lot and quantity")
            continue
        quantity = _whole(rec["quantity"])
        bad = [f"{where}.{f}: {_KEY}" for f in ("need", "lot") if not _is_key(rec[f])]
        if quantity is None:
            bad.append(f"{where}.quantity: {_WHOLE}")
        errors.extend(bad)
        if not bad:
            locks.append(Lock(rec["need"], rec["lot"], quantity))
    excluded = {}
    for name in ("excluded_needs", "excluded_lots"):
        value = data.get(name, [])
        excluded[name] = frozenset(_keys(value, name, errors))
    if errors:
        raise InvalidInstance(errors)
    instance = Instance(needs, lots, cross_region, locks, excluded["excluded_needs"], excluded["excluded_lots"])
    check_instance(instance)
    return instance


def check_instance(instance: Instance) -> None:
    """Check what involves several records (locks, exclusions); raise InvalidInstance listing every problem."""
    errors: list[str] = []
    need_ids = {n.id: n for n in instance.needs}
    lot_ids = {lot.id: lot for lot in instance.lots}
    if len(need_ids) != len(instance.needs):
        errors.append("needs: ids must be unique")
    if len(lot_ids) != len(instance.lots):
        errors.append("lots: ids must be unique")
    for name, ids, known in (("excluded_needs", instance.excluded_needs, need_ids),
                             ("excluded_lots", instance.excluded_lots, lot_ids)):
        for key in sorted(ids - known.keys(), key=repr):
            errors.append(f"{name}: {key!r} is not the id of any {name[9:-1]}")
    pairs: set = set()
    for i, lock in enumerate(instance.locks):
        where = f"locks[{i}]"
        need, lot = need_ids.get(lock.need), lot_ids.get(lock.lot)
        if need is None:
            errors.append(f"{where}.need: {lock.need!r} is not the id of any need")
        if lot is None:
            errors.append(f"{where}.lot: {lock.lot!r} is not the id of any lot")
        if need is None or lot is None:
            continue
        if (lock.need, lock.lot) in pairs:
            errors.append(f"{where}: the pair need {lock.need!r}, lot {lock.lot!r} is locked twice")
        pairs.add((lock.need, lock.lot))
        if lock.need in instance.excluded_needs:
            errors.append(f"{where}.need: need {lock.need!r} is excluded; unlock it or include it")
        if lock.lot in instance.excluded_lots:
            errors.append(f"{where}.lot: lot {lock.lot!r} is excluded; unlock it or include it")
        if lock.quantity and not compatible(need, lot, instance.cross_region):
            errors.append(f"{where}: lot {lock.lot!r} cannot serve need {lock.need!r} (item, region or "
                          f"restriction differ)")
    if not errors:
        _check_lock_totals(instance, need_ids, lot_ids, errors)
    if errors:
        raise InvalidInstance(errors)


def _check_lock_totals(instance: Instance, need_ids: dict, lot_ids: dict, errors: list[str]) -> None:
    by_need: dict = {}
    by_lot: dict = {}
    by_household: dict = {}
    for lock in instance.locks:
        by_need[lock.need] = by_need.get(lock.need, 0) + lock.quantity
        by_lot[lock.lot] = by_lot.get(lock.lot, 0) + lock.quantity
        need = need_ids[lock.need]
        key = (need.household, need.item)
        by_household[key] = by_household.get(key, 0) + lock.quantity
    for key, total in by_need.items():
        if total > need_ids[key].quantity:
            errors.append(f"locks: need {key!r} is locked to {total} units but asks for {need_ids[key].quantity}")
    for key, total in by_lot.items():
        if total > lot_ids[key].quantity:
            errors.append(f"locks: lot {key!r} is locked to give {total} units but holds {lot_ids[key].quantity}")
    if by_household:
        caps: dict = {}
        for need in instance.needs:
            if need.id in instance.excluded_needs:
                continue
            key = (need.household, need.item)
            if key in by_household and need.quantity > caps.get(key, 0):
                caps[key] = need.quantity
        for (household, item), total in by_household.items():
            if total > caps.get((household, item), 0):
                errors.append(f"locks: household {household!r} is locked to receive {total} units of {item!r}, "
                              f"more than the largest of its needs ({caps.get((household, item), 0)})")


def instance_from_objects(needs: Iterable[Need], lots: Iterable[Lot], *, cross_region: bool = False,
                          locks: Iterable[Lock] = (), excluded_needs: Iterable = (),
                          excluded_lots: Iterable = ()) -> Instance:
    """An Instance from records the caller built (the Django layer); cross-record checks are run."""
    instance = Instance(list(needs), list(lots), cross_region, list(locks), frozenset(excluded_needs),
                        frozenset(excluded_lots))
    check_instance(instance)
    return instance
