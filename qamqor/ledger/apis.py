"""The ledger over HTTP, /api/v1/ledger/: balances, the journal, donations, spending, reversals and stock, scoped
exactly as the ledger's pages (access.py) and written through the same services.

Money travels as a string with two decimals ("150000.00"), never as a binary float. A donation or a payment is
recorded once per idempotency key (the Idempotency-Key header, or the `idempotency_key` field): a retry with the same
key and the same data answers 200 with the transaction already recorded; the same key with other data is refused
with 409 conflict.
"""

import datetime as dt
import re
from typing import Annotated, Literal

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Header, Path, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import BeforeValidator, StrictInt, field_validator

from qamqor.aid.models import Campaign, Distribution, Offer
from qamqor.api.auth import AUTH
from qamqor.api.errors import responses
from qamqor.api.pagination import Pagination
from qamqor.api.schemas import BodyIn
from qamqor.core.errors import PermissionDenied, ServiceError
from qamqor.organizations.models import Organization

from . import access, selectors, services
from .models import Account, Transaction

router = Router(tags=["ledger"])

MAX_ID = 2**62
MONEY_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
RecordId = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]


def money(value) -> str:
    return f"{value:.2f}"


def _iso_date(value):
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise ValueError(_("Write the date as YYYY-MM-DD, for example 2026-05-27."))
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


# Answers.

class LedgerAccountOut(Schema):
    id: int
    kind: Literal[tuple(Account.Kind.values)]
    campaign_id: int | None
    campaign_title: str | None
    balance: str = Field(..., description="On the account's normal side (assets and expenses: debit; income and "
                                          "restricted funds: credit), a decimal string in tenge.")

    @staticmethod
    def resolve_campaign_title(obj):
        return obj.campaign.title if obj.campaign_id else None

    @staticmethod
    def resolve_balance(obj):
        return money(obj.normal_balance)


class LedgerCampaignTotalsOut(Schema):
    campaign_id: int
    title: str
    raised: str
    spent: str
    left: str

    @staticmethod
    def resolve_raised(obj):
        return money(obj.raised)

    @staticmethod
    def resolve_spent(obj):
        return money(obj.spent)

    @staticmethod
    def resolve_left(obj):
        return money(obj.left)


class LedgerBalancesOut(Schema):
    organization_id: int
    accounts: list[LedgerAccountOut]
    campaigns: list[LedgerCampaignTotalsOut] = Field(..., description="Money restricted to each campaign: raised, spent, "
                                                                "left.")


class LedgerEntryOut(Schema):
    account_id: int
    account_kind: str
    campaign_id: int | None
    debit: str
    credit: str

    @staticmethod
    def resolve_account_kind(obj):
        return obj.account.kind

    @staticmethod
    def resolve_campaign_id(obj):
        return obj.account.campaign_id

    @staticmethod
    def resolve_debit(obj):
        return money(obj.debit)

    @staticmethod
    def resolve_credit(obj):
        return money(obj.credit)


class LedgerTransactionOut(Schema):
    id: int
    number: str = Field(..., description="The number printed on a receipt.")
    organization_id: int
    date: dt.date
    kind: Literal[tuple(Transaction.Kind.values)]
    amount: str
    description: str
    donor_name: str
    reason: str
    campaign_id: int | None
    offer_id: int | None
    distribution_id: int | None
    reverses_id: int | None
    reversed_by_id: int | None
    created_at: dt.datetime
    entries: list[LedgerEntryOut]

    @staticmethod
    def resolve_number(obj):
        return obj.receipt_number

    @staticmethod
    def resolve_amount(obj):
        return money(obj.amount)

    @staticmethod
    def resolve_reversed_by_id(obj):
        reversal = getattr(obj, "reversed_by", None)
        return reversal.pk if reversal is not None else None

    @staticmethod
    def resolve_entries(obj):
        return list(obj.entries.all())


class LedgerStockOut(Schema):
    warehouse_id: int
    warehouse: str
    item_id: int
    item_code: str
    on_hand: int
    reserved: int
    available: int

    @staticmethod
    def resolve_warehouse(obj):
        return obj.warehouse.name

    @staticmethod
    def resolve_item_code(obj):
        return obj.item.code


