"""Charity coordination over HTTP, /api/v1/aid/: the catalogue, campaigns and their lots, needs and applications,
allocation previews and their confirmation, hand-overs and offers.

The same people, scope and rules as the aid pages: who may see what is decided in access.py, every write goes
through aid.services (which checks permission and writes the audit row in the same transaction). A record you may
not see answers 404, never 403. Every answer that names a registered person writes an access-log row (channel
"api"). Money travels as a string with two decimals ("15000.00"), quantities as whole JSON numbers.
"""

import datetime as dt
import re
from contextlib import contextmanager
from decimal import Decimal
from typing import Annotated, Literal

from django.db.models import Prefetch
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _, gettext_lazy
from ninja import Field, Header, Path, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import BeforeValidator, StrictBool, StrictInt, field_validator

from qamqor.api.auth import AUTH, OptionalAuth
from qamqor.api.errors import responses
from qamqor.api.pagination import Pagination
from qamqor.api.schemas import BodyIn as SharedBodyIn, Input, OrganizationRef
from qamqor.core.errors import ServiceError
from qamqor.core.models import Region
from qamqor.core.services import access_record, access_record_many
from qamqor.organizations.models import Organization
from qamqor.registry import access as registry_access
from qamqor.registry.models import Category, Person

from . import access, allocation, selectors, services
from .models import (AllocationRun, Campaign, CampaignItem, Distribution, Item, KitComponent, Lot, Need, Offer,
                     Warehouse)

router = Router(tags=["aid"])

CHANNEL = "api"
MAX_ID = 2**62
MONEY_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"
SLUG_PATTERN = r"^[-a-zA-Z0-9_]{1,80}$"
CODE_PATTERN = r"^[-a-zA-Z0-9_]{1,60}$"
KATO_PATTERN = r"^[0-9]{9}$"
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")

RecordId = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
# Whole units, as the services take them; the upper bound is the services' own, so that a number the document allows
# reaches the service rather than overflowing a column.
Quantity = Annotated[StrictInt, Field(ge=1, le=services.MAX_QUANTITY)]
Urgency = Annotated[StrictInt, Field(ge=Need.Urgency.LOW, le=Need.Urgency.CRITICAL,
                                     description="1 can wait, 2 normal, 3 urgent, 4 critical: health or life at "
                                                 "risk.")]
ItemCode = Annotated[str, Field(pattern=CODE_PATTERN, description="An item code: GET /api/v1/aid/items.")]
CategoryCode = Annotated[str, Field(pattern=r"^[-a-zA-Z0-9_]{1,40}$",
                                    description="A category code: GET /api/v1/registry/categories.")]
KatoCode = Annotated[str, Field(pattern=KATO_PATTERN, description="A region's KATO code: GET /api/v1/regions.")]
Slug = Annotated[str, Field(pattern=SLUG_PATTERN)]

# The engine explains each need with a code (allocation.REASONS has the English sentence); these are the sentences
# translated, so that translators see them in the catalogue.
REASON_TEXT = {
    allocation.EXCLUDED: gettext_lazy("Excluded by the coordinator."),
    allocation.NOTHING_ASKED: gettext_lazy("The need asks for nothing."),
    allocation.SERVED: gettext_lazy("Served in full."),
    allocation.PARTIAL: gettext_lazy("Served in part."),
    allocation.NO_LOT: gettext_lazy("No lot of this item in the need's region."),
    allocation.NOT_ELIGIBLE: gettext_lazy("Lots of this item in the region are restricted to categories the "
                                          "household does not have."),
    allocation.HOUSEHOLD_CAP: gettext_lazy("The household already reached its limit for this item through its other "
                                           "needs."),
    allocation.LOTS_EXHAUSTED: gettext_lazy("Every lot that could serve it went to needs with a higher priority per "
                                            "unit."),
    allocation.ZERO_PRIORITY: gettext_lazy("Its priority is zero, so serving it adds nothing."),
}


def money(value) -> str | None:
    """Money leaves the API as a string with two decimals, never as a binary float."""
    return None if value is None else f"{value:.2f}"


def _iso_date(value):
    # JSON has no dates: a date is a "YYYY-MM-DD" string, never a number of seconds.
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise ValueError(_("Write the date as YYYY-MM-DD, for example 2026-05-27."))
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


# Answers.

class ItemRef(Schema):
    code: str
    name: str = Field(..., description="In the language of the request.")
    unit: Literal[tuple(Item.Unit.values)]


class ComponentOut(Schema):
    item: str = Field(..., description="The component's item code.")
    name: str
    quantity: int


class ItemOut(Schema):
    code: str
    name: str = Field(..., description="In the language of the request (Accept-Language).")
    name_kk: str
    name_ru: str
    name_en: str
    kind: Literal[tuple(Item.Kind.values)]
    help_kind: Literal[tuple(Item.HelpKind.values)]
    unit: Literal[tuple(Item.Unit.values)]
    value_kzt: str | None = Field(..., description="Value of one unit in tenge, a decimal string; null when not "
                                                   "valued.", examples=["15000.00"])
    components: list[ComponentOut] = Field(..., description="What a kit is made of; empty for other items.")

    @staticmethod
    def resolve_value_kzt(obj):
        return money(obj.value_kzt)

    @staticmethod
    def resolve_components(obj):
        return [{"item": c.item.code, "name": c.item.name, "quantity": c.quantity} for c in obj.components.all()]


class CampaignItemOut(Schema):
    item: ItemRef
    target_quantity: int


