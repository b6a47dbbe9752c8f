"""Reads of special social services: entitlements, a contract's terms and consumption with its warning level, the
next free slot, schedules, utilisation, burn-down, customer totals and the booked/delivered/billed reconciliation.

Times are stored in UTC and read in the local time zone (settings.TIME_ZONE, Asia/Almaty): working hours, months of
acts and days of schedules are local."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, F, OuterRef, Prefetch, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from . import eligibility
from .models import (Act, ActLine, Booking, Contract, ContractAmendment, DeliveryRecord, EligibilityRule,
                     ProviderStaff, ServiceType, WorkingHours)

ZERO = Decimal("0")
WARNING_AT = Decimal("0.80")
SLOT_STEP = dt.timedelta(minutes=15)
SLOT_SEARCH_DAYS = 14
_DEC = DecimalField(max_digits=14, decimal_places=2)


# --- Time helpers ----------------------------------------------------------------------------------------------------

def local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment)


def at(day: dt.date, time: dt.time) -> dt.datetime:
    """An aware moment from a local date and time."""
    return timezone.make_aware(dt.datetime.combine(day, time))


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def month_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    first = month_start(day)
    return at(first, dt.time()), at(next_month(first), dt.time())


def year_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return at(dt.date(day.year, 1, 1), dt.time()), at(dt.date(day.year + 1, 1, 1), dt.time())


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return at(day, dt.time()), at(day + dt.timedelta(days=1), dt.time())


def ceil_to_step(moment: dt.datetime, step: dt.timedelta = SLOT_STEP) -> dt.datetime:
    moment = local(moment).replace(microsecond=0)
    midnight = moment.replace(hour=0, minute=0, second=0)
    steps = -(-(moment - midnight) // step)
    return midnight + steps * step


def units_for(service_type: ServiceType, starts_at: dt.datetime, ends_at: dt.datetime) -> Decimal:
    """Planned units of a booking: hours for hourly services (to the quarter hour up), else one."""
    if service_type.unit == ServiceType.Unit.HOUR:
        quarters = -(-int((ends_at - starts_at).total_seconds()) // 900)
        return (Decimal(quarters) / 4).quantize(Decimal("0.01"))
    return Decimal("1")


# --- Eligibility -----------------------------------------------------------------------------------------------------

RULE_COLUMNS = ("id", "name", "disability_codes", "needs", "min_age", "max_age", "category_codes", "units_per_day",
                "units_per_month", "units_per_year")


def rules_for(service_type: ServiceType) -> list[eligibility.Rule]:
    """The active rules of a service in priority order, in one query: the rules joined with their regions' KATO
    codes (a row per rule and region), folded back into one Rule each."""
    rows = (EligibilityRule.objects.filter(service_type=service_type, active=True).order_by("priority", "id")
            .values_list(*RULE_COLUMNS, "regions__kato_code"))
    columns, regions = {}, defaultdict(set)
    for *values, kato in rows:
        columns.setdefault(values[0], values)
        if kato:
            regions[values[0]].add(kato)
    return [eligibility.Rule(id=pk, name=name, disability_codes=frozenset(disability or ()),
                             needs=frozenset(needs or ()), min_age=min_age, max_age=max_age,
                             regions=frozenset(regions[pk]), categories=frozenset(categories or ()),
                             units_per_day=per_day, units_per_month=per_month, units_per_year=per_year)
            for pk, name, disability, needs, min_age, max_age, categories, per_day, per_month, per_year
            in columns.values()]


def person_usage(person, service_type: ServiceType, day: dt.date, *, exclude_booking_ids=()) -> eligibility.Usage:
    """Units the person used or booked (not cancelled) of a service on the day, in its month and in its year. A
    delivered booking counts its delivered units."""
    y0, y1 = year_bounds(day)
    m0, m1 = month_bounds(day)
    d0, d1 = day_bounds(day)
    qs = (Booking.objects.filter(person=person, service_type=service_type, starts_at__gte=y0, starts_at__lt=y1)
          .exclude(status=Booking.Status.CANCELLED).exclude(pk__in=list(exclude_booking_ids)))
    units = Coalesce("delivery__units", "units", output_field=_DEC)
    totals = qs.aggregate(
        year=Coalesce(Sum(units), Value(ZERO), output_field=_DEC),
        month=Coalesce(Sum(units, filter=Q(starts_at__gte=m0, starts_at__lt=m1)), Value(ZERO), output_field=_DEC),
        day=Coalesce(Sum(units, filter=Q(starts_at__gte=d0, starts_at__lt=d1)), Value(ZERO), output_field=_DEC))
    return eligibility.Usage(day=totals["day"], month=totals["month"], year=totals["year"])


def _labels(rules, person) -> dict:
    from qamqor.core.models import Region
    from qamqor.registry.models import Category

    codes = set()
    for rule in rules:
        codes |= rule.categories
    labels = {c.code: c.name for c in Category.objects.filter(code__in=codes)} if codes else {}
    if person.region_id:
        labels[person.region.kato_code] = person.region.name
    if any(r.regions for r in rules):
        kato = set().union(*(r.regions for r in rules))
        labels.update({r.kato_code: r.name for r in Region.objects.filter(kato_code__in=kato)})
    return labels


def entitlement(person, service_type: ServiceType, *, on: dt.date | None = None,
                exclude_booking_ids=()) -> eligibility.Result:
    """Whether the person is entitled to the service on a day, why, and the quota left (day, month, year).

    Reads only what the rules ask about: the person's categories (two or three queries of the registry) when a rule
    names categories, their usage (one aggregate over the year, month and day) when a rule has a quota. The person's
    region and disability are read from the row (select_related them)."""
    on = on or timezone.localdate()
    rules = rules_for(service_type)
    facts = eligibility.person_facts(person, on=on, categories=any(r.categories for r in rules))
    quota = any(limit is not None for r in rules
                for limit in (r.units_per_day, r.units_per_month, r.units_per_year))
    usage = person_usage(person, service_type, on, exclude_booking_ids=exclude_booking_ids) if quota \
        else eligibility.Usage()
    return eligibility.evaluate(facts, rules, usage, labels=_labels(rules, person))


def entitlements(person, *, on: dt.date | None = None) -> list[tuple[ServiceType, eligibility.Result]]:
    """Each bookable service type with the person's eligibility, its reason and the quota left this month."""
    on = on or timezone.localdate()
    return [(st, entitlement(person, st, on=on)) for st in ServiceType.objects.filter(active=True).order_by("code")]


