"""The ledger's pages: an organisation's books and stock, the forms that record money and goods, donors' receipts
and trace pages. Who may do what is decided in access.py; every write goes through services.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from qamqor.aid.models import Campaign, Distribution, Item, Offer, Warehouse
from qamqor.core.errors import PermissionDenied as ServicePermissionDenied
from qamqor.core.errors import ServiceError
from qamqor.organizations.models import Organization

from . import access, receipts, selectors, services
from .forms import DonationForm, ReverseForm, SpendForm, StockReceiveForm, WriteOffForm
from .models import Account, Transaction


def _data(request):
    """The submitted form, even an empty one (which must show its errors, not a blank form)."""
    return request.POST if request.method == "POST" else None


def _organization(request, org_id):
    """An organisation whose books this user may see; others answer 404, as if it had no ledger."""
    organization = Organization.objects.filter(pk=org_id).select_related("region").first()
    if organization is None or not access.can_view_ledger(request.user, organization):
        raise Http404(_("No such organisation ledger."))
    return organization


def _recording(request, organization):
    if not access.can_record(request.user, organization):
        raise PermissionDenied


def _warehouse(request, pk):
    warehouse = Warehouse.objects.filter(pk=pk).select_related("organization", "region").first()
    if warehouse is None or not access.can_view_ledger(request.user, warehouse.organization):
        raise Http404(_("No such warehouse."))
    return warehouse


def _campaigns_for_donations():
    return Campaign.objects.exclude(status=Campaign.Status.CLOSED).order_by("-starts_on", "title")


def _campaigns_with_money(organization):
    ids = Account.objects.filter(organization=organization, kind=Account.Kind.RESTRICTED_CASH).values("campaign_id")
    return Campaign.objects.filter(pk__in=ids).order_by("-starts_on", "title")


def _stock_items():
    return Item.objects.filter(active=True, kind__in=(Item.Kind.GOODS, Item.Kind.KIT))


@login_required
def index(request):
    """The organisations whose books this user sees; a donor's own gifts."""
    organizations = list(access.visible_organizations(request.user).select_related("region")[:200])
    if len(organizations) == 1 and access.can_record(request.user, organizations[0]):
        return redirect("ledger:organization", org_id=organizations[0].pk)
    gifts = list(selectors.donations_of_offers(access.own_offers_filter(request.user))[:200])
    offers = list(Offer.objects.filter(access.own_offers_filter(request.user)).select_related("recipient", "campaign")
                  .order_by("-created_at")[:200])
    if not organizations and not gifts and not offers:
        raise PermissionDenied
    return render(request, "ledger/index.html", {"organizations": organizations, "gifts": gifts, "offers": offers})


@login_required
def organization_ledger(request, org_id):
    organization = _organization(request, org_id)
    page = Paginator(selectors.journal(organization=organization), 50).get_page(request.GET.get("page"))
    return render(request, "ledger/organization.html", {
        "organization": organization,
        "accounts": selectors.account_balances(organization=organization),
        "campaigns": selectors.campaign_totals(organization=organization),
        "page": page,
        "can_record": access.can_record(request.user, organization),
    })