class CampaignOut(Schema):
    id: int
    slug: str
    title: str
    description: str
    organizer: OrganizationRef
    status: Literal[tuple(Campaign.Status.values)]
    starts_on: dt.date
    ends_on: dt.date
    budget_kzt: str = Field(..., examples=["1500000.00"])
    regions: list[str] = Field(..., description="KATO codes; empty for the whole country.")
    categories: list[str] = Field(..., description="Category codes of the people it is for; empty for anyone in "
                                                   "need.")
    items: list[CampaignItemOut]

    @staticmethod
    def resolve_budget_kzt(obj):
        return money(obj.budget_kzt)

    @staticmethod
    def resolve_regions(obj):
        return sorted(r.kato_code for r in obj.regions.all())

    @staticmethod
    def resolve_categories(obj):
        return sorted(c.code for c in obj.categories.all())

    @staticmethod
    def resolve_items(obj):
        return sorted(obj.items.all(), key=lambda line: line.item.code)


class CampaignProgressOut(Schema):
    item: ItemRef
    target: int
    in_lots: int = Field(..., description="Units put at the campaign's disposal in warehouses.")
    allocated: int = Field(..., description="Units promised to needs by confirmed allocations.")
    handed: int = Field(..., description="Units handed over to recipients.")
    needs: int = Field(..., description="Needs of this item in the campaign, cancelled ones left out.")
    needed: int = Field(..., description="Units those needs ask for.")


class CampaignDetailOut(CampaignOut):
    progress: list[CampaignProgressOut] = Field(..., description="Per item; counts only, no personal data.")
    can_manage: bool = Field(..., description="Whether you run this campaign (lots, allocation).")


class LotOut(Schema):
    id: int
    campaign: str = Field(..., description="The campaign's slug.")
    item: ItemRef
    warehouse_id: int
    region_kato: str
    quantity: int
    allocated: int
    available: int
    restricted_to: list[str] = Field(..., description="Category codes; empty means anyone.")

    @staticmethod
    def resolve_campaign(obj):
        return obj.campaign.slug

    @staticmethod
    def resolve_region_kato(obj):
        return obj.region.kato_code

    @staticmethod
    def resolve_restricted_to(obj):
        return sorted(c.code for c in obj.restricted_to.all())


class NeedOut(Schema):
    id: int
    recipient: str = Field(..., description="The person's full name, the institution, or the applicant's name.")
    person_id: int | None
    household_id: int | None
    institution_name: str
    institution_kind: Literal[tuple(Need.InstitutionKind.values)] | None
    self_applied: bool
    item: ItemRef
    quantity: int
    urgency: int = Field(..., description="1 can wait, 2 normal, 3 urgent, 4 critical.")
    region_kato: str
    campaign: str | None = Field(..., description="The campaign's slug.")
    status: Literal[tuple(Need.Status.values)]
    owner: OrganizationRef | None = Field(..., description="The organisation that recorded it; null for an "
                                                           "application not yet linked to a registry record.")
    evidence: str
    description: str
    cancel_reason: str
    created_at: dt.datetime

    @staticmethod
    def resolve_institution_kind(obj):
        return obj.institution_kind or None

    @staticmethod
    def resolve_region_kato(obj):
        return obj.region.kato_code

    @staticmethod
    def resolve_campaign(obj):
        return obj.campaign.slug if obj.campaign_id else None


class LineOut(Schema):
    lot: int
    quantity: int


class DecisionOut(Schema):
    need: int
    recipient: str | None = Field(..., description="Only where you may see the need; otherwise null.")
    region_kato: str
    item: str
    quantity: int = Field(..., description="Units the need asks for.")
    priority: float
    served: int
    reason: Literal[tuple(REASON_TEXT)]
    reason_text: str = Field(..., description="The reason as a sentence in the language of the request.")
    lines: list[LineOut] = Field(..., description="The lots it is served from.")


class RunOut(Schema):
    id: int
    campaign: str = Field(..., description="The campaign's slug.")
    status: Literal[tuple(AllocationRun.Status.values)]
    objective: float = Field(..., description="Sum over needs of priority × served ÷ quantity.")
    optimal: bool = Field(..., description="Proven optimal.")
    cross_region: bool
    excluded_needs: list[int]
    excluded_lots: list[int]
    locks: list[list[int]] = Field(..., description="[need, lot, quantity] forced by the coordinator.")
    seconds: float
    created_at: dt.datetime
    confirmed_at: dt.datetime | None
    decisions: list[DecisionOut] = Field(..., description="One per need, highest priority first.")


class DistributionOut(Schema):
    id: int
    need: int
    recipient: str | None = Field(..., description="Only where you may see the need; otherwise null.")
    item: ItemRef
    quantity: int
    lot: int | None
    campaign: str | None
    run: int | None
    organization: OrganizationRef = Field(..., description="Who hands it over.")
    value_kzt: str
    status: Literal[tuple(Distribution.Status.values)]
    confirmation: Literal[tuple(Distribution.Confirmation.values)] | None
    handed_at: dt.datetime | None
    cancel_reason: str
    code: str | None = Field(..., description="The one-time hand-over code, shown only to the recipient while the "
                                              "hand-over is planned; they tell it to the staff handing it over.")
    created_at: dt.datetime

    @staticmethod
    def resolve_need(obj):
        return obj.need_id

    @staticmethod
    def resolve_recipient(obj):
        return obj.need.recipient if getattr(obj, "shown", False) else None

    @staticmethod
    def resolve_lot(obj):
        return obj.lot_id

    @staticmethod
    def resolve_campaign(obj):
        return obj.campaign.slug if obj.campaign_id else None

    @staticmethod
    def resolve_run(obj):
        return obj.run_id

    @staticmethod
    def resolve_value_kzt(obj):
        return money(obj.value_kzt)

    @staticmethod
    def resolve_confirmation(obj):
        return obj.confirmation or None

    @staticmethod
    def resolve_code(obj):
        return getattr(obj, "code", None)