# --- Contracts -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Terms:
    volume: Decimal
    unit_price: Decimal
    ends_on: dt.date
    budget: Decimal


def contract_terms(contract: Contract, *, on: dt.date | None = None, amendments=None) -> Terms:
    """The terms in force: the original terms with every amendment signed up to `on` (all, without it) applied."""
    terms = Terms(contract.volume, contract.unit_price, contract.ends_on, contract.budget)
    rows = amendments if amendments is not None else contract.amendments.order_by("sequence")
    for a in rows:
        if on is not None and a.signed_on > on:
            continue
        volume = a.new_volume if a.new_volume is not None else terms.volume
        price = a.new_unit_price if a.new_unit_price is not None else terms.unit_price
        if a.new_budget is not None:
            budget = a.new_budget
        elif a.new_volume is not None or a.new_unit_price is not None:
            budget = (volume * price).quantize(Decimal("0.01"))
        else:
            budget = terms.budget
        terms = Terms(volume, price, a.new_ends_on or terms.ends_on, budget)
    return terms


@dataclass(frozen=True)
class Consumption:
    volume: Decimal
    delivered: Decimal
    booked: Decimal  # requested or assigned, not yet delivered
    left: Decimal  # may be negative when an overrun is allowed
    ratio: Decimal  # (delivered + booked) / volume
    level: str  # "ok", "warning" (80% or more), "exhausted" (100% or more)
    delivered_amount: Decimal

    @property
    def used(self) -> Decimal:
        return self.delivered + self.booked

    @property
    def message(self) -> str:
        if self.level == "exhausted":
            return _("The contracted volume is used up (%(percent)s%%).") % {"percent": self.percent}
        if self.level == "warning":
            return _("%(percent)s%% of the contracted volume is used or booked.") % {"percent": self.percent}
        return ""

    @property
    def percent(self) -> int:
        return int(self.ratio * 100)


