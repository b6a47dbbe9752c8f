"""Every write of the aid app: needs, applications, campaigns, lots, offers, allocation runs and distributions.
Each checks permission through access.py, validates, writes its audit row in the same transaction, and raises
ServiceError (a whole translated sentence naming the field) without changing anything when it refuses."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from qamqor.core.errors import PermissionDenied, ServiceError
from qamqor.core.services import audit_record
from qamqor.ledger import services as ledger
from qamqor.lib.codes import code_matches, one_time_code
from qamqor.lib.translit import to_latin
from qamqor.registry.models import Person
from qamqor.registry.selectors import current_household

from . import access
from .models import (AllocationDecision, AllocationLine, AllocationRun, Campaign, CampaignItem, Distribution, Item,
                     Lot, Need, Offer)

MAX_QUANTITY = 10_000_000
MAX_AMOUNT = Decimal("999999999999.99")


# --- Validation helpers --------------------------------------------------------------------------------------------

def whole_quantity(value, *, field: str = "quantity", allow_zero: bool = False) -> int:
    """A whole number of units, refused with a clear message if negative, fractional or not a number."""
    if isinstance(value, bool):
        value = None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise ServiceError(_("Enter the quantity as a whole number, such as 3."), field=field) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise ServiceError(_("Enter the quantity as a whole number of units, without a fraction."), field=field)
    if number < 0 or (number == 0 and not allow_zero):
        raise ServiceError(_("The quantity must be more than zero."), field=field)
    if number > MAX_QUANTITY:
        raise ServiceError(_("The quantity is too large. Check the number."), field=field)
    return int(number)


def money_amount(value, *, field: str = "amount_kzt") -> Decimal:
    """An amount in tenge with at most two decimals (tiyn), more than zero."""
    try:
        amount = Decimal(str(value).strip().replace(" ", "").replace(",", "."))
    except (InvalidOperation, ValueError, TypeError):
        raise ServiceError(_("Enter the amount in tenge, such as 15000 or 15000.50."), field=field) from None
    if not amount.is_finite():
        raise ServiceError(_("Enter the amount in tenge, such as 15000 or 15000.50."), field=field)
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(Decimal("0.01")):
        raise ServiceError(_("An amount has at most two decimals (tiyn)."), field=field)
    if amount <= 0:
        raise ServiceError(_("The amount must be more than zero."), field=field)
    if amount > MAX_AMOUNT:
        raise ServiceError(_("The amount is too large. Check the number."), field=field)
    return amount.quantize(Decimal("0.01"))


def _is_zero(value) -> bool:
    """No amount given: empty, or zero written any way ("0", "0.00", 0)."""
    if value is None or str(value).strip() == "":
        return True
    try:
        return Decimal(str(value).strip().replace(",", ".")) == 0
    except (InvalidOperation, ValueError):
        return False


def _urgency(value) -> int:
    try:
        urgency = int(value)
    except (TypeError, ValueError):
        urgency = 0
    if urgency not in Need.Urgency.values:
        raise ServiceError(_("Choose how urgent the need is."), field="urgency")
    return urgency


def _item(item, *, field="item") -> Item:
    if not isinstance(item, Item) or not item.active:
        raise ServiceError(_("Choose an item from the catalogue."), field=field)
    return item


# --- Needs ---------------------------------------------------------------------------------------------------------

def need_create(*, actor, item: Item, quantity, urgency=Need.Urgency.NORMAL, person: Person | None = None,
                institution_name: str = "", institution_kind: str = "", region=None, owner=None,
                campaign: Campaign | None = None, evidence: str = "", description: str = "") -> Need:
    """Record a need on a person's behalf (staff of the organisation that registered them) or for an institution."""
    item = _item(item)
    quantity = whole_quantity(quantity)
    urgency = _urgency(urgency)
    institution_name = (institution_name or "").strip()
    household = None
    if person is not None:
        if not access.can_record_need_for(actor, person):
            raise PermissionDenied(_("Only staff of the organisation that registered this person may record their "
                                     "needs."))
        owner = person.owner
        region = person.region
        household = current_household(person)
        institution_name = ""
    else:
        if not institution_name:
            raise ServiceError(_("Name the institution the need is for, or record it for a registered person."),
                               field="institution_name")
        if institution_kind not in Need.InstitutionKind.values:
            raise ServiceError(_("Choose the kind of institution."), field="institution_kind")
        if not access.can_record_institution_need(actor):
            raise PermissionDenied(_("Only staff of a verified organisation may record needs of institutions."))
        if owner is None or (owner.pk not in access.staff_organization_ids(actor)
                             and not access.is_platform_admin(actor)):
            raise ServiceError(_("Choose one of your own verified organisations."), field="owner")
        if region is None:
            raise ServiceError(_("Choose the region."), field="region")
    if campaign is not None:
        _check_campaign_takes(campaign, item, region)
    with transaction.atomic():
        need = Need.objects.create(person=person, household=household, institution_name=institution_name,
                                   institution_kind=institution_kind if person is None else "", item=item,
                                   quantity=quantity, urgency=urgency, region=region, owner=owner, campaign=campaign,
                                   evidence=(evidence or "").strip()[:300], description=(description or "").strip(),
                                   created_by=actor)
        audit_record(actor=actor, action="need.create", obj=need, after=_need_snapshot(need))
    return need