class OfferOut(Schema):
    id: int
    kind: Literal[tuple(Offer.Kind.values)]
    status: Literal[tuple(Offer.Status.values)]
    donor: str = Field(..., description="The donor organisation, or the person who gave.")
    donor_organization: OrganizationRef | None
    recipient: OrganizationRef = Field(..., description="The organisation it is given to.")
    campaign: str | None
    amount_kzt: str | None = Field(..., examples=["15000.00"])
    item: ItemRef | None
    quantity: int | None
    warehouse_id: int | None
    hours: int | None
    available_from: dt.date | None
    available_to: dt.date | None
    restricted_regions: list[str]
    restricted_categories: list[str]
    note: str
    created_at: dt.datetime

    @staticmethod
    def resolve_donor(obj):
        return obj.donor_organization.name if obj.donor_organization_id else obj.donor_user.full_name

    @staticmethod
    def resolve_campaign(obj):
        return obj.campaign.slug if obj.campaign_id else None

    @staticmethod
    def resolve_amount_kzt(obj):
        return money(obj.amount_kzt)

    @staticmethod
    def resolve_restricted_regions(obj):
        return sorted(r.kato_code for r in obj.restricted_regions.all())

    @staticmethod
    def resolve_restricted_categories(obj):
        return sorted(c.code for c in obj.restricted_categories.all())


class GatheredOut(Schema):
    gathered: int = Field(..., description="Open needs now attached to the campaign.")


# Requests.

class BodyIn(SharedBodyIn):
    """A request body: a JSON object with no fields beyond those documented."""

    model_config = {"extra": "forbid"}


def _money_text(value):
    if value is not None and not re.fullmatch(MONEY_PATTERN, value):
        raise ValueError(_("Write the amount in tenge as digits with at most two decimals, such as 15000.50."))
    return value


class CampaignItemIn(BodyIn):
    item: ItemCode
    target_quantity: Quantity


class CampaignIn(BodyIn):
    organizer_id: RecordId = Field(..., description="Your verified organisation, or one of your region as a "
                                                    "coordinator.")
    title: str = Field(..., min_length=1, max_length=200)
    slug: str = Field("", pattern=r"^[-a-zA-Z0-9_]{0,60}$", description="Made from the title when empty.")
    description: str = Field("", max_length=5000)
    starts_on: IsoDate
    ends_on: IsoDate
    items: list[CampaignItemIn] = Field(..., min_length=1, max_length=200)
    regions: list[KatoCode] = Field([], max_length=30, description="Empty for the whole country.")
    categories: list[CategoryCode] = Field([], max_length=50, description="Empty for anyone in need.")
    budget_kzt: str = Field("0", max_length=16, examples=["1500000.00"], json_schema_extra={"pattern": MONEY_PATTERN},
                            description="Tenge, a decimal string with at most two decimals.")

    _budget = field_validator("budget_kzt")(_money_text)


class StatusIn(BodyIn):
    status: Literal[tuple(Campaign.Status.values)]


class LotIn(BodyIn):
    warehouse_id: RecordId = Field(..., description="A warehouse of your organisation or region.")
    item: ItemCode
    quantity: Quantity = Field(..., description="Whole units; the warehouse must hold them free in its stock.")
    restricted_to: list[CategoryCode] = Field([], max_length=50, description="Empty means anyone.")


class NeedIn(BodyIn):
    person_id: RecordId | None = Field(None, description="A registered person; or name an institution.")
    institution_name: str = Field("", max_length=200)
    institution_kind: Literal[tuple(Need.InstitutionKind.values)] | None = None
    owner_id: RecordId | None = Field(None, description="For an institution: your organisation recording it.")
    region_kato: KatoCode | None = Field(None, description="For an institution; a person's need is in their region.")
    item: ItemCode
    quantity: Quantity
    urgency: Urgency = Need.Urgency.NORMAL
    campaign: Slug | None = Field(None, description="A campaign's slug.")
    evidence: str = Field("", max_length=300)
    description: str = Field("", max_length=5000)


class ApplyIn(BodyIn):
    item: ItemCode
    quantity: Quantity
    urgency: Urgency = Need.Urgency.NORMAL
    description: str = Field(..., min_length=1, max_length=5000, description="What you need and why.")
    name: str = Field("", max_length=200, description="When no registry record is linked to your account.")
    phone: str = Field("", max_length=32, description="Required when no registry record is linked to your account.")
    region_kato: KatoCode | None = Field(None, description="Required when no registry record is linked to your "
                                                           "account.")


class ReasonIn(BodyIn):
    reason: str = Field(..., min_length=1, max_length=300)


Lock = Annotated[list[Annotated[StrictInt, Field(ge=0, le=MAX_ID)]], Field(min_length=3, max_length=3)]


