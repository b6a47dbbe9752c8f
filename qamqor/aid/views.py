"""Pages of the aid app: needs and applications, campaigns with their lots and allocation, hand-overs, offers.
Views fetch through access.py and selectors, write through services, and log every view of personal data."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qamqor.core.errors import PermissionDenied as ServicePermissionDenied
from qamqor.core.errors import ServiceError
from qamqor.core.services import access_record, access_record_many
from qamqor.registry.models import Person

from . import access, allocation, forms, selectors, services
from .models import AllocationRun, Campaign, Distribution, Item, Need, Offer, Warehouse


def _people_of(needs):
    return [n.person for n in needs if n.person_id]


def _apply_service(form, call):
    """Run a service; its refusal becomes the form's error (the error summary names the field)."""
    try:
        return call()
    except ServicePermissionDenied:
        raise PermissionDenied from None
    except ServiceError as exc:
        form.add_service_error(exc)
        return None


def _need(request, pk, purpose):
    need = access.visible_needs(request.user).select_related(
        "item", "person", "person__region", "household", "region", "owner", "campaign", "applicant").filter(pk=pk).first()
    if need is None:
        raise Http404(_("No such need."))
    if need.person_id:
        access_record(actor=request.user, subject=need.person, purpose=purpose, path=request.path)
    return need


# --- Needs -----------------------------------------------------------------------------------------------------------

@login_required
def needs(request):
    if not access.can_work_on_needs(request.user):
        raise PermissionDenied
    qs = access.visible_needs(request.user).select_related("item", "person", "region", "owner", "campaign")
    status = request.GET.get("status", "open")
    if status in Need.Status.values:
        qs = qs.filter(status=status)
    campaign = request.GET.get("campaign")
    if campaign and campaign.isdigit():
        qs = qs.filter(campaign_id=int(campaign))
    page = Paginator(qs.order_by("-urgency", "created_at", "pk"), 25).get_page(request.GET.get("page"))
    access_record_many(actor=request.user, subjects=_people_of(page.object_list), purpose="aid needs list",
                       path=request.get_full_path())
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "aid/needs.html", {
        "page": page, "status": status, "statuses": Need.Status.choices, "query": query.urlencode(),
        "can_record_institution": access.can_record_institution_need(request.user),
        "applications": access.visible_needs(request.user).filter(applicant__isnull=False,
                                                                 status=Need.Status.OPEN).count()})


def _open_campaigns():
    return Campaign.objects.filter(status=Campaign.Status.OPEN).order_by("title")


@login_required
def need_new(request):
    """A need for a registered person (?person=<id>), or for an institution."""
    person = None
    if request.GET.get("person", "").isdigit():
        from qamqor.registry.selectors import person_detail

        person = person_detail(user=request.user, pk=int(request.GET["person"]))
        if person is None:
            raise Http404(_("No such person."))
        if not access.can_record_need_for(request.user, person):
            raise PermissionDenied
        access_record(actor=request.user, subject=person, purpose="record a need", path=request.path)
        form = forms.NeedForm(request.POST or None, campaigns=_open_campaigns())
    else:
        if not access.can_record_institution_need(request.user):
            raise PermissionDenied
        from qamqor.registry.access import owners_for

        form = forms.InstitutionNeedForm(request.POST or None, campaigns=_open_campaigns(),
                                         owners=owners_for(request.user))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        need = _apply_service(form, lambda: services.need_create(actor=request.user, person=person, **data))
        if need is not None:
            messages.success(request, _("The need is recorded."))
            return redirect("aid:need", pk=need.pk)
    recent = None
    if person is not None:
        recent = selectors.recent_help(person, viewer_org_ids=access.staff_organization_ids(request.user))
    return render(request, "aid/need_form.html", {"form": form, "person": person, "recent": recent},
                  status=400 if form.errors else 200)