def need_apply(*, actor, item: Item, quantity, urgency=Need.Urgency.NORMAL, description: str = "", region=None,
               phone: str = "", name: str = "") -> Need:
    """A person asks for help for themselves. With a registry record linked to their account the need is theirs at
    once; otherwise it waits for a coordinator of the region to link it to a record."""
    if not access.can_apply(actor):
        raise PermissionDenied(_("Sign in to ask for help."))
    item = _item(item)
    quantity = whole_quantity(quantity)
    urgency = _urgency(urgency)
    description = (description or "").strip()
    if not description:
        raise ServiceError(_("Say in a few words what you need and why."), field="description")
    person = Person.objects.filter(user=actor, status=Person.Status.ACTIVE).select_related("region", "owner").first()
    with transaction.atomic():
        if person is not None:
            need = Need.objects.create(person=person, household=current_household(person), item=item,
                                       quantity=quantity, urgency=urgency, region=person.region, owner=person.owner,
                                       self_applied=True, description=description, applicant_phone=phone[:32],
                                       created_by=actor)
        else:
            name = (name or actor.full_name or "").strip()
            if not name:
                raise ServiceError(_("Enter your name."), field="name")
            if region is None:
                raise ServiceError(_("Choose your region."), field="region")
            if not (phone or "").strip():
                raise ServiceError(_("Enter a phone number so that a coordinator can reach you."), field="phone")
            need = Need.objects.create(applicant=actor, applicant_name=name[:200], applicant_phone=phone.strip()[:32],
                                       item=item, quantity=quantity, urgency=urgency, region=region, self_applied=True,
                                       description=description, created_by=actor)
        audit_record(actor=actor, action="need.apply", obj=need, after=_need_snapshot(need))
    return need


def need_link_person(*, actor, need: Need, person: Person) -> Need:
    """A coordinator links an application to the applicant's registry record: it then counts for their household."""
    if not access.can_link_application(actor, need):
        raise PermissionDenied(_("Only a coordinator of the region links applications to registry records."))
    if need.person_id is not None or need.applicant_id is None:
        raise ServiceError(_("This need is already linked to a registry record."), code="conflict")
    if person.status != Person.Status.ACTIVE:
        raise ServiceError(_("Choose an active registry record."), field="person")
    with transaction.atomic():
        locked = Need.objects.select_for_update().get(pk=need.pk)
        before = _need_snapshot(locked)
        locked.person = person
        locked.household = current_household(person)
        locked.owner = person.owner
        locked.applicant = None
        locked.applicant_name = ""
        locked.save()
        if person.user_id is None and need.applicant_id:
            Person.objects.filter(pk=person.pk, user__isnull=True).update(user_id=need.applicant_id)
        audit_record(actor=actor, action="need.link", obj=locked, before=before, after=_need_snapshot(locked))
    return locked


def need_cancel(*, actor, need: Need, reason: str) -> Need:
    if not access.can_change_need(actor, need):
        raise PermissionDenied(_("You may not change this need."))
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Say why the need is cancelled."), field="reason")
    with transaction.atomic():
        locked = Need.objects.select_for_update().get(pk=need.pk)
        if locked.status not in (Need.Status.OPEN, Need.Status.ALLOCATED):
            raise ServiceError(_("Only an open need can be cancelled."), code="conflict")
        if locked.distributions.filter(status=Distribution.Status.PLANNED).exists():
            raise ServiceError(_("Cancel its planned hand-overs first: their goods go back to the lots."),
                               code="conflict")
        before = _need_snapshot(locked)
        locked.status = Need.Status.CANCELLED
        locked.cancel_reason = reason[:300]
        locked.save(update_fields=["status", "cancel_reason"])
        audit_record(actor=actor, action="need.cancel", obj=locked, before=before, after=_need_snapshot(locked),
                     reason=reason)
    return locked


def _need_snapshot(need: Need) -> dict:
    return {"person": need.person_id, "household": need.household_id, "institution": need.institution_name,
            "applicant": need.applicant_id, "item": need.item.code, "quantity": need.quantity, "urgency": need.urgency,
            "region": need.region_id, "campaign": need.campaign_id, "status": need.status, "owner": need.owner_id}


# --- Campaigns and lots ----------------------------------------------------------------------------------------------

