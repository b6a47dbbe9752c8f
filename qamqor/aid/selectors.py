"""Reads of the aid app: what an allocation run takes in, recent help a household received (for "no double help"),
campaign progress."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from qamqor.registry.models import Category, Consent, HouseholdMember, Person
from qamqor.registry.selectors import category_codes_many, vulnerability_score

from .allocation import priority as engine_priority
from .models import Campaign, Distribution, Item, Lot, Need

# A vulnerability score (sum of category weights, registry.Category.weight) at or above this counts as the most
# vulnerable (1.0) in the priority formula; e.g. a person with a group I disability in a low-income family.
VULNERABILITY_FULL = Decimal("10")
# An institution (hospital, school, care home) has no categories; it ranks as a moderately vulnerable household.
INSTITUTION_VULNERABILITY = 0.5


def remaining_quantity(need: Need) -> int:
    given = need.distributions.exclude(status=Distribution.Status.CANCELLED).aggregate(n=Sum("quantity"))["n"] or 0
    return max(need.quantity - given, 0)


def last_help_days(needs, *, today: dt.date) -> dict[int, int | None]:
    """For each need: days since its household (or person, or institution) last received help of the same kind
    from anyone; None when never."""
    households = {n.household_id for n in needs if n.household_id}
    persons = {n.person_id for n in needs if n.person_id and not n.household_id}
    handed = Distribution.objects.filter(status=Distribution.Status.HANDED).filter(
        Q(household_id__in=households) | Q(person_id__in=persons))
    last = {}
    for row in handed.values("household_id", "person_id", "item__help_kind").annotate(at=Max("handed_at")):
        key = ("h", row["household_id"]) if row["household_id"] in households else ("p", row["person_id"])
        kind = row["item__help_kind"]
        if (key, kind) not in last or row["at"] > last[(key, kind)]:
            last[(key, kind)] = row["at"]
    result = {}
    for need in needs:
        key = ("h", need.household_id) if need.household_id else ("p", need.person_id)
        at = last.get((key, need.item.help_kind))
        result[need.pk] = None if at is None else max((today - timezone.localtime(at).date()).days, 0)
    return result


def allocation_instance(campaign: Campaign, *, today: dt.date | None = None):
    """The campaign's open needs (linked to a registry record or for an institution) and its lots with stock left,
    with each need's priority, categories and units already given."""
    today = today or timezone.localdate()
    needs = list(Need.objects.filter(campaign=campaign, status__in=[Need.Status.OPEN, Need.Status.ALLOCATED])
                 .filter(Q(person__isnull=False) | ~Q(institution_name=""))
                 .select_related("item", "person", "person__disability").order_by("pk"))
    served = dict(Distribution.objects.filter(need__in=[n.pk for n in needs])
                  .exclude(status=Distribution.Status.CANCELLED).values("need_id").annotate(n=Sum("quantity"))
                  .values_list("need_id", "n"))
    needs = [n for n in needs if n.quantity - served.get(n.pk, 0) > 0]
    # No double help across runs: a household receives of one item at most the largest quantity any of its needs in
    # the campaign asks, counting what earlier confirmed runs (and direct hand-overs) already gave it.
    room = {}
    keys = {(n.household_key, n.item_id) for n in needs}
    every = (Need.objects.filter(campaign=campaign, item_id__in={item for _k, item in keys})
             .exclude(status=Need.Status.CANCELLED).only("pk", "household_id", "person_id", "applicant_id",
                                                          "item_id", "quantity"))
    cap, given_to = {}, {}
    given_by_need = dict(Distribution.objects.filter(need__campaign=campaign)
                         .exclude(status=Distribution.Status.CANCELLED).values("need_id")
                         .annotate(n=Sum("quantity")).values_list("need_id", "n"))
    for other in every:
        key = (other.household_key, other.item_id)
        if key in keys:
            cap[key] = max(cap.get(key, 0), other.quantity)
            given_to[key] = given_to.get(key, 0) + given_by_need.get(other.pk, 0)
    for n in needs:
        key = (n.household_key, n.item_id)
        room[n.pk] = max(min(n.quantity - served.get(n.pk, 0), cap[key] - given_to[key]), 0)
    lots = [lot for lot in Lot.objects.filter(campaign=campaign).select_related("item", "warehouse")
            .prefetch_related("restricted_to").order_by("pk") if lot.available > 0]
    days = last_help_days(needs, today=today)
    weights = dict(Category.objects.values_list("code", "weight"))
    codes_of = category_codes_many({n.person for n in needs if n.person_id}, on=today)
    score_of: dict[int, Decimal] = {}
    priorities, categories = {}, {}
    for need in needs:
        if need.person_id:
            if need.person_id not in score_of:
                score_of[need.person_id] = vulnerability_score(need.person, codes=codes_of[need.person_id],
                                                               weights=weights)
            categories[need.pk] = codes_of[need.person_id]
            v = float(min(score_of[need.person_id] / VULNERABILITY_FULL, Decimal("1")))
        else:
            categories[need.pk] = set()
            v = INSTITUTION_VULNERABILITY
        urgency = (need.urgency - Need.Urgency.LOW) / (Need.Urgency.CRITICAL - Need.Urgency.LOW)
        priorities[need.pk] = engine_priority(v, urgency, days[need.pk])
    return needs, lots, {"priority": priorities, "categories": categories, "served": served, "days": days,
                         "room": room}