@login_required
def need_detail(request, pk):
    need = _need(request, pk, "view a need")
    distributions = need.distributions.select_related("organization", "item", "lot").order_by("created_at")
    recent = None
    if need.person_id and access.can_work_on_needs(request.user):
        recent = selectors.recent_help(need.person, viewer_org_ids=access.staff_organization_ids(request.user))
    return render(request, "aid/need_detail.html", {
        "need": need, "distributions": distributions, "recent": recent,
        "can_change": access.can_change_need(request.user, need) and need.status in ("open", "allocated"),
        "can_give": need.status in ("open", "allocated") and bool(access.staff_organization_ids(request.user)),
        "can_link": need.applicant_id is not None and access.can_link_application(request.user, need),
        "cancel_form": forms.CancelForm(), "link_form": forms.LinkPersonForm(),
        "give_form": forms.GiveForm(organizations=_own_organizations(request.user))})


def _own_organizations(user):
    from qamqor.registry.access import owners_for

    return owners_for(user)


@login_required
@require_POST
def need_cancel(request, pk):
    need = _need(request, pk, "cancel a need")
    form = forms.CancelForm(request.POST)
    if form.is_valid() and _apply_service(form, lambda: services.need_cancel(
            actor=request.user, need=need, reason=form.cleaned_data["reason"])) is not None:
        messages.success(request, _("The need is cancelled."))
        return redirect("aid:need", pk=need.pk)
    messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("aid:need", pk=need.pk)


@login_required
@require_POST
def need_link(request, pk):
    need = _need(request, pk, "link an application")
    form = forms.LinkPersonForm(request.POST)
    if form.is_valid():
        from qamqor.registry.access import visible_persons

        person = visible_persons(request.user).filter(iin=form.cleaned_data["iin"].strip()).first()
        if person is None:
            messages.error(request, _("Nobody with this IIN is in the registry you see. Register the person first."))
            return redirect("aid:need", pk=need.pk)
        if _apply_service(form, lambda: services.need_link_person(actor=request.user, need=need, person=person)):
            messages.success(request, _("The application is linked to the registry record."))
            return redirect("aid:need", pk=need.pk)
    messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("aid:need", pk=need.pk)


@login_required
@require_POST
def need_give(request, pk):
    need = _need(request, pk, "record help given")
    form = forms.GiveForm(request.POST, organizations=_own_organizations(request.user))
    if form.is_valid():
        given = _apply_service(form, lambda: services.distribution_create(
            actor=request.user, need=need, quantity=form.cleaned_data["quantity"],
            organization=form.cleaned_data["organization"]))
        if given is not None:
            messages.success(request, _("The hand-over is planned. Confirm it with the recipient's code or signature."))
            return redirect("aid:distribution", pk=given.pk)
    messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("aid:need", pk=need.pk)


@login_required
def apply(request):
    """A person asks for help for themselves: a short form that works with a screen reader and the keyboard."""
    registered = Person.objects.filter(user=request.user, status=Person.Status.ACTIVE).exists()
    form = forms.ApplyForm(request.POST or None, registered=registered)
    if request.method == "POST" and form.is_valid():
        need = _apply_service(form, lambda: services.need_apply(actor=request.user, **form.cleaned_data))
        if need is not None:
            messages.success(request, _("Your request is sent. You can follow it on this page."))
            return redirect("aid:my")
    return render(request, "aid/apply.html", {"form": form, "registered": registered},
                  status=400 if form.errors else 200)


@login_required
def my_help(request):
    """A person's own requests and the help planned or received, with the hand-over code to tell the giver."""
    own = access.own_needs(request.user).select_related("item", "region").order_by("-created_at")
    given = list(access.own_distributions(request.user).select_related("item", "organization").order_by("-created_at"))
    for d in given:
        d.code = services.recipient_code(d) if d.status == Distribution.Status.PLANNED else ""
    return render(request, "aid/my.html", {"needs": own, "distributions": given})


# --- Catalogue, campaigns ------------------------------------------------------------------------------------------------

def catalogue(request):
    items = Item.objects.filter(active=True).prefetch_related("components__item").order_by("help_kind", "code")
    return render(request, "aid/catalogue.html", {"items": items})


