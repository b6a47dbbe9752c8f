"""Writes of the ledger: money received and spent, reversals, stock movements. The aid app calls these from its own
services (receiving an offer, confirming an allocation, handing over or cancelling a distribution).

Every service is keyword-only, runs in one database transaction, checks who may do it (access.py), locks the rows it
changes (accounts or a stock balance, in a fixed order, so that two requests never deadlock and never both spend the
last tenge or unit) and writes an audit row. Bad input is refused with a translated ServiceError naming the field,
before anything is written.

Idempotency: a request with an idempotency key that was already recorded returns the first transaction or movement
and records nothing more; the same key with different content is refused (code "conflict").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qamqor.core.errors import PermissionDenied, ServiceError
from qamqor.core.services import audit_record, snapshot

from . import access
from .models import Account, Entry, StockBalance, StockMovement, Transaction

TIYN = Decimal("0.01")
# Numeric(14, 2): twelve digits of tenge.
MAX_AMOUNT = Decimal("999999999999.99")
MAX_QUANTITY = 2**31 - 1
KEY_LENGTH = 100
REVERSAL_KEY = "reversal-of-"
SPEND_PURPOSES = (Transaction.Kind.PURCHASE, Transaction.Kind.CASH_ASSISTANCE)


# Input checks: each refusal names its field and changes nothing.

def clean_amount(value, *, field: str = "amount") -> Decimal:
    """A sum in tenge: more than zero, whole tiyn (at most two decimals); never a float."""
    if isinstance(value, (bool, float)) or value is None:
        raise ServiceError(_("Enter the amount in tenge as digits, such as 15000.50."), field=field)
    try:
        amount = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        raise ServiceError(_("Enter the amount in tenge as digits, such as 15000.50."), field=field) from None
    if not amount.is_finite():
        raise ServiceError(_("Enter the amount in tenge as digits, such as 15000.50."), field=field)
    if amount <= 0:
        raise ServiceError(_("Enter an amount greater than zero."), field=field)
    if amount != amount.quantize(TIYN, rounding="ROUND_DOWN"):
        raise ServiceError(_("Enter the amount with at most two decimals (tiyn), such as 15000.50."), field=field)
    if amount > MAX_AMOUNT:
        raise ServiceError(_("This amount is too large to record. Check the number of digits."), field=field)
    return amount.quantize(TIYN)


def clean_quantity(value, *, field: str = "quantity") -> int:
    """A number of units: a whole number greater than zero."""
    if isinstance(value, (bool, float)) or value is None:
        raise ServiceError(_("Enter the quantity as a whole number of units, such as 10."), field=field)
    if isinstance(value, int):
        quantity = value
    else:
        try:
            number = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            raise ServiceError(_("Enter the quantity as a whole number of units, such as 10."), field=field) from None
        if not number.is_finite() or number != number.to_integral_value():
            raise ServiceError(_("Enter a whole number of units: parts of a unit cannot be counted."), field=field)
        quantity = int(number)
    if quantity <= 0:
        raise ServiceError(_("Enter a quantity greater than zero."), field=field)
    if quantity > MAX_QUANTITY:
        raise ServiceError(_("This quantity is too large to record. Check the number of digits."), field=field)
    return quantity


def _clean_key(value, *, required: bool) -> str:
    key = (value or "").strip() if isinstance(value, str) or value is None else None
    if key is None:
        raise ServiceError(_("The idempotency key must be text."), field="idempotency_key")
    if required and not key:
        raise ServiceError(_("Give an idempotency key, so that a retried request is recorded only once."),
                           field="idempotency_key")
    if len(key) > KEY_LENGTH:
        raise ServiceError(_("The idempotency key may be at most 100 characters long."), field="idempotency_key")
    if key.startswith(REVERSAL_KEY):
        # Reversals take the key "reversal-of-<id>" themselves (one reversal per transaction).
        raise ServiceError(_("Idempotency keys starting with “reversal-of-” are kept for reversals. Choose another "
                             "key."), field="idempotency_key")
    return key


def _clean_text(value, *, field: str, limit: int, required: bool = False, message: str = "") -> str:
    text = (value or "").strip()
    if required and not text:
        raise ServiceError(message, field=field)
    if len(text) > limit:
        raise ServiceError(_("This text is too long: at most %(limit)d characters.") % {"limit": limit}, field=field)
    return text


def _fingerprint(content: dict) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


def _key_conflict():
    return ServiceError(_("This idempotency key was already used for a different request. Use a new key for a new "
                          "request, or send exactly the same data to retry."), field="idempotency_key", code="conflict")


# Accounts and posting.

def _account_ids(organization, wanted: list[tuple[str, object]]) -> list[int]:
    """The ids of the organisation's accounts (kind, campaign), created on first use."""
    ids = []
    for kind, campaign in wanted:
        campaign_id = campaign.pk if campaign is not None else None
        account = Account.objects.filter(organization=organization, kind=kind, campaign_id=campaign_id).first()
        if account is None:
            try:
                # A savepoint: if another request creates the same account at this moment, the unique constraint
                # refuses ours and we use theirs.
                with transaction.atomic():
                    account = Account.objects.create(organization=organization, kind=kind, campaign_id=campaign_id)
            except IntegrityError:
                account = Account.objects.get(organization=organization, kind=kind, campaign_id=campaign_id)
        ids.append(account.pk)
    return ids