class PreviewIn(BodyIn):
    cross_region: StrictBool = Field(False, description="Lots may serve needs of other regions.")
    excluded_needs: list[RecordId] = Field([], max_length=100_000)
    excluded_lots: list[RecordId] = Field([], max_length=100_000)
    locks: list[Lock] = Field([], max_length=10_000, description="[need, lot, quantity]: force this many units of "
                                                                 "the lot to the need.")


class HandOverIn(BodyIn):
    code: str = Field("", pattern=r"^[0-9 ]{0,20}$", description="The recipient's one-time code: six digits.")
    signature: StrictBool = Field(False, description="Instead of a code: the recipient signed the paper list.")


class OfferIn(BodyIn):
    kind: Literal[tuple(Offer.Kind.values)]
    recipient_id: RecordId = Field(..., description="The verified organisation you give to.")
    donor_organization_id: RecordId | None = Field(None, description="Give in the name of an organisation you work "
                                                                     "for.")
    campaign: Slug | None = Field(None, description="A collecting campaign's slug.")
    amount_kzt: str | None = Field(None, max_length=16, examples=["15000.00"],
                                   json_schema_extra={"pattern": MONEY_PATTERN},
                                   description="For money: tenge, a decimal string with at most two decimals.")
    item: ItemCode | None = Field(None, description="For goods.")
    quantity: Quantity | None = Field(None, description="For goods: whole units.")
    warehouse_id: RecordId | None = Field(None, description="For goods: the recipient's warehouse.")
    hours: Quantity | None = Field(None, description="For volunteer time.")
    available_from: IsoDate | None = None
    available_to: IsoDate | None = None
    restricted_regions: list[KatoCode] = Field([], max_length=30)
    restricted_categories: list[CategoryCode] = Field([], max_length=50)
    note: str = Field("", max_length=300)

    _amount = field_validator("amount_kzt")(_money_text)


class ReceiveIn(BodyIn):
    warehouse_id: RecordId | None = Field(None, description="For goods: the warehouse they arrived at, when not "
                                                            "named in the offer.")
    idempotency_key: str | None = Field(None, min_length=1, max_length=100,
                                        description="Instead of the Idempotency-Key header.")


class NeedFilter(Input):
    status: Literal[tuple(Need.Status.values)] | None = None
    campaign: str | None = Field(None, pattern=SLUG_PATTERN, description="A campaign's slug.")
    item: str | None = Field(None, pattern=CODE_PATTERN, description="An item code.")
    region_kato: str | None = Field(None, pattern=KATO_PATTERN)


class DistributionFilter(Input):
    status: Literal[tuple(Distribution.Status.values)] | None = None
    campaign: str | None = Field(None, pattern=SLUG_PATTERN, description="A campaign's slug.")


class OfferFilter(Input):
    status: Literal[tuple(Offer.Status.values)] | None = None
    kind: Literal[tuple(Offer.Kind.values)] | None = None


# Helpers.

# The services name their inputs as their Python arguments; the API names the JSON fields.
_FIELDS = {"warehouse": "warehouse_id", "recipient": "recipient_id", "organizer": "organizer_id", "owner": "owner_id",
           "region": "region_kato", "donor_organization": "donor_organization_id", "person": "person_id"}


@contextmanager
def _api_fields():
    """A service's refusal, with the field named as the request names it."""
    try:
        yield
    except ServiceError as exc:
        if exc.field in _FIELDS:
            exc.field = _FIELDS[exc.field]
        raise


def _conflict(exc):
    """409 in the one error shape for a refusal whose code the shared handler does not know (a stale preview)."""
    fields = [{"field": exc.field, "message": str(exc.message)}] if exc.field else []
    return JsonResponse({"error": {"code": exc.code, "message": str(exc.message), "fields": fields}}, status=409,
                        json_dumps_params={"ensure_ascii": False})


def _item(code, field="item"):
    item = Item.objects.filter(code=code, active=True).first()
    if item is None:
        raise ServiceError(_("No item in the catalogue has this code. GET /api/v1/aid/items lists them."), field=field)
    return item


def _region(kato, field="region_kato"):
    region = Region.objects.filter(kato_code=kato).first()
    if region is None:
        raise ServiceError(_("No region has this KATO code. GET /api/v1/regions lists them."), field=field)
    return region


def _regions(codes, field):
    regions = list(Region.objects.filter(kato_code__in=set(codes)))
    if len(regions) != len(set(codes)):
        raise ServiceError(_("No region has one of these KATO codes. GET /api/v1/regions lists them."), field=field)
    return regions


def _categories(codes, field):
    categories = list(Category.objects.filter(code__in=set(codes)))
    if len(categories) != len(set(codes)):
        raise ServiceError(_("No category has one of these codes. GET /api/v1/registry/categories lists them."),
                           field=field)
    return categories


def _campaigns(user):
    return (access.visible_campaigns(user).select_related("organizer")
            .prefetch_related("regions", "categories", Prefetch("items", CampaignItem.objects.select_related("item"))))


def _campaign(user, slug):
    """A campaign this user may see (drafts only for those who run them)."""
    campaign = _campaigns(user).filter(slug=slug).first()
    if campaign is None:
        raise Http404(_("No campaign with this address is visible to you."))
    return campaign


def _campaign_field(user, slug, field="campaign"):
    if slug is None:
        return None
    campaign = access.visible_campaigns(user).filter(slug=slug).first()
    if campaign is None:
        raise ServiceError(_("No campaign with this address is visible to you."), field=field)
    return campaign


def _needs(user):
    return (access.visible_needs(user)
            .select_related("item", "person", "region", "campaign", "owner").order_by("-created_at", "-pk"))