# Requests.

LedgerBodyIn = BodyIn


class LedgerMoneyIn(LedgerBodyIn):
    amount: str = Field(..., max_length=16, description="Tenge, a decimal string with at most two decimals.",
                        examples=["150000.00"], json_schema_extra={"pattern": MONEY_PATTERN})
    idempotency_key: str | None = Field(None, min_length=1, max_length=100,
                                        description="Instead of the Idempotency-Key header.")

    @field_validator("amount")
    @classmethod
    def _money(cls, value):
        if not re.fullmatch(MONEY_PATTERN, value):
            raise ValueError(_("Write the amount in tenge as digits with at most two decimals, such as 150000.00."))
        return value


class LedgerDonationIn(LedgerMoneyIn):
    campaign_id: RecordId | None = Field(None, description="Restrict the money to this campaign.")
    offer_id: RecordId | None = Field(None, description="The donor's offer of money this donation fulfils; its "
                                                        "campaign, if any, restricts the money.")
    donor_name: str = Field("", max_length=200)
    received_on: IsoDate | None = Field(None, description="Today when not given.")


class LedgerSpendIn(LedgerMoneyIn):
    purpose: Literal["purchase", "cash_assistance"]
    campaign_id: RecordId | None = Field(None, description="Spend the campaign's restricted money; otherwise "
                                                           "unrestricted money.")
    distribution_id: RecordId | None = None
    description: str = Field("", max_length=300)


class LedgerReverseIn(LedgerBodyIn):
    reason: str = Field(..., min_length=1, max_length=300)


# Helpers.

def _organization(user, org_id):
    organization = Organization.objects.filter(pk=org_id).first()
    if organization is None or not access.can_view_ledger(user, organization):
        raise Http404(_("No organisation ledger with this number is visible to you."))
    return organization


def _recording(user, organization):
    if not access.can_record(user, organization):
        raise PermissionDenied(_("Only administrators and staff of this verified organisation may record in its "
                                 "books."))


def _key(header_key, body_key):
    if header_key and body_key and header_key != body_key:
        raise ServiceError(_("The Idempotency-Key header and the idempotency_key field differ. Send one of them."),
                           field="idempotency_key")
    key = header_key or body_key
    if not key:
        raise ServiceError(_("Send an Idempotency-Key header (or an idempotency_key field), so that a retried request "
                             "is recorded only once."), field="idempotency_key")
    return key


def _transaction_out(pk):
    return selectors.journal_transaction(pk=pk)


def _created(txn):
    return Status(200 if getattr(txn, "replayed", False) else 201, _transaction_out(txn.pk))


IdempotencyHeader = Header(None, alias="Idempotency-Key", max_length=100,
                           description="A key of your choice, new for each donation: a retry with the same key is "
                                       "recorded once.")


# Operations.

@router.get("/organizations/{org_id}/balances", response={200: LedgerBalancesOut, **responses(401, 404, 422)}, auth=AUTH,
            summary="An organisation's balances")
def balances(request, org_id: int = Path(..., ge=1, le=MAX_ID)):
    """Every account with its balance, and per campaign the money raised, spent and left."""
    organization = _organization(request.auth, org_id)
    return {"organization_id": organization.pk,
            "accounts": selectors.account_balances(organization=organization),
            "campaigns": selectors.campaign_totals(organization=organization)}


@router.get("/organizations/{org_id}/journal", response={200: list[LedgerTransactionOut], **responses(401, 404, 422)},
            auth=AUTH, summary="An organisation's journal")
@paginate(Pagination)
def journal(request, org_id: int = Path(..., ge=1, le=MAX_ID)):
    """Transactions newest first, each with its entries; reversals point to what they reverse."""
    organization = _organization(request.auth, org_id)
    return selectors.journal(organization=organization)


@router.post("/organizations/{org_id}/donations",
             response={200: LedgerTransactionOut, 201: LedgerTransactionOut, **responses(400, 401, 403, 404, 409, 422)},
             auth=AUTH, summary="Record a donation")
