"""Charity events over HTTP, /api/v1/events/: the calendar, an event with its outcomes, period summaries and
campaign reports. Public where the pages are public (events of verified organisations, campaigns that are not
drafts); the same access rules otherwise. Money leaves the API as a decimal string."""

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Literal

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema
from ninja.pagination import paginate
from pydantic import BeforeValidator, model_validator

from qamqor.api.auth import OptionalAuth
from qamqor.api.errors import responses
from qamqor.api.pagination import Pagination
from qamqor.api.schemas import Input, OrganizationRef, RegionRef
from qamqor.core.errors import ServiceError
from qamqor.core.models import Region

from . import access, selectors
from .models import Event

router = Router(tags=["events"])

MAX_ID = 2**62
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2100, 12, 31)


def money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _iso_date(value):
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise ValueError(_("Write the date as YYYY-MM-DD, for example 2026-03-20."))
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
Kato = Annotated[str, Field(pattern=r"^[0-9]{9}$", description="The region's 9-digit KATO code.")]


class HolidayRef(Schema):
    date: dt.date
    name_kk: str
    name_ru: str
    name_en: str


class CampaignRef(Schema):
    slug: str
    title: str


class EventOut(Schema):
    id: int
    title: str
    description: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str
    region: RegionRef
    organizer: OrganizationRef
    status: Literal[tuple(Event.Status.values)]
    cancel_reason: str
    accessible_venue: bool
    volunteers_needed: int
    volunteers_signed_up: int
    holiday: HolidayRef | None
    url: str

    @staticmethod
    def resolve_volunteers_signed_up(obj):
        return obj.signed_up

    @staticmethod
    def resolve_url(obj):
        return f"/events/{obj.pk}/"


class GoodsOut(Schema):
    item: str = Field(..., description="The item's code in the catalogue.")
    name_kk: str
    name_ru: str
    name_en: str
    unit: str
    quantity: int
    value_kzt: str


class OutcomeOut(Schema):
    people_helped: int = Field(..., description="Distinct persons; an institution counts as one recipient.")
    households_reached: int
    value_kzt: str = Field(..., description="Σ value of the handed distributions, a decimal string.")
    goods: list[GoodsOut]


class EventDetailOut(EventOut):
    partners: list[OrganizationRef]
    campaign: CampaignRef | None
    outcomes: OutcomeOut | None = Field(..., description="Counted from the distributions handed over at the event; "
                                                         "given once the event is held.")


def _goods(lines):
    return [{"item": g.code, "name_kk": g.names["kk"], "name_ru": g.names["ru"], "name_en": g.names["en"],
             "unit": g.unit, "quantity": g.quantity, "value_kzt": money(g.value_kzt)} for g in lines]


def _outcome(outcome):
    return {"people_helped": outcome.people, "households_reached": outcome.households,
            "value_kzt": money(outcome.value_kzt), "goods": _goods(outcome.goods)}


class EventFilter(Input):
    region: Kato | None = None
    from_: IsoDate | None = Field(None, alias="from", description="Events ending on or after this date.")
    to: IsoDate | None = Field(None, description="Events starting on or before this date.")

    @model_validator(mode="after")
    def _in_order(self):
        for day in (self.from_, self.to):
            # Far beyond any event, and far from the ends of the calendar (year 9999 overflows a day later).
            if day is not None and not (FIRST_DAY <= day <= LAST_DAY):
                raise ValueError(_("Give dates from 2000-01-01 to 2100-12-31."))
        if self.from_ and self.to and self.to < self.from_:
            raise ValueError(_("The date 'to' is before 'from'. Swap them."))
        return self


def _region(kato):
    if not kato:
        return None
    region = Region.objects.filter(kato_code=kato).first()
    if region is None:
        raise ServiceError(_("There is no region with this KATO code. GET /api/v1/regions lists them."),
                           field="region")
    return region


def _start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


class SummaryFilter(Input):
    year: int = Field(..., ge=2000, le=2100)
    quarter: int | None = Field(None, ge=1, le=4)
    month: int | None = Field(None, ge=1, le=12)
    region: Kato | None = None
    organization: int | None = Field(None, ge=1, le=MAX_ID, description="The organiser's id.")
    group_by: Literal["region", "organization"] = "region"

    @model_validator(mode="after")
    def _one_part(self):
        if self.quarter and self.month:
            raise ValueError(_("Give a quarter or a month, not both."))
        return self


class SummaryRowOut(Schema):
    id: int | None
    name: str
    events: int
    held: int
    people_helped: int
    households_reached: int
    value_kzt: str