def _need(request, pk, purpose):
    """A need this user may see; the person it is for is written to the access log."""
    need = _needs(request.auth).filter(pk=pk).first()
    if need is None:
        raise Http404(_("No need with this number is visible to you."))
    _log_need(request, need, purpose)
    return need


def _log_need(request, need, purpose):
    if need.person_id:
        access_record(actor=request.auth, subject=need.person, purpose=purpose, channel=CHANNEL, path=request.path)


def _run(user, pk):
    run = AllocationRun.objects.select_related("campaign").filter(pk=pk).first()
    if run is None or not access.can_manage_campaign(user, run.campaign):
        raise Http404(_("No allocation with this number is visible to you."))
    return run


def _run_out(request, run):
    """The run with its decisions; the recipient's name only where the caller may see the need, and every person
    named written to the access log."""
    decisions = selectors.run_decisions(run, viewer=request.auth)
    shown = [d.need.person for d in decisions if d.visible and d.need.person_id]
    access_record_many(actor=request.auth, subjects=shown, purpose="allocation preview", channel=CHANNEL,
                       path=request.path)
    return {
        "id": run.pk, "campaign": run.campaign.slug, "status": run.status, "objective": run.objective,
        "optimal": run.optimal, "cross_region": run.cross_region, "excluded_needs": run.excluded_needs,
        "excluded_lots": run.excluded_lots, "locks": run.locks, "seconds": run.seconds, "created_at": run.created_at,
        "confirmed_at": run.confirmed_at,
        "decisions": [{
            "need": d.need_id, "recipient": d.need.recipient if d.visible else None,
            "region_kato": d.need.region.kato_code, "item": d.need.item.code, "quantity": d.need.quantity,
            "priority": d.priority, "served": d.served, "reason": d.reason,
            "reason_text": str(REASON_TEXT.get(d.reason, d.reason)),
            "lines": [{"lot": line.lot_id, "quantity": line.quantity} for line in d.lines],
        } for d in decisions],
    }


def _distributions(user):
    return (access.visible_distributions(user)
            .select_related("need", "need__person", "item", "organization", "campaign", "person")
            .order_by("-created_at", "-pk"))


def _show_distributions(request, distributions, purpose):
    """Mark which recipients the caller may name (as for needs) and the recipient's own code; log the persons
    named."""
    user = request.auth
    visible = set(access.visible_needs(user).filter(pk__in={d.need_id for d in distributions})
                  .values_list("pk", flat=True))
    for d in distributions:
        d.shown = d.need_id in visible
        d.code = (services.recipient_code(d) if d.status == Distribution.Status.PLANNED
                  and access.is_recipient(user, d) else None)
    persons = {d.need.person_id: d.need.person for d in distributions if d.shown and d.need.person_id}
    access_record_many(actor=user, subjects=list(persons.values()), purpose=purpose, channel=CHANNEL,
                       path=request.get_full_path())
    return distributions


def _distribution(request, pk):
    distribution = _distributions(request.auth).filter(pk=pk).first()
    if distribution is None:
        raise Http404(_("No hand-over with this number is visible to you."))
    return distribution


def _offers(user):
    return (access.visible_offers(user)
            .select_related("donor_organization", "donor_user", "recipient", "campaign", "item")
            .prefetch_related("restricted_regions", "restricted_categories").order_by("-created_at", "-pk"))


def _offer(user, pk):
    offer = _offers(user).filter(pk=pk).first()
    if offer is None:
        raise Http404(_("No offer with this number is visible to you."))
    return offer


class NeedPagination(Pagination):
    """The project's paging; every person on the page answered is written to the access log."""

    def paginate_queryset(self, queryset, pagination, request, **params):
        page = super().paginate_queryset(queryset, pagination, request, **params)
        items = list(page["items"])
        access_record_many(actor=request.auth, subjects=[n.person for n in items if n.person_id],
                           purpose="aid needs list", channel=CHANNEL, path=request.get_full_path())
        return {**page, "items": items}


class DistributionPagination(Pagination):
    def paginate_queryset(self, queryset, pagination, request, **params):
        page = super().paginate_queryset(queryset, pagination, request, **params)
        items = _show_distributions(request, list(page["items"]), "aid distributions list")
        return {**page, "items": items}


# The catalogue.

@router.get("/items", response={200: list[ItemOut]}, auth=None, summary="List the item catalogue")
def list_items(request):
    """Everything that can be needed and given, in use: goods, money, services and kits with their components;
    `name` is in the language of the request, value_kzt a decimal string."""
    components = KitComponent.objects.select_related("item").order_by("item__code")
    return list(Item.objects.filter(active=True).prefetch_related(Prefetch("components", components)))


# Campaigns.

@router.get("/campaigns", response={200: list[CampaignOut], **responses(401, 422)}, auth=OptionalAuth(),
            summary="List campaigns")
@paginate(Pagination)
def list_campaigns(request):
    """Collecting and closed campaigns for anyone; drafts too for those who run them."""
    return _campaigns(request.user).order_by("-starts_on", "title", "pk")


@router.get("/campaigns/{slug}", response={200: CampaignDetailOut, **responses(401, 404, 422)}, auth=OptionalAuth(),
            summary="Get a campaign and its progress")
def get_campaign(request, slug: str = Path(..., pattern=SLUG_PATTERN)):
    """Its items and targets, and per item the units in lots, promised and handed over: counts only, no personal
    data."""
    campaign = _campaign(request.user, slug)
    campaign.progress = selectors.campaign_progress(campaign)
    campaign.can_manage = access.can_manage_campaign(request.user, campaign)
    return campaign