def level_for(ratio: Decimal) -> str:
    if ratio >= 1:
        return "exhausted"
    if ratio >= WARNING_AT:
        return "warning"
    return "ok"


def _consumption(volume, delivered, booked, amount) -> Consumption:
    ratio = ((delivered + booked) / volume).quantize(Decimal("0.0001")) if volume else Decimal(1)
    return Consumption(volume, delivered, booked, volume - delivered - booked, ratio, level_for(ratio), amount)


def consumption_many(contract_ids) -> dict[int, tuple[Decimal, Decimal]]:
    """{contract id: (delivered units, booked units)} in one query (two correlated sums over the contracts' indexes).
    Under a contract's row lock, call it after the lock, as its own statement: a statement that waited for the lock
    still reads the other tables as they were when it began."""
    ids = list(contract_ids)
    delivered = (DeliveryRecord.objects.filter(contract=OuterRef("pk")).order_by().values("contract")
                 .annotate(u=Sum("units")).values("u"))
    booked = (Booking.objects.filter(contract=OuterRef("pk"), status__in=Booking.ACTIVE).order_by().values("contract")
              .annotate(u=Sum("units")).values("u"))
    rows = (Contract.objects.filter(pk__in=ids).order_by()
            .annotate(d=Subquery(delivered, output_field=_DEC), b=Subquery(booked, output_field=_DEC))
            .values_list("pk", "d", "b"))
    used = {pk: (d or ZERO, b or ZERO) for pk, d, b in rows}
    return {i: used.get(i, (ZERO, ZERO)) for i in ids}


def consumption_of(contract: Contract, delivered: Decimal, booked: Decimal) -> Consumption:
    """A contract's consumption from its delivered and booked units (as consumption_many reads them)."""
    amount = (delivered * contract.current_unit_price).quantize(Decimal("0.01"))
    return _consumption(contract.current_volume, delivered, booked, amount)


def contract_consumption(contract: Contract) -> Consumption:
    """Used (delivered), booked and left of the current volume, with the warning level at 80% and 100%."""
    delivered, booked = consumption_many([contract.pk])[contract.pk]
    return consumption_of(contract, delivered, booked)


def contracts_for(service_type: ServiceType, region, day: dt.date, *, provider=None):
    """Contracts in force on a day for a service in a region."""
    qs = Contract.objects.filter(service_type=service_type, region=region, status=Contract.Status.ACTIVE,
                                 starts_on__lte=day, current_ends_on__gte=day)
    if provider is not None:
        qs = qs.filter(provider=provider)
    return qs.order_by("current_ends_on", "pk")


def contract_burndown(contract: Contract) -> list[dict]:
    """Per month of the contract: the volume planned (spread evenly over its months), delivered, and what is left
    of the volume after that month's deliveries (the burn-down chart and its table)."""
    months = []
    m = month_start(contract.starts_on)
    while m <= contract.current_ends_on:
        months.append(m)
        m = next_month(m)
    delivered = defaultdict(lambda: ZERO)
    for started_at, units in DeliveryRecord.objects.filter(contract=contract).values_list("started_at", "units"):
        delivered[month_start(local(started_at).date())] += units
    per_month = (contract.current_volume / len(months)).quantize(Decimal("0.01")) if months else ZERO
    rows, planned_total, delivered_total = [], ZERO, ZERO
    for i, month in enumerate(months):
        planned = contract.current_volume - planned_total if i == len(months) - 1 else per_month
        planned_total += planned
        delivered_total += delivered[month]
        rows.append({"month": month, "planned": planned, "delivered": delivered[month],
                     "planned_cumulative": planned_total, "delivered_cumulative": delivered_total,
                     "left": contract.current_volume - delivered_total})
    return rows


# --- Staff, hours, slots ---------------------------------------------------------------------------------------------

def hours_by_weekday(staff: ProviderStaff) -> dict[int, list[tuple[dt.time, dt.time]]]:
    table = defaultdict(list)
    hours = staff.hours.all()  # prefetched where many staff are read
    for h in hours:
        table[h.weekday].append((h.starts, h.ends))
    return table