def _lock_accounts(ids) -> dict[int, Account]:
    # Always in id order: two requests touching the same accounts wait for each other instead of deadlocking.
    return {a.pk: a for a in Account.objects.select_for_update().filter(pk__in=set(ids)).order_by("pk")}


def _overdraft_message(account, field, code):
    if account.kind == Account.Kind.RESTRICTED_CASH:
        return ServiceError(
            _("The money restricted to the campaign “%(campaign)s” is %(left)s ₸; this would take it below zero. "
              "Restricted money is spent only on its campaign and only as far as it goes.")
            % {"campaign": account.campaign, "left": account.balance}, field=field, code=code)
    return ServiceError(_("The organisation's unrestricted cash is %(left)s ₸; this would take it below zero. Money "
                          "restricted to a campaign cannot be used instead.") % {"left": account.balance},
                        field=field, code=code)


def _post(*, accounts: dict[int, Account], lines: list[tuple[int, Decimal, Decimal]], field="amount", code="invalid",
          **header) -> Transaction:
    """Write one balanced transaction and move the locked accounts' balances with it; refuse (naming `field`) one
    that would take cash below zero."""
    debit = sum((d for _a, d, _c in lines), Decimal(0))
    credit = sum((c for _a, _d, c in lines), Decimal(0))
    if debit != credit or debit <= 0 or len(lines) < 2:
        # The services build only balanced lines; this is the guard that keeps it so (the database has its own).
        raise ServiceError(_("This entry does not balance: debits and credits must be equal."))
    changes: dict[int, Decimal] = {}
    for account_id, d, c in lines:
        changes[account_id] = changes.get(account_id, Decimal(0)) + d - c
    for account_id, change in changes.items():
        account = accounts[account_id]
        after = account.balance + change
        if change < 0 and account.kind in Account.CASH_KINDS and after < 0:
            raise _overdraft_message(account, field, code)
        if change > 0 and account.kind == Account.Kind.RESTRICTED_FUND and after > 0:
            raise ServiceError(_("This would leave the campaign's restricted fund owing money."), field=field,
                               code=code)
    # The amount a person reads: what moved (a restricted payment has four lines of the same amount).
    txn = Transaction.objects.create(amount=max(max(d, c) for _a, d, c in lines), **header)
    Entry.objects.bulk_create([Entry(transaction=txn, account_id=a, debit=d, credit=c) for a, d, c in lines])
    for account_id, change in changes.items():
        if change:
            # The new balance is computed here, in Decimal, under the row lock; not as balance + change in SQL,
            # which SQLite would compute in binary floating point (0.1 + 0.2 - 0.3 < 0).
            accounts[account_id].balance += change
            Account.objects.filter(pk=account_id).update(balance=accounts[account_id].balance)
    return txn