class SummaryOut(Schema):
    period: str = Field(..., description="2019, 2019-Q1 or 2019-03.")
    period_label: str
    starts: dt.date
    ends: dt.date = Field(..., description="The last day of the period.")
    region: str | None
    organization: int | None
    group_by: str
    total: SummaryRowOut
    rows: list[SummaryRowOut]
    goods: list[GoodsOut]


class CampaignLineOut(Schema):
    name: str
    unit: str
    target: str | None = Field(..., description="Money as a decimal string of tenge; goods as a whole number.")
    raised: str
    delivered: str
    delivered_value_kzt: str


class CampaignReportOut(Schema):
    slug: str
    title: str
    organizer: OrganizationRef
    status: str
    starts_on: dt.date
    ends_on: dt.date
    people_helped: int
    households_reached: int
    money: CampaignLineOut
    items: list[CampaignLineOut]


def _line(line):
    def text(value):
        if value is None:
            return None
        return money(Decimal(value)) if line.is_money else str(value)

    return {"name": line.label, "unit": "kzt" if line.is_money else line.unit_label, "target": text(line.target),
            "raised": text(line.raised), "delivered": text(line.delivered),
            "delivered_value_kzt": money(line.delivered_value)}


@router.get("", response={200: list[EventOut], **responses(401, 422)}, auth=OptionalAuth(), summary="List events")
@paginate(Pagination)
def list_events(request, filters: Query[EventFilter]):
    """Events you may see (everyone: those of verified organisations), by start; filtered by region (KATO) and by
    dates (`from`, `to`, inclusive, Almaty time)."""
    start = _start(filters.from_) if filters.from_ else _start(dt.date(1900, 1, 1))
    end = _start(filters.to + dt.timedelta(days=1)) if filters.to else _start(dt.date(9000, 1, 1))
    return selectors.events_between(request.user, start=start, end=end, region=_region(filters.region))


@router.get("/summary", response={200: SummaryOut, **responses(401, 422)}, auth=OptionalAuth(),
            summary="Summary of a period")
def period_summary(request, filters: Query[SummaryFilter]):
    """Events of verified organisations in a year, quarter or month (cancelled ones left out) and the help handed
    over at them, in total and per region or organisation; people counted distinct over the period."""
    from qamqor.organizations.models import Organization

    organization = None
    if filters.organization:
        organization = Organization.objects.filter(pk=filters.organization, status="verified").first()
        if organization is None:
            raise ServiceError(_("No verified organisation has this id."), field="organization")
    period = selectors.Period(filters.year, filters.quarter, filters.month)
    result = selectors.period_summary(period=period, region=_region(filters.region), organization=organization,
                                      group_by=filters.group_by)
    start, end = period.bounds()

    def row(r):
        return {"id": r.key, "name": str(r.label), "events": r.events, "held": r.held, "people_helped": r.people,
                "households_reached": r.households, "value_kzt": money(r.value_kzt)}

    return {"period": period.key, "period_label": period.label, "starts": start.date(),
            "ends": end.date() - dt.timedelta(days=1), "region": filters.region, "organization": filters.organization,
            "group_by": filters.group_by, "total": row(result.total), "rows": [row(r) for r in result.rows],
            "goods": _goods(result.goods)}


@router.get("/campaigns/{slug}", response={200: CampaignReportOut, **responses(401, 404, 422)}, auth=OptionalAuth(),
            summary="A campaign's target, raised and delivered")
def campaign_report(request, slug: str = Path(..., pattern=r"^[-a-zA-Z0-9_]{1,80}$")):
    """The numbers of the public campaign report; no donor or recipient is named. Drafts only for those who run
    them."""
    campaign = access.visible_campaigns(request.user).select_related("organizer").filter(slug=slug).first()
    if campaign is None:
        raise Http404(_("No campaign with this address is visible to you."))
    report = selectors.campaign_report(campaign)
    return {"slug": campaign.slug, "title": campaign.title, "organizer": campaign.organizer,
            "status": campaign.status, "starts_on": campaign.starts_on, "ends_on": campaign.ends_on,
            "people_helped": report.people, "households_reached": report.households, "money": _line(report.money),
            "items": [_line(line) for line in report.items]}


@router.get("/{event_id}", response={200: EventDetailOut, **responses(401, 404, 422)}, auth=OptionalAuth(),
            summary="Get an event with its outcomes")
def get_event(request, event_id: int = Path(..., ge=1, le=MAX_ID)):
    """Place, organiser, partners, campaign, holiday, volunteers needed and signed up; outcomes once held."""
    event = selectors.event_detail(request.user, event_id)
    if event is None:
        raise Http404(_("No event with this number is visible to you."))
    held = event.status == Event.Status.HELD
    event.outcomes = _outcome(selectors.event_outcome(event)) if held else None
    return event