def campaigns(request):
    qs = access.visible_campaigns(request.user).select_related("organizer", "holiday").order_by("-starts_on")
    return render(request, "aid/campaigns.html", {"campaigns": qs,
                                                   "can_create": access.can_create_campaign(request.user)})


@login_required
def campaign_new(request):
    if not access.can_create_campaign(request.user):
        raise PermissionDenied
    form = forms.CampaignForm(request.POST or None, organizers=access.campaign_organizers_for(request.user))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        items = [(data.pop("item"), data.pop("target_quantity"))]
        campaign = _apply_service(form, lambda: services.campaign_create(actor=request.user, items=items, **data))
        if campaign is not None:
            messages.success(request, _("The campaign is created as a draft. Add lots, then open it."))
            return redirect("aid:campaign", slug=campaign.slug)
    return render(request, "aid/form.html", {"form": form, "title": _("New campaign")},
                  status=400 if form.errors else 200)


def _campaign(request, slug, *, manage=False):
    campaign = access.visible_campaigns(request.user).select_related("organizer", "holiday").filter(slug=slug).first()
    if campaign is None:
        raise Http404(_("No such campaign."))
    if manage and not access.can_manage_campaign(request.user, campaign):
        raise PermissionDenied
    return campaign


def campaign_detail(request, slug):
    campaign = _campaign(request, slug)
    manages = access.can_manage_campaign(request.user, campaign)
    context = {"campaign": campaign, "progress": selectors.campaign_progress(campaign), "manages": manages,
               "regions": campaign.regions.all(), "categories": campaign.categories.all()}
    if manages:
        context.update(
            lots=campaign.lots.select_related("item", "warehouse", "region").prefetch_related("restricted_to"),
            runs=campaign.allocation_runs.order_by("-created_at")[:10], statuses=Campaign.Status.choices,
            open_needs=campaign.needs.filter(status=Need.Status.OPEN).count(), allocate_form=forms.AllocateForm())
    return render(request, "aid/campaign.html", context)


@login_required
@require_POST
def campaign_status(request, slug):
    campaign = _campaign(request, slug, manage=True)
    try:
        services.campaign_set_status(actor=request.user, campaign=campaign, status=request.POST.get("status", ""))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("aid:campaign", slug=campaign.slug)


@login_required
@require_POST
def campaign_gather(request, slug):
    campaign = _campaign(request, slug, manage=True)
    count = services.campaign_gather_needs(actor=request.user, campaign=campaign)
    messages.success(request, _("%(count)d open needs were added to the campaign.") % {"count": count})
    return redirect("aid:campaign", slug=campaign.slug)