def _check_campaign_takes(campaign: Campaign, item: Item, region) -> None:
    if campaign.status == Campaign.Status.CLOSED:
        raise ServiceError(_("This campaign is closed."), field="campaign")
    if not campaign.items.filter(item=item).exists():
        raise ServiceError(_("This campaign does not give this item."), field="campaign")
    regions = set(campaign.regions.values_list("pk", flat=True))
    if regions and region is not None and region.pk not in regions:
        raise ServiceError(_("This campaign does not work in this region."), field="campaign")


def campaign_create(*, actor, organizer, title: str, starts_on: dt.date, ends_on: dt.date, items, regions=(),
                    categories=(), description: str = "", holiday=None, budget_kzt=0, slug: str = "") -> Campaign:
    """A campaign with what it gives and its targets: items is [(Item, target quantity), ...]."""
    if not access.can_create_campaign(actor):
        raise PermissionDenied(_("Only coordinators and staff of verified organisations run campaigns."))
    if organizer is None or not access.campaign_organizers_for(actor).filter(pk=organizer.pk).exists():
        raise ServiceError(_("Choose an organiser among the organisations you work for or coordinate."),
                           field="organizer")
    title = (title or "").strip()
    if not title:
        raise ServiceError(_("Give the campaign a title."), field="title")
    if starts_on is None or ends_on is None:
        raise ServiceError(_("Enter the dates of the campaign."), field="starts_on")
    if ends_on < starts_on:
        raise ServiceError(_("The campaign must end on or after the day it starts."), field="ends_on")
    budget = Decimal("0") if _is_zero(budget_kzt) else money_amount(budget_kzt, field="budget_kzt")
    regions = list(regions)
    coordinator_regions = access.coordinator_region_ids(actor)
    if (not access.is_platform_admin(actor) and organizer.pk not in access.staff_organization_ids(actor)
            and not (regions and {r.pk for r in regions} <= coordinator_regions)):
        raise ServiceError(_("A coordinator's campaign works in the coordinator's regions: choose them."),
                           field="regions")
    lines = []
    seen = set()
    for item, target in items:
        item = _item(item, field="items")
        if item.pk in seen:
            raise ServiceError(_("Each item is listed once."), field="items")
        seen.add(item.pk)
        lines.append((item, whole_quantity(target, field="items")))
    if not lines:
        raise ServiceError(_("Add at least one item the campaign gives."), field="items")
    # Kazakh and Russian titles make Latin addresses ("Құрбан айт 2027" → "kurban-ait-2027"), not bare numbers.
    slug = slugify(to_latin(slug or title))[:60] or "campaign"
    base, n = slug, 2
    while Campaign.objects.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    with transaction.atomic():
        campaign = Campaign.objects.create(title=title[:200], slug=slug, description=(description or "").strip(),
                                           organizer=organizer, holiday=holiday, starts_on=starts_on, ends_on=ends_on,
                                           budget_kzt=budget, created_by=actor)
        campaign.regions.set(regions)
        campaign.categories.set(list(categories))
        CampaignItem.objects.bulk_create([CampaignItem(campaign=campaign, item=i, target_quantity=q) for i, q in lines])
        audit_record(actor=actor, action="campaign.create", obj=campaign, after={
            "title": campaign.title, "organizer": organizer.pk, "regions": [r.pk for r in regions],
            "items": {i.code: q for i, q in lines}, "budget_kzt": str(budget)})
    return campaign


def campaign_set_status(*, actor, campaign: Campaign, status: str) -> Campaign:
    if not access.can_manage_campaign(actor, campaign):
        raise PermissionDenied(_("Only those who run this campaign may change it."))
    if status not in Campaign.Status.values:
        raise ServiceError(_("Choose a status."), field="status")
    with transaction.atomic():
        before = campaign.status
        Campaign.objects.filter(pk=campaign.pk).update(status=status)
        campaign.status = status
        audit_record(actor=actor, action="campaign.status", obj=campaign, before={"status": before},
                     after={"status": status})
    return campaign


def campaign_gather_needs(*, actor, campaign: Campaign) -> int:
    """Attach to the campaign the open needs, not yet in a campaign, for its items in its regions (those the actor
    may see): the needs the allocation will consider."""
    if not access.can_manage_campaign(actor, campaign):
        raise PermissionDenied(_("Only those who run this campaign may change it."))
    needs = access.visible_needs(actor).filter(status=Need.Status.OPEN, campaign__isnull=True,
                                               item__in=campaign.items.values("item"))
    regions = list(campaign.regions.values_list("pk", flat=True))
    if regions:
        needs = needs.filter(region_id__in=regions)
    with transaction.atomic():
        ids = list(needs.values_list("pk", flat=True))
        count = Need.objects.filter(pk__in=ids, campaign__isnull=True).update(campaign=campaign)
        audit_record(actor=actor, action="campaign.gather_needs", obj=campaign, after={"needs": count})
    return count