def within_hours(staff: ProviderStaff, starts_at: dt.datetime, ends_at: dt.datetime) -> bool:
    """Whether [starts_at, ends_at) lies inside one of the staff member's working intervals of that local day."""
    start, end = local(starts_at), local(ends_at)
    if end.date() != start.date() and not (end.date() == start.date() + dt.timedelta(days=1) and end.time() == dt.time()):
        return False
    end_time = end.time() if end.date() == start.date() else dt.time(23, 59, 59, 999999)
    return any(s <= start.time() and end_time <= e for s, e in hours_by_weekday(staff)[start.weekday()])


def _day_span(starts_at: dt.datetime, ends_at: dt.datetime) -> tuple[int, dt.time, dt.time] | None:
    """(weekday, start, end) of an interval in local time within one day (an end at the next midnight counts as the
    day's end); None when it crosses midnight."""
    start, end = local(starts_at), local(ends_at)
    if end.date() == start.date():
        return start.weekday(), start.time(), end.time()
    if end.date() == start.date() + dt.timedelta(days=1) and end.time() == dt.time():
        return start.weekday(), start.time(), dt.time(23, 59, 59, 999999)
    return None


def staff_time(staff: ProviderStaff, starts_at: dt.datetime, ends_at: dt.datetime, *,
               exclude_pk=None) -> tuple[bool, bool]:
    """(works then, holds an overlapping booking) for a staff member and an interval, in one query: within_hours
    and overlapping(...).exists() together. Call it after the staff member's row lock, as its own statement."""
    span = _day_span(starts_at, ends_at)
    works = Value(False) if span is None else Exists(WorkingHours.objects.filter(
        staff=OuterRef("pk"), weekday=span[0], starts__lte=span[1], ends__gte=span[2]))
    busy = overlapping(staff, starts_at, ends_at, exclude_pk=exclude_pk).filter(staff=OuterRef("pk")).order_by()
    row = (ProviderStaff.objects.filter(pk=staff.pk).order_by()
           .annotate(works=works, busy=Exists(busy)).values_list("works", "busy").first())
    return (bool(row[0]), bool(row[1])) if row is not None else (False, False)


def overlapping(staff: ProviderStaff, starts_at: dt.datetime, ends_at: dt.datetime, *, exclude_pk=None):
    """The staff member's bookings (not cancelled) that overlap [starts_at, ends_at)."""
    qs = Booking.objects.filter(staff=staff, starts_at__lt=ends_at, ends_at__gt=starts_at) \
        .exclude(status=Booking.Status.CANCELLED)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.order_by("starts_at")


@dataclass(frozen=True)
class Slot:
    starts_at: dt.datetime
    ends_at: dt.datetime
    staff: ProviderStaff
    contract: Contract

    def describe(self) -> str:
        start = local(self.starts_at)
        return _("The next free time is %(date)s at %(time)s.") % {"date": start.strftime("%d.%m.%Y"),
                                                                   "time": start.strftime("%H:%M")}