def record_donation(request, payload: LedgerDonationIn, org_id: int = Path(..., ge=1, le=MAX_ID),
                    idempotency_key: str | None = IdempotencyHeader):
    """For the organisation's administrators and staff. 201 when recorded; 200 with the same transaction when the
    same key and data were already recorded; 409 when the key was used for other data."""
    user = request.auth
    organization = _organization(user, org_id)
    _recording(user, organization)
    key = _key(idempotency_key, payload.idempotency_key)
    campaign = offer = None
    if payload.campaign_id is not None:
        campaign = Campaign.objects.filter(pk=payload.campaign_id).first()
        if campaign is None:
            raise ServiceError(_("There is no campaign with this number."), field="campaign_id")
    if payload.offer_id is not None:
        offer = Offer.objects.filter(pk=payload.offer_id, recipient=organization).first()
        if offer is None:
            raise ServiceError(_("There is no offer with this number made to this organisation."), field="offer_id")
    try:
        txn = services.money_receive(actor=user, organization=organization, amount=payload.amount,
                                     idempotency_key=key, campaign=campaign, offer=offer,
                                     donor_name=payload.donor_name, received_on=payload.received_on)
    except ServiceError as exc:
        raise _api_field(exc) from None
    return _created(txn)


@router.post("/organizations/{org_id}/spending",
             response={200: LedgerTransactionOut, 201: LedgerTransactionOut, **responses(400, 401, 403, 404, 409, 422)},
             auth=AUTH, summary="Record a purchase or cash assistance")
def record_spending(request, payload: LedgerSpendIn, org_id: int = Path(..., ge=1, le=MAX_ID),
                    idempotency_key: str | None = IdempotencyHeader):
    """From the campaign's restricted money when campaign_id is given (refused with 422 if it would go below zero),
    else from unrestricted money. Idempotent as donations are."""
    user = request.auth
    organization = _organization(user, org_id)
    _recording(user, organization)
    key = _key(idempotency_key, payload.idempotency_key)
    campaign = distribution = None
    if payload.campaign_id is not None:
        campaign = Campaign.objects.filter(pk=payload.campaign_id).first()
        if campaign is None:
            raise ServiceError(_("There is no campaign with this number."), field="campaign_id")
    if payload.distribution_id is not None:
        distribution = Distribution.objects.filter(pk=payload.distribution_id, organization=organization).first()
        if distribution is None:
            raise ServiceError(_("There is no distribution with this number by this organisation."),
                               field="distribution_id")
    try:
        txn = services.money_spend(actor=user, organization=organization, amount=payload.amount,
                                   purpose=payload.purpose, idempotency_key=key, campaign=campaign,
                                   distribution=distribution, description=payload.description)
    except ServiceError as exc:
        raise _api_field(exc) from None
    return _created(txn)


@router.post("/transactions/{transaction_id}/reverse",
             response={201: LedgerTransactionOut, **responses(400, 401, 403, 404, 409, 422)}, auth=AUTH,
             summary="Reverse a transaction")
def reverse(request, payload: LedgerReverseIn, transaction_id: int = Path(..., ge=1, le=MAX_ID)):
    """Records the reversing entry (same lines, debit and credit swapped). A reversal, or a transaction already
    reversed, is refused with 409."""
    user = request.auth
    txn = Transaction.objects.filter(pk=transaction_id).select_related("organization").first()
    if txn is None or not access.can_view_ledger(user, txn.organization):
        raise Http404(_("No transaction with this number is visible to you."))
    reversal = services.transaction_reverse(actor=user, transaction=txn, reason=payload.reason)
    return Status(201, _transaction_out(reversal.pk))


@router.get("/organizations/{org_id}/stock", response={200: list[LedgerStockOut], **responses(401, 404, 422)}, auth=AUTH,
            summary="An organisation's stock")
def stock(request, org_id: int = Path(..., ge=1, le=MAX_ID)):
    """Units on hand, reserved and free, per warehouse and item."""
    organization = _organization(request.auth, org_id)
    return list(selectors.stock_on_hand(organization=organization))


# The services name their inputs as the Python arguments; the API names the JSON fields.
_FIELDS = {"campaign": "campaign_id", "offer": "offer_id", "distribution": "distribution_id"}


def _api_field(exc):
    if exc.field in _FIELDS:
        exc.field = _FIELDS[exc.field]
    return exc