def lot_create(*, actor, campaign: Campaign, warehouse, item: Item, quantity, restricted_to=(), offer=None) -> Lot:
    """Put a quantity of an item from a warehouse at the campaign's disposal."""
    if not access.can_manage_campaign(actor, campaign):
        raise PermissionDenied(_("Only those who run this campaign may add lots to it."))
    if warehouse is None or not access.warehouses_for(actor).filter(pk=warehouse.pk).exists():
        raise ServiceError(_("Choose a warehouse of your organisation or region."), field="warehouse")
    item = _item(item)
    if not campaign.items.filter(item=item).exists():
        raise ServiceError(_("This campaign does not give this item. Add lots only of the campaign's items."),
                           field="item")
    quantity = whole_quantity(quantity)
    with transaction.atomic():
        lot = Lot.objects.create(campaign=campaign, item=item, warehouse=warehouse, region=warehouse.region,
                                 quantity=quantity, offer=offer)
        lot.restricted_to.set(list(restricted_to))
        ledger_stock_reserve(actor=actor, lot=lot)
        audit_record(actor=actor, action="lot.create", obj=lot, after={
            "campaign": campaign.pk, "item": item.code, "warehouse": warehouse.pk, "quantity": quantity,
            "restricted_to": [c.code for c in restricted_to]})
    return lot


# --- Offers ----------------------------------------------------------------------------------------------------------

def offer_create(*, actor, kind: str, recipient, donor_organization=None, campaign: Campaign | None = None,
                 amount_kzt=None, item: Item | None = None, quantity=None, warehouse=None, hours=None,
                 available_from: dt.date | None = None, available_to: dt.date | None = None, restricted_regions=(),
                 restricted_categories=(), note: str = "") -> Offer:
    """A donor pledges money, goods or time to a verified organisation, maybe for a campaign and with restrictions."""
    if not access.can_make_offer(actor):
        raise PermissionDenied(_("Sign in to make an offer."))
    if kind not in Offer.Kind.values:
        raise ServiceError(_("Choose what you offer: money, goods or time."), field="kind")
    if recipient is None or recipient.status != "verified":
        raise ServiceError(_("Choose a verified organisation to give to."), field="recipient")
    if donor_organization is not None and not access.donor_organizations_for(actor).filter(
            pk=donor_organization.pk).exists():
        raise ServiceError(_("You may give in the name of an organisation only if you work for it."),
                           field="donor_organization")
    if campaign is not None and campaign.status != Campaign.Status.OPEN:
        raise ServiceError(_("This campaign is not collecting now."), field="campaign")
    values = {"amount_kzt": None, "item": None, "quantity": None, "hours": None, "warehouse": None}
    if kind == Offer.Kind.MONEY:
        values["amount_kzt"] = money_amount(amount_kzt)
    elif kind == Offer.Kind.GOODS:
        values["item"] = _item(item)
        if values["item"].kind == Item.Kind.MONEY:
            raise ServiceError(_("Offer money as money, not as goods."), field="item")
        values["quantity"] = whole_quantity(quantity)
        if campaign is not None and not campaign.items.filter(item=values["item"]).exists():
            raise ServiceError(_("This campaign does not collect this item."), field="item")
        if warehouse is not None and warehouse.organization_id != recipient.pk:
            raise ServiceError(_("Choose a warehouse of the organisation you give to."), field="warehouse")
        values["warehouse"] = warehouse
    else:
        values["hours"] = whole_quantity(hours, field="hours")
    if available_from and available_to and available_to < available_from:
        raise ServiceError(_("The last day must be on or after the first."), field="available_to")
    with transaction.atomic():
        offer = Offer.objects.create(kind=kind, recipient=recipient, campaign=campaign,
                                     donor_organization=donor_organization,
                                     donor_user=actor if donor_organization is None else None,
                                     available_from=available_from, available_to=available_to,
                                     note=(note or "").strip()[:300], created_by=actor, **values)
        offer.restricted_regions.set(list(restricted_regions))
        offer.restricted_categories.set(list(restricted_categories))
        audit_record(actor=actor, action="offer.create", obj=offer, after=_offer_snapshot(offer))
    return offer


