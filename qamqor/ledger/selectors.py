"""Reads of the ledger: balances per account and per campaign, the journal, stock on hand, a gift's trace."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, F, Prefetch, Q, Sum, Value, When
from django.db.models.functions import Coalesce

from .models import Account, Entry, StockBalance, StockMovement, Transaction

ZERO = Decimal("0.00")


def account_balances(*, organization):
    """The organisation's accounts with their balances (`normal_balance` reads as an accountant would)."""
    return list(Account.objects.filter(organization=organization).select_related("campaign")
                .order_by("kind", "campaign__title", "pk"))


@dataclass
class CampaignTotals:
    campaign_id: int
    title: str
    raised: Decimal
    spent: Decimal
    left: Decimal


def campaign_totals(*, organization=None, campaign=None) -> list[CampaignTotals]:
    """Per campaign: money raised for it, spent from it, and left (the balance of its restricted cash).

    A reversal counts with the kind of the transaction it reverses, so a reversed donation lowers "raised" and a
    reversed purchase lowers "spent"; raised - spent = left always.
    """
    entries = Entry.objects.filter(account__kind=Account.Kind.RESTRICTED_CASH)
    if organization is not None:
        entries = entries.filter(account__organization=organization)
    if campaign is not None:
        entries = entries.filter(account__campaign=campaign)
    effective = Coalesce(F("transaction__reverses__kind"), F("transaction__kind"))
    money = DecimalField(max_digits=16, decimal_places=2)
    rows = (entries.annotate(effective=effective)
            .values("account__campaign_id", "account__campaign__title")
            .annotate(raised=Coalesce(Sum(Case(When(effective=Transaction.Kind.DONATION, then=F("debit") - F("credit")),
                                               default=Value(ZERO), output_field=money)), Value(ZERO),
                                      output_field=money),
                      spent=Coalesce(Sum(Case(When(~Q(effective=Transaction.Kind.DONATION),
                                                   then=F("credit") - F("debit")),
                                              default=Value(ZERO), output_field=money)), Value(ZERO),
                                     output_field=money))
            .order_by("account__campaign__title"))
    result = []
    for row in rows:
        raised, spent = Decimal(row["raised"]).quantize(ZERO), Decimal(row["spent"]).quantize(ZERO)
        result.append(CampaignTotals(campaign_id=row["account__campaign_id"], title=row["account__campaign__title"],
                                     raised=raised, spent=spent, left=raised - spent))
    return result


def journal(*, organization):
    """The organisation's transactions, newest first, each with its lines, what it reverses and its reversal."""
    entries = Entry.objects.select_related("account__campaign").order_by("id")
    return (Transaction.objects.filter(organization=organization)
            .select_related("campaign", "actor", "reverses", "reversed_by", "offer")
            .prefetch_related(Prefetch("entries", queryset=entries))
            .order_by("-date", "-id"))


def journal_transaction(*, pk):
    """One transaction with what the journal shows of it."""
    return (Transaction.objects.select_related("reversed_by")
            .prefetch_related(Prefetch("entries", queryset=Entry.objects.select_related("account").order_by("id")))
            .get(pk=pk))


def stock_on_hand(*, organization=None, warehouse=None):
    """Stock balances per warehouse and item (only rows that ever moved)."""
    qs = StockBalance.objects.select_related("warehouse", "item")
    if organization is not None:
        qs = qs.filter(warehouse__organization=organization)
    if warehouse is not None:
        qs = qs.filter(warehouse=warehouse)
    return qs.order_by("warehouse__name", "item__code")


def stock_movements(*, warehouse, limit: int = 100):
    return list(StockMovement.objects.filter(warehouse=warehouse).select_related("item", "actor")
                .order_by("-created_at", "-id")[:limit])


def donations_of_offers(offer_filter: Q):
    """Donations recorded for the offers matching the filter (a donor's own receipts), newest first."""
    return (Transaction.objects.filter(kind=Transaction.Kind.DONATION, offer__isnull=False)
            .filter(offer__in=_offers(offer_filter))
            .select_related("organization", "campaign", "offer", "reversed_by").order_by("-date", "-id"))


def _offers(offer_filter: Q):
    from qamqor.aid.models import Offer

    return Offer.objects.filter(offer_filter).values("pk")


@dataclass
class Trace:
    offer: object
    given: Decimal
    donations: list
    campaign: CampaignTotals | None
    lots: list
    distributions: list


def offer_trace(*, offer) -> Trace:
    """From one gift to anonymised counts: the money recorded for it, its campaign's totals at the receiving
    organisation, the lots made from it, and the distributions from those lots by region, item and status. No names
    of the people helped."""
    from qamqor.aid.models import Distribution, Lot

    donations = list(Transaction.objects.filter(offer=offer, kind=Transaction.Kind.DONATION)
                     .select_related("reversed_by").order_by("date", "id"))
    given = sum((t.amount for t in donations if not hasattr(t, "reversed_by")), ZERO)
    totals = None
    if offer.campaign_id is not None:
        found = campaign_totals(organization=offer.recipient, campaign=offer.campaign)
        totals = found[0] if found else CampaignTotals(offer.campaign_id, offer.campaign.title, ZERO, ZERO, ZERO)
    lots = list(Lot.objects.filter(offer=offer).values("item__code", "item__name_kk", "item__name_ru",
                                                       "item__name_en", "region__name_kk", "region__name_ru",
                                                       "region__name_en")
                .annotate(lots=Count("id"), quantity=Sum("quantity"), allocated=Sum("allocated"))
                .order_by("item__code", "region__name_en"))
    distributions = list(Distribution.objects.filter(lot__offer=offer)
                         .values("need__region__name_kk", "need__region__name_ru", "need__region__name_en",
                                 "item__code", "item__name_kk", "item__name_ru", "item__name_en", "status")
                         .annotate(count=Count("id"), quantity=Sum("quantity"))
                         .order_by("need__region__name_en", "item__code", "status"))
    return Trace(offer=offer, given=given, donations=donations, campaign=totals, lots=lots,
                 distributions=distributions)