def next_free_slot(service_type: ServiceType, region, after: dt.datetime, duration: dt.timedelta, *,
                   staff: ProviderStaff | None = None, units: Decimal | None = None,
                   days: int = SLOT_SEARCH_DAYS) -> Slot | None:
    """The earliest time from `after` (within `days`) when a staff member of a provider with a contract in force in
    the region, with volume left, works and is free for `duration`; None when there is none. Four queries."""
    if not service_type.staff_role and staff is None:
        return None
    if not service_type.exclusive_staff:
        # A shared ride's time depends on the transport plan (vehicles, routes, other passengers), not on a staff
        # member's free hours: the transport app offers its own alternatives.
        return None
    after = ceil_to_step(max(after, timezone.now()))
    first_day = local(after).date()
    last_day = first_day + dt.timedelta(days=days)
    units = units if units is not None else units_for(service_type, after, after + duration)
    contracts = list(Contract.objects.filter(service_type=service_type, region=region, status=Contract.Status.ACTIVE,
                                             starts_on__lte=last_day, current_ends_on__gte=first_day)
                     .order_by("current_ends_on", "pk"))
    used = consumption_many(c.pk for c in contracts)
    contracts = [c for c in contracts if c.allows_overrun
                 or c.current_volume - sum(used[c.pk]) >= units]
    if not contracts:
        return None
    staff_qs = ProviderStaff.objects.filter(active=True, provider_id__in={c.provider_id for c in contracts}) \
        .select_related("user").prefetch_related("hours").order_by("pk")
    staff_qs = staff_qs.filter(pk=staff.pk) if staff is not None else staff_qs.filter(role=service_type.staff_role)
    people = list(staff_qs)
    if not people:
        return None
    busy = defaultdict(list)
    window_end = at(last_day + dt.timedelta(days=1), dt.time())
    for staff_id, s, e in (Booking.objects.filter(staff__in=people, ends_at__gt=after, starts_at__lt=window_end)
                           .exclude(status=Booking.Status.CANCELLED).order_by("starts_at")
                           .values_list("staff_id", "starts_at", "ends_at")):
        busy[staff_id].append((s, e))
    for offset in range(days + 1):
        day = first_day + dt.timedelta(days=offset)
        in_force = {}
        for c in contracts:
            if c.starts_on <= day <= c.current_ends_on:
                in_force.setdefault(c.provider_id, c)
        best = None
        for person in people:
            if person.provider_id not in in_force:
                continue
            for s, e in sorted(hours_by_weekday(person)[day.weekday()]):
                t = ceil_to_step(max(at(day, s), after))
                close = at(day, e)
                while t + duration <= close:
                    clash = next(((bs, be) for bs, be in busy[person.pk] if bs < t + duration and be > t), None)
                    if clash is None:
                        break
                    t = ceil_to_step(clash[1])
                if t + duration <= close and (best is None or t < best[0]):
                    best = (t, person)
                    break
        if best is not None:
            t, person = best
            return Slot(t, t + duration, person, in_force[person.provider_id])
    return None


# --- Schedules and utilisation ---------------------------------------------------------------------------------------

def provider_schedule(provider, day: dt.date) -> list[tuple[ProviderStaff, list[Booking]]]:
    """A provider's day per staff member (active staff, also those with nothing booked), and the unassigned requests
    under its contracts as a last row with staff None. Three queries."""
    d0, d1 = day_bounds(day)
    bookings = list(Booking.objects.filter(contract__provider=provider, starts_at__lt=d1, ends_at__gt=d0)
                    .exclude(status=Booking.Status.CANCELLED)
                    .select_related("person", "service_type").order_by("starts_at", "pk"))
    staff = list(ProviderStaff.objects.filter(provider=provider, active=True).select_related("user")
                 .prefetch_related("hours").order_by("user__full_name", "pk"))
    by_staff = defaultdict(list)
    for b in bookings:
        by_staff[b.staff_id].append(b)
    rows = [(s, by_staff.get(s.pk, [])) for s in staff]
    if by_staff.get(None):
        rows.append((None, by_staff[None]))
    return rows


def staff_schedule(user, *, start: dt.date, days: int = 7):
    """A staff member's own bookings from a day, for `days` days."""
    d0 = day_bounds(start)[0]
    d1 = day_bounds(start + dt.timedelta(days=days))[0]
    return (Booking.objects.filter(staff__user=user, starts_at__lt=d1, ends_at__gt=d0)
            .exclude(status=Booking.Status.CANCELLED)
            .select_related("person", "service_type", "contract__provider").order_by("starts_at", "pk"))


def _hours(delta: dt.timedelta) -> Decimal:
    return (Decimal(int(delta.total_seconds())) / 3600).quantize(Decimal("0.01"))