def offer_receive(*, actor, offer: Offer, warehouse=None, idempotency_key: str = "") -> Offer:
    """The receiving organisation records that a gift arrived: money goes to its ledger (to the campaign's restricted
    funds when given for a campaign), goods into a warehouse's stock and, for a campaign, a lot it can allocate."""
    if not access.can_receive_offer(actor, offer):
        raise PermissionDenied(_("Only staff of the organisation the gift was made to record its arrival."))
    with transaction.atomic():
        locked = Offer.objects.select_for_update().get(pk=offer.pk)
        if locked.status != Offer.Status.PLEDGED:
            raise ServiceError(_("This gift is already recorded as received, or was cancelled."), code="conflict")
        warehouse = warehouse or locked.warehouse
        if locked.kind == Offer.Kind.GOODS:
            if warehouse is None or warehouse.organization_id != locked.recipient_id:
                raise ServiceError(_("Choose the warehouse of your organisation the goods arrived at."),
                                   field="warehouse")
            locked.warehouse = warehouse
        before = _offer_snapshot(locked)
        locked.status = Offer.Status.RECEIVED
        locked.save(update_fields=["status", "warehouse"])
        key = idempotency_key or f"offer-{locked.pk}"
        if locked.kind == Offer.Kind.MONEY:
            ledger_money_receive(actor=actor, offer=locked, idempotency_key=key)
        elif locked.kind == Offer.Kind.GOODS:
            ledger_stock_receive(actor=actor, offer=locked, idempotency_key=key)
            if locked.campaign_id is not None:
                lot = Lot.objects.create(campaign=locked.campaign, item=locked.item, warehouse=warehouse,
                                         region=warehouse.region, quantity=locked.quantity, offer=locked)
                lot.restricted_to.set(list(locked.restricted_categories.all()))
                ledger_stock_reserve(actor=actor, lot=lot)
        audit_record(actor=actor, action="offer.receive", obj=locked, before=before, after=_offer_snapshot(locked))
    return locked


def offer_cancel(*, actor, offer: Offer, reason: str) -> Offer:
    if not access.can_cancel_offer(actor, offer):
        raise PermissionDenied(_("You may not cancel this offer."))
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Say why the offer is cancelled."), field="reason")
    with transaction.atomic():
        locked = Offer.objects.select_for_update().get(pk=offer.pk)
        if locked.status != Offer.Status.PLEDGED:
            raise ServiceError(_("Only a pledge not yet received can be cancelled; a received gift is corrected by a "
                                 "reversing entry in the ledger."), code="conflict")
        locked.status = Offer.Status.CANCELLED
        locked.save(update_fields=["status"])
        audit_record(actor=actor, action="offer.cancel", obj=locked, after={"status": locked.status}, reason=reason)
    return locked


def _offer_snapshot(offer: Offer) -> dict:
    return {"kind": offer.kind, "amount_kzt": str(offer.amount_kzt) if offer.amount_kzt is not None else None,
            "item": offer.item_id, "quantity": offer.quantity, "hours": offer.hours, "campaign": offer.campaign_id,
            "recipient": offer.recipient_id, "warehouse": offer.warehouse_id, "status": offer.status}


# --- The ledger ------------------------------------------------------------------------------------------------------
# The ledger records money and stock; these wrappers are the only places aid calls it.

def ledger_money_receive(*, actor, offer: Offer, idempotency_key: str):
    donor = offer.donor_organization.name if offer.donor_organization_id else offer.donor_user.full_name
    ledger.money_receive(actor=actor, organization=offer.recipient, amount=offer.amount_kzt,
                         idempotency_key=idempotency_key, campaign=offer.campaign, offer=offer, donor_name=donor)


def ledger_stock_receive(*, actor, offer: Offer, idempotency_key: str):
    ledger.stock_receive(actor=actor, warehouse=offer.warehouse, item=offer.item, quantity=offer.quantity,
                         idempotency_key=idempotency_key, offer=offer)


# --- Allocation ------------------------------------------------------------------------------------------------------

