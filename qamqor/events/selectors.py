"""Reads of charity events: the calendar, outcomes computed from distributions, period summaries, campaign reports.

Outcomes are never typed in: they are counted from aid.Distribution rows linked to the event with the status
"handed". A person helped is a distinct registry person; a distribution to an institution (a hospital, a school, a
care home) counts the institution once as one recipient, however many distributions it received; a distribution
with neither (an applicant not yet in the registry) counts its need once.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Prefetch, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from qamqor.aid.models import Campaign, CampaignItem, Distribution, Offer

from . import access
from .models import Event, EventVolunteer

HANDED = Distribution.Status.HANDED
RAISED_OFFER_STATUSES = (Offer.Status.RECEIVED, Offer.Status.ALLOCATED, Offer.Status.DELIVERED)
ZERO = Decimal("0.00")


# Outcomes.

@dataclass
class GoodsLine:
    item_id: int
    code: str
    names: dict
    unit: str
    unit_label: str
    quantity: int
    value_kzt: Decimal

    @property
    def name(self):
        from django.utils import translation

        lang = (translation.get_language() or "kk")[:2]
        return self.names.get(lang) or self.names.get("kk") or self.code


@dataclass
class Outcome:
    people: int = 0
    households: int = 0
    value_kzt: Decimal = ZERO
    distributions: int = 0
    goods: list[GoodsLine] = field(default_factory=list)


def _recipients():
    """Aggregates over handed distributions: distinct persons, institutions and other needs; households; value.

    `Count(..., distinct=True)` over a nullable column ignores NULL, so each kind of recipient is counted apart and
    summed by the caller.
    """
    no_person = Q(person__isnull=True)
    return {
        "persons": Count("person", distinct=True),
        "institutions": Count("need__institution_name", distinct=True, filter=no_person & ~Q(need__institution_name="")),
        "others": Count("need", distinct=True, filter=no_person & Q(need__institution_name="")),
        "households": Count("household", distinct=True),
        "value": Sum("value_kzt"),
        "rows": Count("id"),
    }


def _people(row) -> int:
    return (row["persons"] or 0) + (row["institutions"] or 0) + (row["others"] or 0)


def _goods_lines(qs, key):
    """Quantity and value per item, grouped by `key` (a field of Distribution or None for all): one query."""
    from qamqor.aid.models import Item

    units = dict(Item.Unit.choices)
    fields = ([key] if key else []) + ["item_id", "item__code", "item__name_kk", "item__name_ru", "item__name_en",
                                       "item__unit"]
    rows = qs.values(*fields).annotate(quantity=Sum("quantity"), value=Sum("value_kzt")).order_by(*fields)
    out: dict = {}
    for r in rows:
        line = GoodsLine(item_id=r["item_id"], code=r["item__code"],
                         names={"kk": r["item__name_kk"], "ru": r["item__name_ru"], "en": r["item__name_en"]},
                         unit=r["item__unit"], unit_label=str(units.get(r["item__unit"], r["item__unit"])),
                         quantity=r["quantity"] or 0, value_kzt=r["value"] or ZERO)
        out.setdefault(r[key] if key else None, []).append(line)
    return out


def event_outcomes(event_ids) -> dict[int, Outcome]:
    """Outcomes of many events in two queries, whatever their number."""
    event_ids = list(event_ids)
    result = {pk: Outcome() for pk in event_ids}
    if not event_ids:
        return result
    handed = Distribution.objects.filter(event_id__in=event_ids, status=HANDED)
    for row in handed.values("event_id").annotate(**_recipients()).order_by("event_id"):
        result[row["event_id"]] = Outcome(people=_people(row), households=row["households"] or 0,
                                          value_kzt=row["value"] or ZERO, distributions=row["rows"])
    for event_id, lines in _goods_lines(handed, "event_id").items():
        result[event_id].goods = lines
    return result


def event_outcome(event: Event) -> Outcome:
    return event_outcomes([event.pk])[event.pk]


# The calendar.

def events_between(user, *, start: dt.datetime, end: dt.datetime, region=None, organizer=None):
    """Events this user may see that overlap [start, end), with what the calendar shows."""
    qs = (access.visible_events(user).filter(starts_at__lt=end, ends_at__gte=start)
          .select_related("organizer", "region", "holiday")
          .annotate(signed_up=Count("volunteers", filter=Q(volunteers__withdrawn_at__isnull=True)))
          .order_by("starts_at", "pk"))
    if region is not None:
        qs = qs.filter(region=region)
    if organizer is not None:
        qs = qs.filter(organizer=organizer)
    return qs


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    """The first instant of the month and of the next, in the site's time zone."""
    tz = timezone.get_current_timezone()
    start = dt.datetime(year, month, 1, tzinfo=tz)
    nxt = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return start, nxt