def _existing(organization, key, fingerprint):
    found = Transaction.objects.filter(organization=organization, idempotency_key=key).first()
    if found is not None and found.fingerprint != fingerprint:
        raise _key_conflict()
    return found


def _create_once(organization, key, fingerprint, create):
    """Run `create` in a savepoint; if the same key was recorded at the same moment by another request, answer as
    for a retry."""
    try:
        with transaction.atomic():
            return create()
    except IntegrityError:
        found = _existing(organization, key, fingerprint)
        if found is None:
            raise
        found.replayed = True
        return found


def _check_recorder(actor, organization):
    if not access.can_record(actor, organization):
        raise PermissionDenied(_("Only administrators and staff of this verified organisation may record in its "
                                 "books."))


def money_receive(*, actor, organization, amount, idempotency_key, campaign=None, offer=None, donor_name="",
                  received_on=None) -> Transaction:
    """Record a donation received; restricted to `campaign` (or the offer's campaign) when there is one."""
    _check_recorder(actor, organization)
    amount = clean_amount(amount)
    key = _clean_key(idempotency_key, required=True)
    donor_name = _clean_text(donor_name, field="donor_name", limit=200)
    if offer is not None:
        if offer.recipient_id != organization.pk:
            raise ServiceError(_("This offer was made to another organisation."), field="offer")
        if offer.kind != offer.Kind.MONEY:
            raise ServiceError(_("Only an offer of money is received as a donation."), field="offer")
        if campaign is None:
            campaign = offer.campaign
        elif offer.campaign_id is not None and offer.campaign_id != campaign.pk:
            raise ServiceError(_("The offer was given for another campaign: its money is restricted to that campaign."),
                               field="campaign")
        if not donor_name:
            donor_name = str(offer.donor_organization or offer.donor_user or "")[:200]
    if received_on is not None and not isinstance(received_on, dt.date):
        raise ServiceError(_("Enter the date as DD.MM.YYYY."), field="received_on")
    if received_on is not None and received_on > timezone.localdate():
        raise ServiceError(_("The date received cannot be in the future."), field="received_on")
    fingerprint = _fingerprint({"service": "money_receive", "amount": amount, "campaign": getattr(campaign, "pk", None),
                                "offer": getattr(offer, "pk", None), "donor_name": donor_name,
                                "received_on": received_on})
    if campaign is not None:
        wanted = [(Account.Kind.RESTRICTED_CASH, campaign), (Account.Kind.RESTRICTED_FUND, campaign)]
    else:
        wanted = [(Account.Kind.CASH, None), (Account.Kind.DONATIONS, None)]
    with transaction.atomic():
        ids = _account_ids(organization, wanted)
        accounts = _lock_accounts(ids)
        found = _existing(organization, key, fingerprint)
        if found is not None:
            found.replayed = True
            return found

        def create():
            txn = _post(accounts=accounts, lines=[(ids[0], amount, Decimal(0)), (ids[1], Decimal(0), amount)],
                        organization=organization, date=received_on or timezone.localdate(),
                        kind=Transaction.Kind.DONATION, donor_name=donor_name, idempotency_key=key,
                        fingerprint=fingerprint, actor=actor if getattr(actor, "pk", None) else None,
                        offer=offer, campaign=campaign,
                        description=(_("Donation for “%(campaign)s”") % {"campaign": campaign.title}
                                     if campaign is not None else _("Donation, not restricted"))[:300])
            audit_record(actor=actor, action="ledger.money_receive", obj=txn, after=snapshot(txn))
            return txn

        return _create_once(organization, key, fingerprint, create)