def utilisation(provider, *, start: dt.date, end: dt.date) -> list[dict]:
    """Per staff member from `start` to `end` (inclusive): working hours, hours booked and delivered, the share."""
    staff = list(ProviderStaff.objects.filter(provider=provider, active=True).select_related("user")
                 .prefetch_related("hours").order_by("user__full_name", "pk"))
    t0 = day_bounds(start)[0]
    t1 = day_bounds(end + dt.timedelta(days=1))[0]
    booked = defaultdict(lambda: dt.timedelta())
    delivered = defaultdict(lambda: dt.timedelta())
    for staff_id, status, s, e in (Booking.objects.filter(staff__in=staff, starts_at__gte=t0, starts_at__lt=t1)
                                   .exclude(status=Booking.Status.CANCELLED)
                                   .values_list("staff_id", "status", "starts_at", "ends_at")):
        booked[staff_id] += e - s
    for staff_id, s, e in DeliveryRecord.objects.filter(staff__in=staff, started_at__gte=t0, started_at__lt=t1) \
            .values_list("staff_id", "started_at", "ended_at"):
        delivered[staff_id] += e - s
    rows = []
    for s in staff:
        table = hours_by_weekday(s)
        available = dt.timedelta()
        day = start
        while day <= end:
            for a, b in table[day.weekday()]:
                available += dt.datetime.combine(day, b) - dt.datetime.combine(day, a)
            day += dt.timedelta(days=1)
        share = (_hours(booked[s.pk]) / _hours(available)).quantize(Decimal("0.01")) if available else ZERO
        rows.append({"staff": s, "available_hours": _hours(available), "booked_hours": _hours(booked[s.pk]),
                     "delivered_hours": _hours(delivered[s.pk]), "share": share})
    return rows


# --- Customer totals and reconciliation ------------------------------------------------------------------------------

def customer_totals(*, scope: Q | None = None, start: dt.date, end: dt.date, region=None, service_type=None,
                    group_by: tuple[str, ...] = ("region", "service_type")) -> dict:
    """Services delivered (count of delivery records), units and their cost at the contract's current price, by
    region and/or type, from `start` to `end` inclusive; `scope` is access.totals_scope(user). No persons."""
    t0 = day_bounds(start)[0]
    t1 = day_bounds(end + dt.timedelta(days=1))[0]
    qs = DeliveryRecord.objects.filter(started_at__gte=t0, started_at__lt=t1)
    if scope is not None:
        qs = qs.filter(contract__in=Contract.objects.filter(scope))
    if region is not None:
        qs = qs.filter(contract__region=region)
    if service_type is not None:
        qs = qs.filter(contract__service_type=service_type)
    keys = [{"region": "contract__region", "service_type": "contract__service_type",
             "provider": "contract__provider"}[g] for g in group_by]
    # "amount" first: an annotation named "units" would hide the field F("units") it multiplies.
    rows = list(qs.values(*keys).annotate(amount=Sum(_amount_expr(), output_field=_DEC), services=Count("pk"),
                                          delivered_units=Sum("units")).order_by(*keys))
    total = {"services": sum(r["services"] for r in rows),
             "units": sum((r["delivered_units"] for r in rows), ZERO),
             "amount": sum((r["amount"] or ZERO for r in rows), ZERO)}
    return {"rows": rows, "total": total, "start": start, "end": end,
            "sentence": _("%(count)s services delivered from %(start)s to %(end)s.") % {
                "count": f"{total['services']:,}", "start": start.strftime("%d.%m.%Y"),
                "end": end.strftime("%d.%m.%Y")}}


def _amount_expr():
    from django.db.models import ExpressionWrapper, F

    return ExpressionWrapper(F("units") * F("contract__current_unit_price"), output_field=_DEC)