def allocation_preview(*, actor, campaign: Campaign, cross_region: bool = False, excluded_needs=(), excluded_lots=(),
                       locks=()) -> AllocationRun:
    """Solve the campaign's open needs against its lots' remaining stock, exactly; store the result as a preview
    with the reason for each need. locks are (need id, lot id, quantity)."""
    from . import allocation as engine
    from .selectors import allocation_instance

    if not access.can_manage_campaign(actor, campaign):
        raise PermissionDenied(_("Only those who run this campaign may allocate it."))
    needs, lots, priorities = allocation_instance(campaign)
    need_ids, lot_ids = {n.pk for n in needs}, {lot.pk for lot in lots}
    excluded_needs = {int(x) for x in excluded_needs} & need_ids
    excluded_lots = {int(x) for x in excluded_lots} & lot_ids
    clean_locks = []
    for need_id, lot_id, quantity in locks:
        if int(need_id) not in need_ids or int(lot_id) not in lot_ids:
            raise ServiceError(_("A locked pair names a need or a lot that is not open in this campaign."),
                               field="locks")
        clean_locks.append(engine.Lock(int(need_id), int(lot_id), whole_quantity(quantity, field="locks",
                                                                                 allow_zero=True)))
    categories = priorities["categories"]
    engine_needs = [engine.Need(id=n.pk, household=n.household_key, item=n.item_id,
                                quantity=priorities["room"][n.pk], region=n.region_id,
                                priority=priorities["priority"][n.pk], categories=tuple(sorted(categories.get(n.pk, ()))))
                    for n in needs]
    engine_lots = [engine.Lot(id=lot.pk, item=lot.item_id, quantity=lot.available, region=lot.region_id,
                              restricted_to=tuple(sorted(c.code for c in lot.restricted_to.all())))
                   for lot in lots]
    try:
        instance = engine.instance_from_objects(engine_needs, engine_lots, cross_region=cross_region, locks=clean_locks,
                                                excluded_needs=excluded_needs, excluded_lots=excluded_lots)
    except engine.InvalidInstance as exc:
        raise ServiceError(_("The locks cannot all hold: %(reason)s") % {"reason": exc.errors[0]}, field="locks") \
            from None
    started = time.perf_counter()
    result = engine.allocate(instance)
    seconds = time.perf_counter() - started
    with transaction.atomic():
        run = AllocationRun.objects.create(campaign=campaign, objective=result.objective, optimal=result.optimal,
                                           cross_region=cross_region, excluded_needs=sorted(excluded_needs),
                                           excluded_lots=sorted(excluded_lots),
                                           locks=[[lock.need, lock.lot, lock.quantity] for lock in clean_locks],
                                           seconds=seconds, created_by=actor)
        AllocationLine.objects.bulk_create([AllocationLine(run=run, need_id=n, lot_id=lot, quantity=q)
                                            for n, lot, q in result.assignments if q > 0], batch_size=2000)
        # A need with nothing left to ask because its household already got its share says so.
        AllocationDecision.objects.bulk_create([
            AllocationDecision(run=run, need_id=n.id, priority=float(n.priority), served=result.served_units(n.id),
                               reason=engine.HOUSEHOLD_CAP if n.quantity == 0 and n.id not in excluded_needs
                               else result.reason(n.id)) for n in engine_needs], batch_size=2000)
        audit_record(actor=actor, action="allocation.preview", obj=run, after={
            "campaign": campaign.pk, "needs": len(engine_needs), "lots": len(engine_lots),
            "objective": result.objective, "optimal": result.optimal})
    return run


def allocation_confirm(*, actor, run: AllocationRun, organization=None, event=None) -> list[Distribution]:
    """Confirm a preview: the lots' stock is promised (under row locks, so that two confirmations over the same last
    stock can never promise more than exists) and a planned hand-over is created for each line; with an event, the
    hand-overs happen there and count in its outcomes."""
    campaign = run.campaign
    if not access.can_manage_campaign(actor, campaign):
        raise PermissionDenied(_("Only those who run this campaign may confirm its allocation."))
    if event is not None and (event.campaign_id != campaign.pk or event.status != "planned"):
        raise ServiceError(_("Choose a planned charity event of this campaign."), field="event")
    with transaction.atomic():
        # One confirmation of a campaign at a time: the campaign row is locked first, then the run, its lots (by id)
        # and needs, so that two confirmations neither deadlock nor promise the same units twice.
        Campaign.objects.select_for_update().get(pk=campaign.pk)
        locked_run = AllocationRun.objects.select_for_update().get(pk=run.pk)
        if locked_run.status != AllocationRun.Status.PREVIEW:
            raise ServiceError(_("This allocation is no longer a preview: it was confirmed, dropped, or replaced by "
                                 "a newer one."), code="conflict")
        lines = list(locked_run.lines.all())
        lot_ids = sorted({line.lot_id for line in lines})
        # Lock the lots in one order (by id) so that two confirmations cannot deadlock.
        lots = {lot.pk: lot for lot in Lot.objects.select_for_update(of=("self",))
                .select_related("item", "warehouse__organization").filter(pk__in=lot_ids).order_by("pk")}
        needs = {n.pk: n for n in Need.objects.select_for_update().filter(
            pk__in=sorted({line.need_id for line in lines})).order_by("pk")}
        wanted: dict[int, int] = {}
        for line in lines:
            wanted[line.lot_id] = wanted.get(line.lot_id, 0) + line.quantity
        stale = None
        if any(lots[lot_id].available < quantity or lots[lot_id].excluded for lot_id, quantity in wanted.items()):
            stale = _("The stock changed since this preview was made (someone else confirmed an allocation from the "
                      "same lots). Make a new preview.")
        elif any(needs[line.need_id].status not in (Need.Status.OPEN, Need.Status.ALLOCATED) for line in lines):
            stale = _("A need in this preview was cancelled or delivered since. Make a new preview.")
        if stale:
            # Nothing else is written: the run stays marked out of date (committed), and the call is refused below.
            AllocationRun.objects.filter(pk=locked_run.pk).update(status=AllocationRun.Status.STALE)
        else:
            created = _confirm_lines(actor, campaign, locked_run, lines, lots, needs, wanted, organization, event)
    if stale:
        raise ServiceError(stale, code="stale")
    return created