def money_spend(*, actor, organization, amount, purpose, idempotency_key, campaign=None, distribution=None,
                description="") -> Transaction:
    """Record a purchase or cash assistance paid: from the campaign's restricted cash, or else unrestricted cash."""
    _check_recorder(actor, organization)
    if purpose not in SPEND_PURPOSES:
        raise ServiceError(_("Choose what the money was spent on: a purchase or cash assistance."), field="purpose")
    amount = clean_amount(amount)
    key = _clean_key(idempotency_key, required=True)
    description = _clean_text(description, field="description", limit=300)
    if distribution is not None and distribution.organization_id != organization.pk:
        raise ServiceError(_("This distribution was handed over by another organisation."), field="distribution")
    fingerprint = _fingerprint({"service": "money_spend", "amount": amount, "purpose": purpose,
                                "campaign": getattr(campaign, "pk", None),
                                "distribution": getattr(distribution, "pk", None), "description": description})
    expense = Account.Kind.PURCHASES if purpose == Transaction.Kind.PURCHASE else Account.Kind.CASH_ASSISTANCE
    with transaction.atomic():
        if campaign is not None:
            ids = _account_ids(organization, [(expense, None), (Account.Kind.RESTRICTED_CASH, campaign),
                                              (Account.Kind.RESTRICTED_FUND, campaign), (Account.Kind.DONATIONS, None)])
            # Spent on its purpose, the money is released from the restriction: the fund gives it up as income.
            lines = [(ids[0], amount, Decimal(0)), (ids[1], Decimal(0), amount),
                     (ids[2], amount, Decimal(0)), (ids[3], Decimal(0), amount)]
        else:
            ids = _account_ids(organization, [(expense, None), (Account.Kind.CASH, None)])
            lines = [(ids[0], amount, Decimal(0)), (ids[1], Decimal(0), amount)]
        accounts = _lock_accounts(ids)
        found = _existing(organization, key, fingerprint)
        if found is not None:
            found.replayed = True
            return found

        def create():
            txn = _post(accounts=accounts, lines=lines, organization=organization, date=timezone.localdate(),
                        kind=purpose, description=description, idempotency_key=key, fingerprint=fingerprint,
                        actor=actor if getattr(actor, "pk", None) else None, campaign=campaign,
                        distribution=distribution)
            audit_record(actor=actor, action="ledger.money_spend", obj=txn, after=snapshot(txn))
            return txn

        return _create_once(organization, key, fingerprint, create)


def transaction_reverse(*, actor, transaction: Transaction, reason) -> Transaction:
    """Record the reversing entry of a transaction (its lines with debit and credit swapped)."""
    from django.db import transaction as db

    original = transaction
    _check_recorder(actor, original.organization)
    reason = _clean_text(reason, field="reason", limit=300, required=True,
                         message=_("Say why the transaction is reversed."))
    with db.atomic():
        # Lock the original: two people reversing it at once are served one after the other.
        original = Transaction.objects.select_for_update().get(pk=original.pk)
        if original.kind == Transaction.Kind.REVERSAL:
            raise ServiceError(_("A reversal cannot itself be reversed. Record the transaction again instead."),
                               code="conflict")
        if Transaction.objects.filter(reverses=original).exists():
            raise ServiceError(_("This transaction has already been reversed."), code="conflict")
        entries = list(original.entries.all())
        accounts = _lock_accounts([e.account_id for e in entries])
        lines = [(e.account_id, e.credit, e.debit) for e in entries]
        key = f"{REVERSAL_KEY}{original.pk}"
        fingerprint = _fingerprint({"service": "transaction_reverse", "transaction": original.pk})

        def create():
            # Reversing money that is no longer there (a gift already spent) conflicts with the books as they are.
            txn = _post(accounts=accounts, lines=lines, field=None, code="conflict",
                        organization=original.organization, date=timezone.localdate(),
                        kind=Transaction.Kind.REVERSAL, reason=reason,
                        description=(_("Reversal of %(number)s") % {"number": original.receipt_number})[:300],
                        donor_name=original.donor_name, idempotency_key=key, fingerprint=fingerprint,
                        actor=actor if getattr(actor, "pk", None) else None, offer_id=original.offer_id,
                        campaign_id=original.campaign_id, distribution_id=original.distribution_id,
                        reverses=original)
            audit_record(actor=actor, action="ledger.transaction_reverse", obj=txn, after=snapshot(txn), reason=reason)
            return txn

        try:
            with db.atomic():
                return create()
        except IntegrityError:
            raise ServiceError(_("This transaction has already been reversed."), code="conflict") from None