@login_required
def lot_new(request, slug):
    campaign = _campaign(request, slug, manage=True)
    form = forms.LotForm(request.POST or None, warehouses=access.warehouses_for(request.user), campaign=campaign)
    if request.method == "POST" and form.is_valid():
        lot = _apply_service(form, lambda: services.lot_create(actor=request.user, campaign=campaign,
                                                               **form.cleaned_data))
        if lot is not None:
            messages.success(request, _("The lot is added."))
            return redirect("aid:campaign", slug=campaign.slug)
    return render(request, "aid/form.html", {"form": form, "title": _("Add a lot"), "campaign": campaign},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def allocate(request, slug):
    campaign = _campaign(request, slug, manage=True)
    form = forms.AllocateForm(request.POST)
    if form.is_valid():
        run = _apply_service(form, lambda: services.allocation_preview(actor=request.user, campaign=campaign,
                                                                       **form.cleaned_data))
        if run is not None:
            return redirect("aid:run", pk=run.pk)
    return render(request, "aid/form.html", {"form": form, "title": _("Allocate the campaign"),
                                             "campaign": campaign}, status=400)


# --- Allocation runs ---------------------------------------------------------------------------------------------------

def _run(request, pk):
    run = AllocationRun.objects.select_related("campaign", "created_by").filter(pk=pk).first()
    if run is None or not access.can_manage_campaign(request.user, run.campaign):
        raise Http404(_("No such allocation."))
    return run


@login_required
def run_detail(request, pk):
    run = _run(request, pk)
    decisions = selectors.run_decisions(run, viewer=request.user)
    access_record_many(actor=request.user, subjects=[d.need.person for d in decisions if d.visible and d.need.person_id],
                       purpose="allocation preview", path=request.path)
    reasons = dict(REASON_TEXT())
    for d in decisions:
        d.reason_text = reasons.get(d.reason, d.reason)
    served = sum(1 for d in decisions if d.served)
    initial = {"cross_region": run.cross_region, "excluded_needs": ", ".join(map(str, run.excluded_needs)),
               "excluded_lots": ", ".join(map(str, run.excluded_lots)),
               "locks": "\n".join(", ".join(map(str, lock)) for lock in run.locks)}
    from qamqor.events.models import Event

    return render(request, "aid/run.html", {
        "events": Event.objects.filter(campaign=run.campaign, status="planned").order_by("starts_at"),
        "run": run, "decisions": decisions, "served": served, "units": sum(d.served for d in decisions),
        "allocate_form": forms.AllocateForm(initial=initial)})


def REASON_TEXT():
    """The engine's reason codes as sentences in the user's language."""
    return [
        (allocation.EXCLUDED, _("Left out by the coordinator.")),
        (allocation.NOTHING_ASKED, _("Nothing is left to give for this need.")),
        (allocation.SERVED, _("Served in full.")),
        (allocation.PARTIAL, _("Served in part: there was not enough for everyone with a higher priority.")),
        (allocation.NO_LOT, _("No lot of this item in the need's region.")),
        (allocation.NOT_ELIGIBLE, _("The lots of this item here are only for other groups of people.")),
        (allocation.HOUSEHOLD_CAP, _("The household already receives this item through another of its needs.")),
        (allocation.LOTS_EXHAUSTED, _("The lots that could serve it went to needs with a higher priority.")),
        (allocation.ZERO_PRIORITY, _("Its priority is zero.")),
    ]


@login_required
@require_POST
def run_confirm(request, pk):
    run = _run(request, pk)
    from qamqor.events.models import Event

    event = None
    if request.POST.get("event", "").isdigit():
        event = Event.objects.filter(pk=int(request.POST["event"]), campaign=run.campaign).first()
    try:
        created = services.allocation_confirm(actor=request.user, run=run, event=event)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("aid:run", pk=run.pk)
    messages.success(request, _("The allocation is confirmed: %(count)d hand-overs are planned.") %
                     {"count": len(created)})
    return redirect("aid:campaign", slug=run.campaign.slug)


@login_required
@require_POST
def run_discard(request, pk):
    run = _run(request, pk)
    try:
        services.allocation_discard(actor=request.user, run=run)
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("aid:campaign", slug=run.campaign.slug)


# --- Distributions -------------------------------------------------------------------------------------------------------

def _distribution(request, pk):
    distribution = access.visible_distributions(request.user).select_related(
        "need", "need__item", "item", "organization", "person", "lot", "lot__warehouse", "campaign").filter(pk=pk).first()
    if distribution is None:
        raise Http404(_("No such hand-over."))
    if distribution.person_id:
        access_record(actor=request.user, subject=distribution.person, purpose="hand-over", path=request.path)
    return distribution


@login_required
def distribution_detail(request, pk):
    distribution = _distribution(request, pk)
    can_hand = access.can_hand_over(request.user, distribution) and distribution.status == "planned"
    form = forms.HandOverForm(request.POST or None) if can_hand else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            done = _apply_service(form, lambda: services.distribution_hand_over(
                actor=request.user, distribution=distribution, code=form.cleaned_data["code"],
                signature=form.cleaned_data["signature"]))
            if done is not None:
                messages.success(request, _("The hand-over is recorded."))
                return redirect("aid:distribution", pk=distribution.pk)
    code = services.recipient_code(distribution) if (
        distribution.status == "planned" and access.is_recipient(request.user, distribution)) else ""
    return render(request, "aid/distribution.html", {
        "distribution": distribution, "form": form, "cancel_form": forms.CancelForm() if can_hand else None,
        "code": code}, status=400 if form is not None and form.errors else 200)


@login_required
@require_POST
def distribution_cancel(request, pk):
    distribution = _distribution(request, pk)
    form = forms.CancelForm(request.POST)
    if form.is_valid() and _apply_service(form, lambda: services.distribution_cancel(
            actor=request.user, distribution=distribution, reason=form.cleaned_data["reason"])) is not None:
        messages.success(request, _("The hand-over is cancelled; its units are back in the lot."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("aid:distribution", pk=distribution.pk)


# --- Offers, warehouses --------------------------------------------------------------------------------------------------

@login_required
def offers(request):
    qs = access.visible_offers(request.user).select_related("recipient", "donor_organization", "donor_user", "item",
                                                            "campaign", "warehouse").order_by("-created_at")
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    staff_orgs = access.staff_organization_ids(request.user)
    for offer in page.object_list:
        offer.receivable = offer.status == "pledged" and (offer.recipient_id in staff_orgs
                                                          or access.is_platform_admin(request.user))
    return render(request, "aid/offers.html", {"page": page, "query": ""})


@login_required
def offer_new(request):
    from qamqor.organizations.models import Organization

    form = forms.OfferForm(request.POST or None,
                           recipients=Organization.objects.filter(status="verified").order_by("name"),
                           donor_organizations=access.donor_organizations_for(request.user),
                           campaigns=_open_campaigns())
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        offer = _apply_service(form, lambda: services.offer_create(actor=request.user, **data))
        if offer is not None:
            messages.success(request, _("Thank you. The organisation sees your offer and will confirm when it arrives."))
            return redirect("aid:offers")
    return render(request, "aid/form.html", {"form": form, "title": _("Offer help")},
                  status=400 if form.errors else 200)


def _offer(request, pk):
    offer = access.visible_offers(request.user).select_related("recipient", "item").filter(pk=pk).first()
    if offer is None:
        raise Http404(_("No such offer."))
    return offer


@login_required
def offer_receive(request, pk):
    offer = _offer(request, pk)
    if not access.can_receive_offer(request.user, offer):
        raise PermissionDenied
    form = forms.ReceiveForm(request.POST or None, warehouses=Warehouse.objects.filter(
        organization=offer.recipient, active=True))
    if request.method == "POST" and form.is_valid():
        done = _apply_service(form, lambda: services.offer_receive(actor=request.user, offer=offer,
                                                                   warehouse=form.cleaned_data["warehouse"]))
        if done is not None:
            messages.success(request, _("The gift is recorded as received."))
            return redirect("aid:offers")
    return render(request, "aid/form.html", {"form": form, "title": _("Record that the gift arrived"),
                                             "offer": offer}, status=400 if form.errors else 200)


@login_required
@require_POST
def offer_cancel(request, pk):
    offer = _offer(request, pk)
    form = forms.CancelForm(request.POST)
    if form.is_valid() and _apply_service(form, lambda: services.offer_cancel(
            actor=request.user, offer=offer, reason=form.cleaned_data["reason"])) is not None:
        messages.success(request, _("The offer is cancelled."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("aid:offers")


@login_required
def warehouses(request):
    if not access.can_work_on_needs(request.user):
        raise PermissionDenied
    own = _own_organizations(request.user)
    form = forms.WarehouseForm(request.POST or None, organizations=own)
    if request.method == "POST" and form.is_valid():
        done = _apply_service(form, lambda: services.warehouse_create(actor=request.user, **form.cleaned_data))
        if done is not None:
            messages.success(request, _("The warehouse is added."))
            return redirect("aid:warehouses")
    return render(request, "aid/warehouses.html", {
        "warehouses": access.warehouses_for(request.user), "form": form if own.exists() else None},
        status=400 if form.errors else 200)