def _confirm_lines(actor, campaign, locked_run, lines, lots, needs, wanted, organization, event) -> list[Distribution]:
    """Inside allocation_confirm's transaction, with the campaign, run, lots and needs locked."""
    created = []
    for lot_id, quantity in wanted.items():
        # The lot's units are already reserved in the warehouse's stock; here they are promised to needs.
        Lot.objects.filter(pk=lot_id).update(allocated=lots[lot_id].allocated + quantity)
    for line in lines:
        need = needs[line.need_id]
        lot = lots[line.lot_id]
        created.append(Distribution(
            need=need, person_id=need.person_id, household_id=need.household_id, item_id=lot.item_id,
            quantity=line.quantity, lot=lot, campaign=campaign, run=locked_run, event=event,
            organization=organization or lot.warehouse.organization,
            value_kzt=(lot.item.value_kzt or Decimal("0")) * line.quantity, created_by=actor))
    created = Distribution.objects.bulk_create(created, batch_size=2000)
    Need.objects.filter(pk__in=[line.need_id for line in lines]).update(status=Need.Status.ALLOCATED)
    locked_run.status = AllocationRun.Status.CONFIRMED
    locked_run.confirmed_by = actor
    locked_run.confirmed_at = timezone.now()
    locked_run.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    # Other previews of the campaign were made against stock that is now promised.
    AllocationRun.objects.filter(campaign=campaign, status=AllocationRun.Status.PREVIEW).update(
        status=AllocationRun.Status.STALE)
    audit_record(actor=actor, action="allocation.confirm", obj=locked_run, after={
        "distributions": len(created), "units": sum(wanted.values())})
    return created


def allocation_discard(*, actor, run: AllocationRun) -> AllocationRun:
    if not access.can_manage_campaign(actor, run.campaign):
        raise PermissionDenied(_("Only those who run this campaign may change its allocation."))
    with transaction.atomic():
        updated = AllocationRun.objects.filter(pk=run.pk, status=AllocationRun.Status.PREVIEW).update(
            status=AllocationRun.Status.DISCARDED)
        if not updated:
            raise ServiceError(_("Only a preview can be dropped."), code="conflict")
        audit_record(actor=actor, action="allocation.discard", obj=run)
    run.status = AllocationRun.Status.DISCARDED
    return run


def ledger_stock_reserve(*, actor, lot: Lot):
    """A lot earmarks stock on hand for its campaign: the ledger refuses a lot larger than the free stock."""
    ledger.stock_reserve(actor=actor, warehouse=lot.warehouse, item=lot.item, quantity=lot.quantity, lot=lot,
                         reference=f"lot-{lot.pk}")



# --- Distributions -----------------------------------------------------------------------------------------------------

def recipient_code(distribution: Distribution) -> str:
    """The recipient's one-time hand-over code (qamqor.lib.codes): shown only to the recipient; staff type the code
    the recipient tells them."""
    return one_time_code("distribution", distribution.pk, distribution.created_at)


def distribution_create(*, actor, need: Need, quantity, organization, volunteer=None, event=None,
                        item: Item | None = None) -> Distribution:
    """Help given outside an allocation run (a food package handed out on the spot, legal aid given)."""
    if organization is None or (organization.pk not in access.staff_organization_ids(actor)
                                and not access.is_platform_admin(actor)):
        raise ServiceError(_("Choose one of your own verified organisations as the one giving help."),
                           field="organization")
    if not access.can_view_need(actor, need) and need.owner_id != organization.pk:
        raise PermissionDenied(_("You may not record help for this need."))
    if need.status not in (Need.Status.OPEN, Need.Status.ALLOCATED):
        raise ServiceError(_("This need is not open."), code="conflict")
    quantity = whole_quantity(quantity)
    item = item or need.item
    with transaction.atomic():
        distribution = Distribution.objects.create(
            need=need, person_id=need.person_id, household_id=need.household_id, item=item, quantity=quantity,
            organization=organization, volunteer=volunteer, event=event, campaign=need.campaign,
            value_kzt=(item.value_kzt or Decimal("0")) * quantity, created_by=actor)
        audit_record(actor=actor, action="distribution.create", obj=distribution,
                     after={"need": need.pk, "item": item.code, "quantity": quantity})
    return distribution