# Stock.

def _check_stock_item(item):
    if item.kind not in (item.Kind.GOODS, item.Kind.KIT):
        raise ServiceError(_("Only goods and kits are kept in stock; money and services are not."), field="item")


def _stock_row(warehouse, item) -> StockBalance:
    row = StockBalance.objects.filter(warehouse=warehouse, item=item).first()
    if row is None:
        try:
            with transaction.atomic():
                StockBalance.objects.create(warehouse=warehouse, item=item)
        except IntegrityError:
            pass
    # The lock that serialises every movement of this item in this warehouse.
    return StockBalance.objects.select_for_update().get(warehouse=warehouse, item=item)


def _move(*, actor, warehouse, item, kind, quantity, on_hand=0, reserved=0, key="", check=None, **links):
    """Apply one movement to the locked balance, append it, audit it; or return the movement already recorded with
    the same key."""
    quantity = clean_quantity(quantity)
    key = _clean_key(key, required=False)
    _check_stock_item(item)
    content = {"kind": kind, "item": item.pk, "quantity": quantity,
               **{name: getattr(value, "pk", value) for name, value in links.items()}}
    fingerprint = _fingerprint(content) if key else ""
    with transaction.atomic():
        row = _stock_row(warehouse, item)
        if key:
            found = StockMovement.objects.filter(warehouse=warehouse, idempotency_key=key).first()
            if found is not None:
                if found.fingerprint != fingerprint:
                    raise _key_conflict()
                found.replayed = True
                return found
        if check is not None:
            check(row, quantity)
        before = {"on_hand": row.on_hand, "reserved": row.reserved}
        row.on_hand += on_hand * quantity
        row.reserved += reserved * quantity
        if row.on_hand < 0 or row.reserved < 0 or row.reserved > row.on_hand:
            raise ServiceError(_("This movement would leave the stock below zero."), field="quantity")
        row.save(update_fields=["on_hand", "reserved", "updated_at"])
        try:
            with transaction.atomic():
                movement = StockMovement.objects.create(
                    warehouse=warehouse, item=item, kind=kind, quantity=quantity, on_hand_after=row.on_hand,
                    reserved_after=row.reserved, idempotency_key=key, fingerprint=fingerprint,
                    actor=actor if getattr(actor, "pk", None) else None, **links)
        except IntegrityError:
            raise _key_conflict() from None
        audit_record(actor=actor, action=f"ledger.stock_{kind}", obj=movement, before=before,
                     after={"on_hand": row.on_hand, "reserved": row.reserved, "quantity": quantity,
                            "item": item.pk, "warehouse": warehouse.pk})
        return movement


def _free_at_least(row, quantity):
    if row.on_hand - row.reserved < quantity:
        raise ServiceError(_("Only %(free)d units are free in this warehouse (%(on_hand)d on hand, %(reserved)d "
                             "reserved).") % {"free": row.on_hand - row.reserved, "on_hand": row.on_hand,
                                              "reserved": row.reserved}, field="quantity")


def _reserved_at_least(row, quantity):
    if row.reserved < quantity:
        raise ServiceError(_("Only %(reserved)d units are reserved in this warehouse.") % {"reserved": row.reserved},
                           field="quantity")


def _check_stock_keeper(actor, warehouse):
    if not access.can_record(actor, warehouse.organization):
        raise PermissionDenied(_("Only administrators and staff of the warehouse's organisation may record its "
                                 "stock."))


def _check_stock_mover(actor, warehouse, distribution=None):
    if not access.can_move_reserved_stock(actor, warehouse, distribution):
        raise PermissionDenied(_("Only the warehouse's organisation and the coordinators of its region may move "
                                 "stock for distributions."))


def _check_lot(lot, warehouse, item):
    if lot is not None and (lot.warehouse_id != warehouse.pk or lot.item_id != item.pk):
        raise ServiceError(_("This lot is of another item or in another warehouse."), field="lot")


def _check_distribution(distribution, item):
    if distribution is not None and distribution.item_id != item.pk:
        raise ServiceError(_("This distribution is of another item."), field="distribution")