def calendar_days(events) -> list[tuple[dt.date, list[Event]]]:
    """Events grouped by the local day they start on, in order."""
    days: dict[dt.date, list[Event]] = {}
    for event in events:
        days.setdefault(timezone.localtime(event.starts_at).date(), []).append(event)
    return sorted(days.items())


def event_detail(user, pk) -> Event | None:
    """One event this user may see, with organiser, partners, region, campaign, holiday and the sign-up count."""
    return (access.visible_events(user).filter(pk=pk)
            .select_related("organizer", "region", "campaign", "holiday")
            .prefetch_related("partners")
            .annotate(signed_up=Count("volunteers", filter=Q(volunteers__withdrawn_at__isnull=True)))
            .first())


def event_signup(user, event) -> EventVolunteer | None:
    if not (user and user.is_authenticated):
        return None
    return EventVolunteer.objects.filter(event=event, user=user).first()


def event_volunteers(event):
    return (EventVolunteer.objects.filter(event=event).select_related("user", "hours_confirmed_by")
            .order_by(F("withdrawn_at").asc(nulls_first=True), "signed_up_at", "pk"))


def my_signups(user):
    return (EventVolunteer.objects.filter(user=user).select_related("event", "event__region", "event__organizer")
            .order_by("-event__starts_at"))


# Period summaries.

@dataclass(frozen=True)
class Period:
    year: int
    quarter: int | None = None
    month: int | None = None

    @property
    def first_month(self):
        return self.month or (3 * (self.quarter - 1) + 1 if self.quarter else 1)

    @property
    def months(self):
        return 1 if self.month else 3 if self.quarter else 12

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        start, _ = month_bounds(self.year, self.first_month)
        last = self.first_month + self.months - 1
        _s, end = month_bounds(self.year, last)
        return start, end

    @property
    def label(self) -> str:
        if self.month:
            from django.utils.dates import MONTHS

            return f"{MONTHS[self.month]} {self.year}"
        if self.quarter:
            return _("Q%(quarter)s %(year)s") % {"quarter": self.quarter, "year": self.year}
        return str(self.year)

    @property
    def key(self) -> str:
        return f"{self.year}-{self.month:02d}" if self.month else f"{self.year}-Q{self.quarter}" if self.quarter \
            else str(self.year)


@dataclass
class SummaryRow:
    key: int | None
    label: str
    events: int = 0
    held: int = 0
    people: int = 0
    households: int = 0
    value_kzt: Decimal = ZERO


@dataclass
class Summary:
    period: Period
    region: object = None
    organization: object = None
    group_by: str = "region"
    total: SummaryRow = None
    rows: list[SummaryRow] = field(default_factory=list)
    goods: list[GoodsLine] = field(default_factory=list)


GROUPS = {"region": ("region_id", "region"), "organization": ("organizer_id", "organizer")}


def period_summary(*, period: Period, region=None, organization=None, group_by: str = "region") -> Summary:
    """Events of verified organisations that start in the period (cancelled ones left out), and the help handed at
    them, in total and per region or per organisation. Six queries, whatever the data.

    People are counted distinct over the whole period: a person helped at two events is one person helped. The rows
    count within each group, so they may add up to more than the total.
    """
    start, end = period.bounds()
    events = (access.public_events().filter(starts_at__gte=start, starts_at__lt=end)
              .exclude(status=Event.Status.CANCELLED))
    if region is not None:
        events = events.filter(region=region)
    if organization is not None:
        events = events.filter(organizer=organization)
    event_key, relation = GROUPS[group_by]
    dist_key = f"event__{event_key}"
    handed = Distribution.objects.filter(status=HANDED, event__in=events.values("pk"))
    summary = Summary(period=period, region=region, organization=organization, group_by=group_by)

    count_fields = {"events": Count("pk"), "held": Count("pk", filter=Q(status=Event.Status.HELD))}
    totals = events.aggregate(**count_fields)
    outcome = handed.aggregate(**_recipients())
    summary.total = SummaryRow(key=None, label=_("Total"), events=totals["events"], held=totals["held"],
                               people=_people(outcome), households=outcome["households"] or 0,
                               value_kzt=outcome["value"] or ZERO)
    names = {}
    if relation == "region":
        from qamqor.core.models import Region as Group
    else:
        from qamqor.organizations.models import Organization as Group
    per_group = list(events.values(event_key).annotate(**count_fields).order_by(event_key))
    outcomes = {r[dist_key]: r for r in handed.values(dist_key).annotate(**_recipients()).order_by(dist_key)}
    names = {g.pk: (g.name, getattr(g, "kato_code", "")) for g in
             Group.objects.filter(pk__in=[r[event_key] for r in per_group])}
    for r in per_group:
        o = outcomes.get(r[event_key])
        summary.rows.append(SummaryRow(key=r[event_key], label=names[r[event_key]][0], events=r["events"],
                                       held=r["held"], people=_people(o) if o else 0,
                                       households=(o["households"] or 0) if o else 0,
                                       value_kzt=(o["value"] or ZERO) if o else ZERO))
    summary.rows.sort(key=lambda row: (-row.people, -row.events, row.label))
    summary.goods = _goods_lines(handed, None).get(None, [])
    return summary