def distribution_hand_over(*, actor, distribution: Distribution, code: str = "", signature: bool = False,
                           handed_at=None) -> Distribution:
    """Record that the recipient received it: they tell their one-time code, or sign the paper list."""
    if not access.can_hand_over(actor, distribution):
        raise PermissionDenied(_("You may not record this hand-over."))
    code = (code or "").strip().replace(" ", "")
    if not code and not signature:
        raise ServiceError(_("Enter the recipient's code, or confirm that they signed the list."), field="code")
    if code and not code_matches(code, recipient_code(distribution)):
        raise ServiceError(_("This code does not match. Ask the recipient to read it again from their page or "
                             "slip."), field="code")
    with transaction.atomic():
        locked = Distribution.objects.select_for_update().get(pk=distribution.pk)
        if locked.status != Distribution.Status.PLANNED:
            raise ServiceError(_("This hand-over is already recorded or was cancelled."), code="conflict")
        locked.status = Distribution.Status.HANDED
        locked.confirmation = Distribution.Confirmation.CODE if code else Distribution.Confirmation.SIGNATURE
        locked.handed_at = handed_at or timezone.now()
        locked.save(update_fields=["status", "confirmation", "handed_at"])
        ledger_stock_issue(actor=actor, distribution=locked)
        need = Need.objects.select_for_update().get(pk=locked.need_id)
        handed = sum(need.distributions.filter(status=Distribution.Status.HANDED).values_list("quantity", flat=True))
        if handed >= need.quantity and need.status != Need.Status.CANCELLED:
            Need.objects.filter(pk=need.pk).update(status=Need.Status.DELIVERED)
        audit_record(actor=actor, action="distribution.hand_over", obj=locked,
                     after={"confirmation": locked.confirmation, "handed_at": locked.handed_at.isoformat()})
    return locked


def distribution_cancel(*, actor, distribution: Distribution, reason: str) -> Distribution:
    """A planned hand-over that will not happen: its units go back to the lot for another allocation."""
    if not access.can_hand_over(actor, distribution):
        raise PermissionDenied(_("You may not change this hand-over."))
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Say why the hand-over is cancelled."), field="reason")
    with transaction.atomic():
        locked = Distribution.objects.select_for_update().get(pk=distribution.pk)
        if locked.status != Distribution.Status.PLANNED:
            raise ServiceError(_("Only a planned hand-over can be cancelled."), code="conflict")
        locked.status = Distribution.Status.CANCELLED
        locked.cancel_reason = reason[:300]
        locked.save(update_fields=["status", "cancel_reason"])
        if locked.lot_id is not None:
            lot = Lot.objects.select_for_update().get(pk=locked.lot_id)
            # Back to the lot (still reserved in the warehouse for the campaign), for the next allocation.
            Lot.objects.filter(pk=lot.pk).update(allocated=lot.allocated - locked.quantity)
        need = Need.objects.select_for_update().get(pk=locked.need_id)
        if need.status == Need.Status.ALLOCATED and not need.distributions.exclude(
                status=Distribution.Status.CANCELLED).exists():
            Need.objects.filter(pk=need.pk).update(status=Need.Status.OPEN)
        audit_record(actor=actor, action="distribution.cancel", obj=locked, reason=reason)
    return locked


def ledger_stock_issue(*, actor, distribution: Distribution):
    """A hand-over leaves the ledger: goods of a lot leave the warehouse's reserved stock; cash assistance is paid
    from the organisation's money (from the campaign's restricted funds when it is a campaign's)."""
    if distribution.item.kind == Item.Kind.MONEY:
        ledger.money_spend(actor=actor, organization=distribution.organization, amount=distribution.value_kzt,
                           purpose="cash_assistance", idempotency_key=f"distribution-{distribution.pk}",
                           campaign=distribution.campaign, distribution=distribution,
                           description=f"{distribution.item.name_en} × {distribution.quantity}")
        return
    if distribution.lot_id is not None:
        lot = distribution.lot
        ledger.stock_issue(actor=actor, warehouse=lot.warehouse, item=lot.item, quantity=distribution.quantity,
                           distribution=distribution)


def warehouse_create(*, actor, organization, name: str, region, address: str = ""):
    """A warehouse of an organisation, where its stock is kept and counted."""
    from .models import Warehouse

    if organization is None or (organization.pk not in access.staff_organization_ids(actor)
                                and not access.is_platform_admin(actor)):
        raise PermissionDenied(_("Only staff of the organisation add its warehouses."))
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("Name the warehouse."), field="name")
    if region is None:
        raise ServiceError(_("Choose the region."), field="region")
    if Warehouse.objects.filter(organization=organization, name=name).exists():
        raise ServiceError(_("Your organisation already has a warehouse with this name."), field="name")
    with transaction.atomic():
        warehouse = Warehouse.objects.create(organization=organization, name=name[:160], region=region,
                                             address=(address or "").strip()[:300])
        audit_record(actor=actor, action="warehouse.create", obj=warehouse, after={"name": warehouse.name})
    return warehouse