@router.post("/campaigns", response={201: CampaignDetailOut, **responses(400, 401, 403, 422)}, auth=AUTH,
             summary="Create a campaign")
def create_campaign(request, payload: CampaignIn):
    """A draft with its items and targets, regions and the categories of people it is for. For staff of a verified
    organisation (in its name) and coordinators (in their regions)."""
    user = request.auth
    organizer = Organization.objects.filter(pk=payload.organizer_id).first()
    items = [(_item(line.item, "items"), line.target_quantity) for line in payload.items]
    with _api_fields():
        campaign = services.campaign_create(
            actor=user, organizer=organizer, title=payload.title, slug=payload.slug, description=payload.description,
            starts_on=payload.starts_on, ends_on=payload.ends_on, items=items,
            regions=_regions(payload.regions, "regions"), categories=_categories(payload.categories, "categories"),
            # The service takes a budget of 0 only as the number, not as the text "0" or "0.00".
            budget_kzt=payload.budget_kzt if Decimal(payload.budget_kzt) else 0)
    campaign = _campaign(user, campaign.slug)
    campaign.progress = selectors.campaign_progress(campaign)
    campaign.can_manage = True
    return Status(201, campaign)


@router.post("/campaigns/{slug}/status", response={200: CampaignOut, **responses(400, 401, 403, 404, 422)}, auth=AUTH,
             summary="Open or close a campaign")
def set_campaign_status(request, payload: StatusIn, slug: str = Path(..., pattern=SLUG_PATTERN)):
    """draft, open (collecting: offers may name it) or closed (no new needs); for those who run it."""
    campaign = _campaign(request.auth, slug)
    services.campaign_set_status(actor=request.auth, campaign=campaign, status=payload.status)
    return _campaign(request.auth, slug)


@router.post("/campaigns/{slug}/gather-needs", response={200: GatheredOut, **responses(401, 403, 404, 422)},
             auth=AUTH, summary="Attach open needs to a campaign")
def gather_needs(request, slug: str = Path(..., pattern=SLUG_PATTERN)):
    """The open needs you may see, not yet in a campaign, for its items in its regions: those its allocation will
    consider."""
    campaign = _campaign(request.auth, slug)
    return {"gathered": services.campaign_gather_needs(actor=request.auth, campaign=campaign)}


@router.post("/campaigns/{slug}/lots", response={201: LotOut, **responses(400, 401, 403, 404, 422)}, auth=AUTH,
             summary="Put stock at a campaign's disposal")
def create_lot(request, payload: LotIn, slug: str = Path(..., pattern=SLUG_PATTERN)):
    """A quantity of one of the campaign's items from a warehouse of your organisation or region, maybe only for some
    categories of people. The units are reserved in the warehouse's stock: a lot larger than the free stock is
    refused."""
    user = request.auth
    campaign = _campaign(user, slug)
    warehouse = Warehouse.objects.filter(pk=payload.warehouse_id).select_related("organization", "region").first()
    with _api_fields():
        lot = services.lot_create(actor=user, campaign=campaign, warehouse=warehouse, item=_item(payload.item),
                                  quantity=payload.quantity,
                                  restricted_to=_categories(payload.restricted_to, "restricted_to"))
    return Status(201, Lot.objects.select_related("campaign", "item", "region").get(pk=lot.pk))


# Needs.

@router.get("/needs", response={200: list[NeedOut], **responses(401, 422)}, auth=AUTH, summary="List needs")
@paginate(NeedPagination)
def list_needs(request, filters: Query[NeedFilter]):
    """Needs you may see (your organisation's; a coordinator's region; your own), newest first, filtered by status,
    campaign, item and region. Every person answered is written to the access log."""
    needs = _needs(request.auth)
    if filters.status:
        needs = needs.filter(status=filters.status)
    if filters.campaign:
        needs = needs.filter(campaign__slug=filters.campaign)
    if filters.item:
        needs = needs.filter(item__code=filters.item)
    if filters.region_kato:
        needs = needs.filter(region__kato_code=filters.region_kato)
    return needs


@router.get("/needs/{need_id}", response={200: NeedOut, **responses(401, 404, 422)}, auth=AUTH, summary="Get a need")
def get_need(request, need_id: int = Path(..., ge=1, le=MAX_ID)):
    """A need you may see; the person it is for is written to the access log."""
    return _need(request, need_id, "view need")


@router.post("/needs", response={201: NeedOut, **responses(400, 401, 403, 404, 422)}, auth=AUTH,
             summary="Record a need")
def create_need(request, payload: NeedIn):
    """For a registered person (person_id; by staff of the organisation that registered them: 404 if you may not
    see the person, 403 if you may see but not change their record), or for an institution (institution_name,
    institution_kind, owner_id, region_kato; by staff of a verified organisation)."""
    user = request.auth
    person = region = owner = None
    if payload.person_id is not None:
        if payload.institution_name:
            raise ServiceError(_("Give either person_id or institution_name, not both."), field="institution_name")
        person = Person.objects.filter(pk=payload.person_id, status=Person.Status.ACTIVE).select_related(
            "region", "owner").first()
        if person is None or not registry_access.can_view_person(user, person):
            raise ServiceError(_("No person with this number is in your records."), field="person_id",
                               code="not_found")
    else:
        if payload.region_kato is not None:
            region = _region(payload.region_kato)
        if payload.owner_id is not None:
            owner = Organization.objects.filter(pk=payload.owner_id).first()
    with _api_fields():
        need = services.need_create(
            actor=user, item=_item(payload.item), quantity=payload.quantity, urgency=payload.urgency, person=person,
            institution_name=payload.institution_name, institution_kind=payload.institution_kind or "",
            region=region, owner=owner, campaign=_campaign_field(user, payload.campaign),
            evidence=payload.evidence, description=payload.description)
    return Status(201, _need(request, need.pk, "record need"))