def stock_receive(*, actor, warehouse, item, quantity, idempotency_key, offer=None) -> StockMovement:
    """Goods arrive in a warehouse (a gift in kind, a purchase): on hand goes up."""
    _check_stock_keeper(actor, warehouse)
    _clean_key(idempotency_key, required=True)
    if not warehouse.active:
        raise ServiceError(_("This warehouse is no longer in use."), field="warehouse")
    if offer is not None and (offer.recipient_id != warehouse.organization_id or offer.item_id != item.pk):
        raise ServiceError(_("This offer is of another item or was made to another organisation."), field="offer")
    return _move(actor=actor, warehouse=warehouse, item=item, kind=StockMovement.Kind.RECEIVED, quantity=quantity,
                 on_hand=1, key=idempotency_key, offer=offer)


def stock_reserve(*, actor, warehouse, item, quantity, lot=None, reference="", distribution=None,
                  idempotency_key="") -> StockMovement:
    """Set units aside for an allocation or a distribution; only free units (on hand, not reserved) can be."""
    _check_stock_mover(actor, warehouse, distribution)
    _check_lot(lot, warehouse, item)
    _check_distribution(distribution, item)
    reference = _clean_text(reference, field="reference", limit=200)
    return _move(actor=actor, warehouse=warehouse, item=item, kind=StockMovement.Kind.RESERVED, quantity=quantity,
                 reserved=1, key=idempotency_key, check=_free_at_least, lot=lot, distribution=distribution,
                 reference=reference)


def stock_release(*, actor, warehouse, item, quantity, lot=None, reference="", distribution=None,
                  idempotency_key="") -> StockMovement:
    """Give reserved units back to free stock (an allocation undone before hand-over)."""
    _check_stock_mover(actor, warehouse, distribution)
    _check_lot(lot, warehouse, item)
    _check_distribution(distribution, item)
    reference = _clean_text(reference, field="reference", limit=200)
    return _move(actor=actor, warehouse=warehouse, item=item, kind=StockMovement.Kind.RELEASED, quantity=quantity,
                 reserved=-1, key=idempotency_key, check=_reserved_at_least, lot=lot, distribution=distribution,
                 reference=reference)


def stock_issue(*, actor, warehouse, item, quantity, distribution=None, lot=None, idempotency_key="") -> StockMovement:
    """Hand reserved units over to people: they leave the warehouse (on hand and reserved go down)."""
    _check_stock_mover(actor, warehouse, distribution)
    _check_lot(lot, warehouse, item)
    _check_distribution(distribution, item)
    return _move(actor=actor, warehouse=warehouse, item=item, kind=StockMovement.Kind.ISSUED, quantity=quantity,
                 on_hand=-1, reserved=-1, key=idempotency_key, check=_reserved_at_least, distribution=distribution,
                 lot=lot)


def stock_return(*, actor, warehouse, item, quantity, distribution=None, lot=None, reason="",
                 idempotency_key="") -> StockMovement:
    """Units handed over come back (a cancelled distribution): on hand goes up again."""
    _check_stock_mover(actor, warehouse, distribution)
    _check_lot(lot, warehouse, item)
    _check_distribution(distribution, item)
    reason = _clean_text(reason, field="reason", limit=300)
    return _move(actor=actor, warehouse=warehouse, item=item, kind=StockMovement.Kind.RETURNED, quantity=quantity,
                 on_hand=1, key=idempotency_key, distribution=distribution, lot=lot, reason=reason)


def stock_write_off(*, actor, warehouse, item, quantity, reason, idempotency_key="") -> StockMovement:
    """Take spoiled, lost or expired units off the books; reserved units must be released first."""
    _check_stock_keeper(actor, warehouse)
    reason = _clean_text(reason, field="reason", limit=300, required=True,
                         message=_("Say why the goods are written off: spoiled, expired, lost, damaged."))
    return _move(actor=actor, warehouse=warehouse, item=item, kind=StockMovement.Kind.WRITTEN_OFF, quantity=quantity,
                 on_hand=-1, key=idempotency_key, check=_free_at_least, reason=reason)