def reconciliation(contract: Contract, month: dt.date, *, as_of: dt.datetime | None = None) -> dict:
    """Booked vs delivered vs billed for a contract and month (units): booked counts bookings starting in the month
    that were not cancelled; delivered the delivery records started in it; billed the lines of its act (issued or
    draft, said which).

    With `as_of`, as it stood at that moment, in figures that can never change afterwards (an issued act's
    document): bookings that had started by then and were not cancelled by then, delivery records written by then.
    A booking can be moved (booking_change) only before it starts and only to a future time, so the bookings that
    had started by a moment are the same ever after; one still to come could still move in or out of the month.
    `by_status` is then empty, since other status changes are not dated."""
    m0, m1 = month_bounds(month)
    bookings = Booking.objects.filter(contract=contract, starts_at__gte=m0, starts_at__lt=m1)
    deliveries = DeliveryRecord.objects.filter(contract=contract, started_at__gte=m0, started_at__lt=m1)
    if as_of is None:
        by_status = dict(bookings.values("status").annotate(u=Sum("units")).values_list("status", "u"))
        booked = sum((u for s, u in by_status.items() if s != Booking.Status.CANCELLED), ZERO)
        booked_delivered = by_status.get(Booking.Status.DELIVERED, ZERO)
    else:
        by_status = {}
        bookings = bookings.filter(created_at__lte=as_of, starts_at__lte=as_of).exclude(cancelled_at__lte=as_of)
        deliveries = deliveries.filter(created_at__lte=as_of)
        total = Coalesce(Sum("units"), Value(ZERO), output_field=_DEC)
        booked = bookings.aggregate(u=total)["u"]
        booked_delivered = bookings.filter(delivery__created_at__lte=as_of).aggregate(u=total)["u"]
    delivered = deliveries.aggregate(u=Coalesce(Sum("units"), Value(ZERO), output_field=_DEC), n=Count("pk"))
    act = Act.objects.filter(contract=contract, month=month_start(month)).first()
    billed = act.total_units if act else ZERO
    return {"month": month_start(month), "booked": booked, "by_status": by_status,
            "delivered": delivered["u"], "deliveries": delivered["n"], "billed": billed,
            "billed_amount": act.total_amount if act else ZERO, "act": act,
            "act_status": act.status if act else None,
            "not_delivered": booked - booked_delivered,
            "not_billed": delivered["u"] - billed}


def act_lines(act: Act):
    return ActLine.objects.filter(act=act).select_related("delivery__booking__person", "delivery__staff__user") \
        .order_by("date", "pk")


def amendments_of(contract: Contract):
    return ContractAmendment.objects.filter(contract=contract).select_related("created_by").order_by("sequence")


def staff_with_hours(provider):
    return ProviderStaff.objects.filter(provider=provider).select_related("user") \
        .prefetch_related(Prefetch("hours", queryset=WorkingHours.objects.order_by("weekday", "starts")))


def representatives_of(person):
    """A person's representatives, current first, then revoked, with who recorded them."""
    from .models import Representative

    return (Representative.objects.filter(person=person).select_related("user", "created_by")
            .order_by(F("revoked_at").desc(nulls_first=True), "-pk"))


def booking_ride(booking: Booking):
    """(ride, eta) for a booking of a ride service: the transport app's RideRequest it holds the volume for, with its
    expected pick-up, drop-off and vehicle in the day's current plan (transport.selectors.ride_eta; None until the
    day is planned). (None, None) for other services, without a query."""
    if booking.service_type.exclusive_staff:
        return None, None
    from qamqor.transport.models import RideRequest
    from qamqor.transport.selectors import ride_eta

    ride = RideRequest.objects.filter(booking=booking).first()
    return (ride, ride_eta(ride=ride)) if ride is not None else (None, None)


def booking_history(booking: Booking) -> list[dict]:
    """What happened to a booking, oldest first, from its audit rows: booked, assigned, moved, cancelled, no-show.
    Names no one (the person reads it too): the side that acted is "you" or "the provider" at most."""
    from qamqor.core.models import AuditLog

    labels = {"social_booking.create": _("Booked"), "social_booking.assign": _("Staff member assigned"),
              "social_booking.cancel": _("Cancelled"),
              "social_booking.no_show": _("Recorded: the person did not come")}
    rows = []
    for entry in AuditLog.objects.filter(object_type="social_services.booking", object_id=str(booking.pk)) \
            .order_by("at", "pk"):
        if entry.action == "social_booking.change":
            after = entry.after or {}
            start = local(dt.datetime.fromisoformat(after["starts_at"])) if after.get("starts_at") else None
            text = _("Moved to %(date)s at %(time)s") % {"date": start.strftime("%d.%m.%Y"),
                                                          "time": start.strftime("%H:%M")} if start else _("Changed")
            if after.get("released_staff"):
                text = _("%(change)s; the staff member was not free and was released") % {"change": text}
        elif entry.action in labels:
            text = labels[entry.action]
        else:
            continue
        rows.append({"at": entry.at, "text": text})
    return rows