@login_required
def donation_new(request, org_id):
    organization = _organization(request, org_id)
    _recording(request, organization)
    form = DonationForm(_data(request), campaigns=_campaigns_for_donations(),
                        initial={"received_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            txn = services.money_receive(actor=request.user, organization=organization, amount=data["amount"],
                                         idempotency_key=data["idempotency_key"], campaign=data["campaign"],
                                         donor_name=data["donor_name"], received_on=data["received_on"])
        except ServicePermissionDenied:
            raise PermissionDenied from None
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            if getattr(txn, "replayed", False):
                messages.info(request, _("This donation was already recorded; it is not recorded twice."))
            else:
                messages.success(request, _("The donation is recorded. Its receipt number is %(number)s.")
                                 % {"number": txn.receipt_number})
            return redirect("ledger:organization", org_id=organization.pk)
    return render(request, "ledger/form.html", {
        "form": form, "organization": organization, "title": _("Record a donation"), "submit": _("Record")},
        status=400 if form.errors else 200)


@login_required
def spending_new(request, org_id):
    organization = _organization(request, org_id)
    _recording(request, organization)
    form = SpendForm(_data(request), campaigns=_campaigns_with_money(organization))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            txn = services.money_spend(actor=request.user, organization=organization, amount=data["amount"],
                                       purpose=data["purpose"], idempotency_key=data["idempotency_key"],
                                       campaign=data["campaign"], description=data["description"])
        except ServicePermissionDenied:
            raise PermissionDenied from None
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            if getattr(txn, "replayed", False):
                messages.info(request, _("This payment was already recorded; it is not recorded twice."))
            else:
                messages.success(request, _("The payment is recorded."))
            return redirect("ledger:organization", org_id=organization.pk)
    return render(request, "ledger/form.html", {
        "form": form, "organization": organization, "title": _("Record a purchase or cash assistance"),
        "submit": _("Record")}, status=400 if form.errors else 200)


@login_required
def transaction_reverse(request, pk):
    txn = Transaction.objects.filter(pk=pk).select_related("organization", "campaign").first()
    if txn is None or not access.can_view_ledger(request.user, txn.organization):
        raise Http404(_("No such transaction."))
    _recording(request, txn.organization)
    form = ReverseForm(_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.transaction_reverse(actor=request.user, transaction=txn, reason=form.cleaned_data["reason"])
        except ServicePermissionDenied:
            raise PermissionDenied from None
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The reversing entry is recorded."))
            return redirect("ledger:organization", org_id=txn.organization_id)
    return render(request, "ledger/reverse.html", {"form": form, "txn": txn, "organization": txn.organization},
                  status=400 if form.errors else 200)


@login_required
def stock(request, org_id):
    organization = _organization(request, org_id)
    warehouses = list(Warehouse.objects.filter(organization=organization).select_related("region").order_by("name"))
    return render(request, "ledger/stock.html", {
        "organization": organization, "warehouses": warehouses,
        "balances": list(selectors.stock_on_hand(organization=organization)),
        "can_record": access.can_record(request.user, organization),
    })


@login_required
def warehouse_detail(request, pk):
    warehouse = _warehouse(request, pk)
    return render(request, "ledger/warehouse.html", {
        "warehouse": warehouse, "organization": warehouse.organization,
        "balances": list(selectors.stock_on_hand(warehouse=warehouse)),
        "movements": selectors.stock_movements(warehouse=warehouse),
        "can_record": access.can_record(request.user, warehouse.organization),
    })


def _stock_form(request, pk, *, form_class, title, act, done):
    warehouse = _warehouse(request, pk)
    _recording(request, warehouse.organization)
    form = form_class(_data(request), items=_stock_items())
    if request.method == "POST" and form.is_valid():
        try:
            act(warehouse, form.cleaned_data)
        except ServicePermissionDenied:
            raise PermissionDenied from None
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, done)
            return redirect("ledger:warehouse", pk=warehouse.pk)
    return render(request, "ledger/form.html", {"form": form, "organization": warehouse.organization,
                                                "warehouse": warehouse, "title": title, "submit": _("Record")},
                  status=400 if form.errors else 200)


@login_required
def stock_receive(request, pk):
    def act(warehouse, data):
        services.stock_receive(actor=request.user, warehouse=warehouse, item=data["item"], quantity=data["quantity"],
                               idempotency_key=data["idempotency_key"])

    return _stock_form(request, pk, form_class=StockReceiveForm, title=_("Receive goods"), act=act,
                       done=_("The goods are received."))


@login_required
def stock_write_off(request, pk):
    def act(warehouse, data):
        services.stock_write_off(actor=request.user, warehouse=warehouse, item=data["item"],
                                 quantity=data["quantity"], reason=data["reason"],
                                 idempotency_key=data["idempotency_key"])

    return _stock_form(request, pk, form_class=WriteOffForm, title=_("Write off goods"), act=act,
                       done=_("The goods are written off."))


@login_required
def receipt(request, pk):
    """A donation's receipt as PDF, in the language asked for (?lang=kk|ru|en), else the page's language."""
    txn = (Transaction.objects.filter(pk=pk).select_related("organization", "campaign", "offer", "reversed_by")
           .first())
    if txn is None or not access.can_view_receipt(request.user, txn):
        raise Http404(_("No such receipt."))
    lang = request.GET.get("lang") or (translation.get_language() or "kk")[:2]
    if lang not in receipts.LANGUAGES:
        lang = "kk"
    content = receipts.receipt_pdf(txn, lang, issued_on=timezone.localdate())
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="qamqor-receipt-{txn.receipt_number}-{lang}.pdf"'
    return response


@login_required
def trace(request, offer_id):
    offer = Offer.objects.filter(pk=offer_id).select_related("recipient", "campaign", "donor_organization").first()
    if offer is None or not access.can_view_trace(request.user, offer):
        raise Http404(_("No such gift."))
    found = selectors.offer_trace(offer=offer)
    lang = (translation.get_language() or "kk")[:2]
    lang = lang if lang in receipts.LANGUAGES else "kk"
    statuses = dict(Distribution.Status.choices)
    lots = [{"item": row[f"item__name_{lang}"], "region": row[f"region__name_{lang}"], "lots": row["lots"],
             "quantity": row["quantity"], "allocated": row["allocated"]} for row in found.lots]
    distributions = [{"region": row[f"need__region__name_{lang}"], "item": row[f"item__name_{lang}"],
                      "status": statuses.get(row["status"], row["status"]), "count": row["count"],
                      "quantity": row["quantity"]} for row in found.distributions]
    return render(request, "ledger/trace.html", {"trace": found, "offer": offer, "lots": lots,
                                                 "distributions": distributions})