@router.post("/needs/{need_id}/cancel", response={200: NeedOut, **responses(400, 401, 403, 404, 409, 422)}, auth=AUTH,
             summary="Cancel a need")
def cancel_need(request, payload: ReasonIn, need_id: int = Path(..., ge=1, le=MAX_ID)):
    """With the reason; only an open need without planned hand-overs (409 otherwise)."""
    need = _need(request, need_id, "cancel need")
    services.need_cancel(actor=request.auth, need=need, reason=payload.reason)
    return _needs(request.auth).get(pk=need.pk)


@router.post("/apply", response={201: NeedOut, **responses(400, 401, 403, 422)}, auth=AUTH,
             summary="Ask for help for yourself")
def apply(request, payload: ApplyIn):
    """Anyone signed in. With a registry record linked to your account the need is yours at once; otherwise give
    your name, phone and region, and a coordinator of the region links it to a record."""
    user = request.auth
    region = _region(payload.region_kato) if payload.region_kato else None
    with _api_fields():
        need = services.need_apply(actor=user, item=_item(payload.item), quantity=payload.quantity,
                                   urgency=payload.urgency, description=payload.description, region=region,
                                   phone=payload.phone, name=payload.name)
    return Status(201, _need(request, need.pk, "own application"))


# Allocation.

@router.post("/campaigns/{slug}/allocations", response={201: RunOut, **responses(400, 401, 403, 404, 422)}, auth=AUTH,
             summary="Preview an allocation")
def preview_allocation(request, payload: PreviewIn, slug: str = Path(..., pattern=SLUG_PATTERN)):
    """Solves the campaign's open needs against its lots' remaining stock exactly, and answers each need's priority,
    units served and reason. Nothing is promised until the preview is confirmed. The recipient's name shows only
    where you may see the need."""
    campaign = _campaign(request.auth, slug)
    run = services.allocation_preview(actor=request.auth, campaign=campaign, cross_region=payload.cross_region,
                                      excluded_needs=payload.excluded_needs, excluded_lots=payload.excluded_lots,
                                      locks=[tuple(lock) for lock in payload.locks])
    return Status(201, _run_out(request, AllocationRun.objects.select_related("campaign").get(pk=run.pk)))


@router.get("/allocations/{run_id}", response={200: RunOut, **responses(401, 404, 422)}, auth=AUTH,
            summary="Get an allocation")
def get_allocation(request, run_id: int = Path(..., ge=1, le=MAX_ID)):
    """A preview or a confirmed allocation of a campaign you run, with every decision."""
    return _run_out(request, _run(request.auth, run_id))


@router.post("/allocations/{run_id}/confirm",
             response={201: list[DistributionOut], **responses(401, 403, 404, 409, 422)}, auth=AUTH,
             summary="Confirm an allocation")
def confirm_allocation(request, run_id: int = Path(..., ge=1, le=MAX_ID)):
    """Promises the lots' units and creates a planned hand-over for each line. 409 when the preview was confirmed,
    dropped or replaced already, or when the stock or a need changed since (code `stale`: make a new preview)."""
    run = _run(request.auth, run_id)
    try:
        created = services.allocation_confirm(actor=request.auth, run=run)
    except ServiceError as exc:
        if exc.code == "stale":
            return _conflict(exc)
        raise
    distributions = list(_distributions(request.auth).filter(pk__in=[d.pk for d in created]))
    return Status(201, _show_distributions(request, distributions, "allocation confirmed"))


@router.post("/allocations/{run_id}/discard", response={200: RunOut, **responses(401, 403, 404, 409, 422)},
             auth=AUTH, summary="Drop an allocation preview")
def discard_allocation(request, run_id: int = Path(..., ge=1, le=MAX_ID)):
    """Only a preview can be dropped (409 otherwise)."""
    run = _run(request.auth, run_id)
    services.allocation_discard(actor=request.auth, run=run)
    return _run_out(request, _run(request.auth, run_id))


# Distributions.

@router.get("/distributions", response={200: list[DistributionOut], **responses(401, 422)}, auth=AUTH,
            summary="List hand-overs")
@paginate(DistributionPagination)
def list_distributions(request, filters: Query[DistributionFilter]):
    """Hand-overs you give (your organisation's, your region's as a coordinator, yours as a volunteer) or receive;
    newest first. A recipient sees their one-time code while the hand-over is planned. Every person named is written
    to the access log."""
    distributions = _distributions(request.auth)
    if filters.status:
        distributions = distributions.filter(status=filters.status)
    if filters.campaign:
        distributions = distributions.filter(campaign__slug=filters.campaign)
    return distributions


@router.post("/distributions/{distribution_id}/hand-over",
             response={200: DistributionOut, **responses(400, 401, 403, 404, 409, 422)}, auth=AUTH,
             summary="Record a hand-over")