def recent_help(person: Person, *, viewer_org_ids: set[int], days: int = 90, today: dt.date | None = None) -> dict:
    """Help the person's household received lately, for the staff recording a need or help: their own
    organisation's hand-overs in full; other organisations' only as "food aid from another organisation 12 days
    ago", and only while the person consents to sharing for coordination (DESIGN.md section 5)."""
    today = today or timezone.localdate()
    since = timezone.now() - dt.timedelta(days=days)
    household_ids = list(HouseholdMember.objects.filter(person=person, left_on__isnull=True)
                         .values_list("household_id", flat=True))
    member_ids = set(HouseholdMember.objects.filter(household_id__in=household_ids, left_on__isnull=True)
                     .values_list("person_id", flat=True)) | {person.pk}
    handed = (Distribution.objects.filter(status=Distribution.Status.HANDED, handed_at__gte=since)
              .filter(Q(household_id__in=household_ids) | Q(person_id__in=member_ids))
              .select_related("item", "organization").order_by("-handed_at"))
    shares = Consent.objects.filter(person=person, purpose=Consent.Purpose.SHARING, withdrawn_at__isnull=True).exists()
    own, elsewhere, hidden = [], [], 0
    for d in handed:
        ago = (today - timezone.localtime(d.handed_at).date()).days
        if d.organization_id in viewer_org_ids:
            own.append({"distribution": d, "days_ago": ago})
        elif shares:
            elsewhere.append({"help_kind": Item.HelpKind(d.item.help_kind).label, "days_ago": ago})
        else:
            hidden += 1
    return {"own": own, "elsewhere": elsewhere, "shares": shares, "hidden": hidden}


def campaign_progress(campaign: Campaign) -> list[dict]:
    """Per item: target, in lots, promised by allocation, handed over."""
    lots = {row["item_id"]: row for row in Lot.objects.filter(campaign=campaign).values("item_id").annotate(
        quantity=Sum("quantity"), allocated=Sum("allocated"))}
    handed = dict(Distribution.objects.filter(campaign=campaign, status=Distribution.Status.HANDED)
                  .values("item_id").annotate(n=Sum("quantity")).values_list("item_id", "n"))
    needs = {row["item_id"]: row for row in Need.objects.filter(campaign=campaign).exclude(
        status=Need.Status.CANCELLED).values("item_id").annotate(count=Count("id"), quantity=Sum("quantity"))}
    rows = []
    for line in campaign.items.select_related("item").order_by("item__code"):
        lot = lots.get(line.item_id, {})
        need = needs.get(line.item_id, {})
        rows.append({"item": line.item, "target": line.target_quantity, "in_lots": lot.get("quantity") or 0,
                     "allocated": lot.get("allocated") or 0, "handed": handed.get(line.item_id, 0),
                     "needs": need.get("count") or 0, "needed": need.get("quantity") or 0})
    return rows


def run_decisions(run, *, viewer):
    """A run's decisions with what the viewer may see of each need: the recipient's name only where they may see
    the need; otherwise its number, region and the organisation that recorded it."""
    from . import access

    visible = set(access.visible_needs(viewer).filter(pk__in=run.decisions.values("need_id"))
                  .values_list("pk", flat=True))
    lines = defaultdict(list)
    for line in run.lines.select_related("lot", "lot__warehouse"):
        lines[line.need_id].append(line)
    decisions = list(run.decisions.select_related("need", "need__item", "need__person", "need__region",
                                                  "need__owner").order_by("-priority", "need_id"))
    for d in decisions:
        d.visible = d.need_id in visible
        d.lines = lines.get(d.need_id, [])
    return decisions