# Campaign transparency.

@dataclass
class CampaignLine:
    """One row of a campaign's report: an item (goods) or the money."""

    label: str
    unit_label: str
    is_money: bool
    target: Decimal | int | None
    raised: Decimal | int
    delivered: Decimal | int
    delivered_value: Decimal = ZERO


@dataclass
class CampaignReport:
    campaign: Campaign
    money: CampaignLine
    items: list[CampaignLine]
    people: int = 0
    households: int = 0
    events: int = 0

    @property
    def lines(self):
        return [self.money, *self.items]


def campaign_report(campaign: Campaign) -> CampaignReport:
    """Target, raised and delivered for a campaign, from data only: targets from CampaignItem and the budget; raised
    from offers received for the campaign (money Σ amount, goods Σ quantity, statuses received, allocated,
    delivered); delivered from its handed distributions (quantity and value). No donor or recipient is named.
    Five queries."""
    from qamqor.aid.models import Item

    units = dict(Item.Unit.choices)
    lines: dict[int, CampaignLine] = {}

    def line(item_id, names, unit):
        if item_id not in lines:
            names = {"kk": names[0], "ru": names[1], "en": names[2]}
            from django.utils import translation

            lang = (translation.get_language() or "kk")[:2]
            lines[item_id] = CampaignLine(label=names.get(lang) or names["kk"], unit_label=str(units.get(unit, unit)),
                                          is_money=False, target=None, raised=0, delivered=0)
        return lines[item_id]

    name_fields = ("item__name_kk", "item__name_ru", "item__name_en", "item__unit")
    for ci in (CampaignItem.objects.filter(campaign=campaign).values("item_id", "target_quantity", *name_fields)
               .order_by("item__code")):
        line(ci["item_id"], [ci[f] for f in name_fields[:3]], ci["item__unit"]).target = ci["target_quantity"]
    offers = Offer.objects.filter(campaign=campaign, status__in=RAISED_OFFER_STATUSES)
    raised_money = offers.filter(kind=Offer.Kind.MONEY).aggregate(total=Sum("amount_kzt"))["total"] or ZERO
    for o in (offers.filter(kind=Offer.Kind.GOODS).values("item_id", *name_fields)
              .annotate(quantity=Sum("quantity")).order_by("item__code")):
        line(o["item_id"], [o[f] for f in name_fields[:3]], o["item__unit"]).raised = o["quantity"] or 0
    handed = Distribution.objects.filter(campaign=campaign, status=HANDED)
    delivered_value = ZERO
    for d in (handed.values("item_id", *name_fields).annotate(quantity=Sum("quantity"), value=Sum("value_kzt"))
              .order_by("item__code")):
        entry = line(d["item_id"], [d[f] for f in name_fields[:3]], d["item__unit"])
        entry.delivered, entry.delivered_value = d["quantity"] or 0, d["value"] or ZERO
        delivered_value += entry.delivered_value
    reach = handed.aggregate(**_recipients())
    money = CampaignLine(label=_("Money"), unit_label=_("tenge"), is_money=True, target=campaign.budget_kzt,
                         raised=raised_money, delivered=delivered_value, delivered_value=delivered_value)
    return CampaignReport(campaign=campaign, money=money, items=list(lines.values()), people=_people(reach),
                          households=reach["households"] or 0)


def report_campaigns(user):
    """Campaigns with a public report, newest first."""
    return (access.visible_campaigns(user).select_related("organizer", "holiday")
            .order_by("-starts_on", "title"))