def hand_over(request, payload: HandOverIn, distribution_id: int = Path(..., ge=1, le=MAX_ID)):
    """The recipient tells their one-time code (`code`), or signed the paper list (`signature: true`). A wrong code
    is refused naming `code`; a hand-over already recorded or cancelled is a 409."""
    distribution = _distribution(request, distribution_id)
    services.distribution_hand_over(actor=request.auth, distribution=distribution, code=payload.code,
                                    signature=payload.signature)
    return _show_distributions(request, [_distribution(request, distribution_id)], "hand-over")[0]


@router.post("/distributions/{distribution_id}/cancel",
             response={200: DistributionOut, **responses(400, 401, 403, 404, 409, 422)}, auth=AUTH,
             summary="Cancel a planned hand-over")
def cancel_distribution(request, payload: ReasonIn, distribution_id: int = Path(..., ge=1, le=MAX_ID)):
    """With the reason; its units go back to the lot for the next allocation."""
    distribution = _distribution(request, distribution_id)
    services.distribution_cancel(actor=request.auth, distribution=distribution, reason=payload.reason)
    return _show_distributions(request, [_distribution(request, distribution_id)], "cancel hand-over")[0]


# Offers.

@router.get("/offers", response={200: list[OfferOut], **responses(401, 422)}, auth=AUTH, summary="List offers")
@paginate(Pagination)
def list_offers(request, filters: Query[OfferFilter]):
    """Your own offers (as a person or for your organisation), and those made to your organisation; newest first."""
    offers = _offers(request.auth)
    if filters.status:
        offers = offers.filter(status=filters.status)
    if filters.kind:
        offers = offers.filter(kind=filters.kind)
    return offers


@router.post("/offers", response={201: OfferOut, **responses(400, 401, 403, 422)}, auth=AUTH, summary="Make an offer")
def create_offer(request, payload: OfferIn):
    """Money (amount_kzt, a decimal string with at most two decimals), goods (item, quantity, maybe the recipient's
    warehouse) or volunteer time (hours), to a verified organisation, maybe for a collecting campaign and only for
    some regions or categories of people."""
    user = request.auth
    recipient = Organization.objects.filter(pk=payload.recipient_id).first()
    donor_organization = None
    if payload.donor_organization_id is not None:
        donor_organization = Organization.objects.filter(pk=payload.donor_organization_id).first()
        if donor_organization is None:
            raise ServiceError(_("You may give in the name of an organisation only if you work for it."),
                               field="donor_organization_id")
    warehouse = None
    if payload.warehouse_id is not None:
        warehouse = Warehouse.objects.filter(pk=payload.warehouse_id, active=True).first()
        if warehouse is None:
            raise ServiceError(_("Choose a warehouse of the organisation you give to."), field="warehouse_id")
    with _api_fields():
        offer = services.offer_create(
            actor=user, kind=payload.kind, recipient=recipient, donor_organization=donor_organization,
            campaign=_campaign_field(user, payload.campaign), amount_kzt=payload.amount_kzt,
            item=_item(payload.item) if payload.item else None, quantity=payload.quantity, warehouse=warehouse,
            hours=payload.hours, available_from=payload.available_from, available_to=payload.available_to,
            restricted_regions=_regions(payload.restricted_regions, "restricted_regions"),
            restricted_categories=_categories(payload.restricted_categories, "restricted_categories"),
            note=payload.note)
    return Status(201, _offer(user, offer.pk))


IdempotencyHeader = Header(None, alias="Idempotency-Key", min_length=1, max_length=100,
                           description="A key of your choice: a retried receipt is recorded in the ledger once.")


@router.post("/offers/{offer_id}/receive", response={200: OfferOut, **responses(400, 401, 403, 404, 409, 422)},
             auth=AUTH, summary="Record that a gift arrived")
def receive_offer(request, payload: ReceiveIn | None = None, offer_id: int = Path(..., ge=1, le=MAX_ID),
                  idempotency_key: str | None = IdempotencyHeader):
    """For staff of the organisation it was given to: money goes to its ledger (restricted to the campaign when
    given for one), goods into a warehouse's stock and, for a campaign, a lot it can allocate. An offer received
    already is a 409."""
    user = request.auth
    offer = _offer(user, offer_id)
    body_key = payload.idempotency_key if payload else None
    if idempotency_key and body_key and idempotency_key != body_key:
        raise ServiceError(_("The Idempotency-Key header and the idempotency_key field differ. Send one of them."),
                           field="idempotency_key")
    warehouse = None
    if payload and payload.warehouse_id is not None:
        warehouse = access.warehouses_for(user).filter(pk=payload.warehouse_id).first()
        if warehouse is None:
            raise ServiceError(_("Choose the warehouse of your organisation the goods arrived at."),
                               field="warehouse_id")
    with _api_fields():
        services.offer_receive(actor=user, offer=offer, warehouse=warehouse,
                               idempotency_key=idempotency_key or body_key or "")
    return _offer(user, offer_id)


@router.post("/offers/{offer_id}/cancel", response={200: OfferOut, **responses(400, 401, 403, 404, 409, 422)},
             auth=AUTH, summary="Cancel an offer")
def cancel_offer(request, payload: ReasonIn, offer_id: int = Path(..., ge=1, le=MAX_ID)):
    """A pledge not yet received, by its donor or the organisation it was made to; a received gift is corrected by
    a reversing entry in the ledger (409)."""
    offer = _offer(request.auth, offer_id)
    services.offer_cancel(actor=request.auth, offer=offer, reason=payload.reason)
    return _offer(request.auth, offer_id)
