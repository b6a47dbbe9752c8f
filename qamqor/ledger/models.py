"""Ledger: double-entry accounts in KZT per organisation, and stock per warehouse (DESIGN.md sections 2 and 5).

Money is Decimal in tenge with two decimals (tiyn), never a float. The journal is append-only: a mistake is corrected
by a reversing transaction, never by changing or deleting one. On PostgreSQL, triggers (migration 0002) refuse an
UPDATE or DELETE of a transaction, an entry or a stock movement, and refuse at commit a transaction whose debits
and credits differ. Account balances and stock balances are kept by the services under row locks; CheckConstraints
make a negative cash balance, negative stock or more reserved than on hand impossible to store.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 14, "decimal_places": 2}
# Balances are sums of many amounts: a little more room than one amount.
BALANCE = {"max_digits": 16, "decimal_places": 2}


class Account(models.Model):
    """One account of an organisation's books; the campaign accounts exist once per campaign.

    `balance` is debits minus credits of all its entries, kept by the services in the same database transaction as
    the entries, under a row lock (select_for_update), so it is always the sum of the entries.
    """

    class Kind(models.TextChoices):
        CASH = "cash", _("cash and bank (not restricted)")
        RESTRICTED_CASH = "restricted_cash", _("cash restricted to a campaign")
        DONATIONS = "donations", _("donations received")
        RESTRICTED_FUND = "restricted_fund", _("fund restricted to a campaign")
        PURCHASES = "purchases", _("purchases")
        CASH_ASSISTANCE = "cash_assistance", _("cash assistance paid")
        WRITE_OFFS = "write_offs", _("write-offs")

    # Accounts held per campaign; the others are one per organisation.
    CAMPAIGN_KINDS = ("restricted_cash", "restricted_fund")
    # Accounts whose balance is normally a debit (assets and expenses); the others are normally a credit.
    DEBIT_KINDS = ("cash", "restricted_cash", "purchases", "cash_assistance", "write_offs")
    # Money that must exist to be paid out: these may never go below zero.
    CASH_KINDS = ("cash", "restricted_cash")

    organization = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="accounts",
                                     verbose_name=_("organisation"))
    kind = models.CharField(_("account"), max_length=20, choices=Kind.choices)
    campaign = models.ForeignKey("aid.Campaign", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("campaign"))
    balance = models.DecimalField(_("balance (debit minus credit), ₸"), default=0, **BALANCE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization", "kind", "campaign"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind__in=("restricted_cash", "restricted_fund"), campaign__isnull=False)
                           | (~Q(kind__in=("restricted_cash", "restricted_fund")) & Q(campaign__isnull=True))),
                name="ledger_account_campaign_matches_kind"),
            models.UniqueConstraint(fields=["organization", "kind"], condition=Q(campaign__isnull=True),
                                    name="ledger_account_once"),
            models.UniqueConstraint(fields=["organization", "kind", "campaign"], condition=Q(campaign__isnull=False),
                                    name="ledger_campaign_account_once"),
            # Cash that is not there cannot be spent; a restricted fund is never owed the other way.
            models.CheckConstraint(condition=~Q(kind__in=("cash", "restricted_cash")) | Q(balance__gte=0),
                                   name="ledger_cash_not_negative"),
            models.CheckConstraint(condition=~Q(kind="restricted_fund") | Q(balance__lte=0),
                                   name="ledger_fund_not_negative"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.campaign}" if self.campaign_id else str(self.get_kind_display())

    @property
    def normal_balance(self):
        """The balance as an accountant reads it: positive on the account's normal side."""
        return self.balance if self.kind in self.DEBIT_KINDS else -self.balance


class Transaction(models.Model):
    """A journal entry's header: what happened, when, for whom. Its lines are Entry rows that balance."""

    class Kind(models.TextChoices):
        DONATION = "donation", _("donation received")
        PURCHASE = "purchase", _("purchase")
        CASH_ASSISTANCE = "cash_assistance", _("cash assistance paid")
        REVERSAL = "reversal", _("reversal")

    organization = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT,
                                     related_name="ledger_transactions", verbose_name=_("organisation"))
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # Σ debits (= Σ credits) of its entries: what a person reads as "the amount".
    amount = models.DecimalField(_("amount, ₸"), **MONEY)
    description = models.CharField(_("description"), max_length=300, blank=True)
    donor_name = models.CharField(_("donor"), max_length=200, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    # A client's key for one request: a retried request with the same key is recorded once.
    idempotency_key = models.CharField(_("idempotency key"), max_length=100)
    # SHA-256 of what the request asked for: the same key with different content is refused, not taken as a retry.
    fingerprint = models.CharField(max_length=64)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("recorded by"))
    created_at = models.DateTimeField(auto_now_add=True)
    offer = models.ForeignKey("aid.Offer", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="ledger_transactions", verbose_name=_("offer"))
    campaign = models.ForeignKey("aid.Campaign", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="ledger_transactions", verbose_name=_("campaign"))
    distribution = models.ForeignKey("aid.Distribution", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="ledger_transactions", verbose_name=_("distribution"))
    # A transaction is reversed at most once (OneToOne: unique), and a reversal is never itself reversed.
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="reversed_by", verbose_name=_("reverses"))

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        indexes = [models.Index(fields=["organization", "date"], name="ledger_txn_org_date_idx"),
                   models.Index(fields=["campaign", "kind"], name="ledger_txn_campaign_idx")]
        constraints = [
            models.UniqueConstraint(fields=["organization", "idempotency_key"], name="ledger_txn_key_once"),
            models.CheckConstraint(condition=~Q(idempotency_key=""), name="ledger_txn_key_given"),
            models.CheckConstraint(condition=Q(amount__gt=0) & Q(amount=Round(F("amount"), 2)),
                                   name="ledger_txn_amount_positive"),
            models.CheckConstraint(condition=Q(kind="reversal", reverses__isnull=False)
                                   | (~Q(kind="reversal") & Q(reverses__isnull=True)),
                                   name="ledger_txn_reversal_has_original"),
        ]

    def __str__(self):
        return f"{self.receipt_number} {self.get_kind_display()} {self.amount}"

    @property
    def receipt_number(self):
        """The number printed on a receipt: the organisation, the year, this transaction."""
        return f"{self.organization_id}-{self.date:%Y}-{self.pk:06d}"


class Entry(models.Model):
    """One line of a transaction: a debit or a credit of one account."""

    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    debit = models.DecimalField(_("debit, ₸"), default=0, **MONEY)
    credit = models.DecimalField(_("credit, ₸"), default=0, **MONEY)

    class Meta:
        ordering = ["id"]
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        constraints = [
            # Exactly one side, greater than zero, in whole tiyn.
            models.CheckConstraint(condition=(Q(debit__gt=0, credit=0) | Q(debit=0, credit__gt=0)),
                                   name="ledger_entry_one_side_positive"),
            models.CheckConstraint(condition=Q(debit=Round(F("debit"), 2)) & Q(credit=Round(F("credit"), 2)),
                                   name="ledger_entry_whole_tiyn"),
        ]


class StockBalance(models.Model):
    """Units of one item in one warehouse: on hand, and of those, reserved for distributions not yet handed over.

    Kept by the stock services under a row lock; the constraints make negative stock unstorable.
    """

    warehouse = models.ForeignKey("aid.Warehouse", on_delete=models.PROTECT, related_name="stock",
                                  verbose_name=_("warehouse"))
    item = models.ForeignKey("aid.Item", on_delete=models.PROTECT, related_name="stock", verbose_name=_("item"))
    on_hand = models.IntegerField(_("on hand"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["warehouse", "item"]
        verbose_name = _("stock balance")
        verbose_name_plural = _("stock balances")
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "item"], name="ledger_stock_once"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="ledger_stock_not_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0) & Q(reserved__lte=F("on_hand")),
                                   name="ledger_stock_reserved_within_on_hand"),
        ]

    @property
    def available(self):
        return self.on_hand - self.reserved


class StockMovement(models.Model):
    """One change of stock, append-only: what moved, how many, why, and the balance after it."""

    class Kind(models.TextChoices):
        RECEIVED = "received", _("received")
        RESERVED = "reserved", _("reserved for a distribution")
        RELEASED = "released", _("reservation released")
        ISSUED = "issued", _("handed over")
        RETURNED = "returned", _("returned")
        WRITTEN_OFF = "written_off", _("written off")

    warehouse = models.ForeignKey("aid.Warehouse", on_delete=models.PROTECT, related_name="stock_movements",
                                  verbose_name=_("warehouse"))
    item = models.ForeignKey("aid.Item", on_delete=models.PROTECT, related_name="stock_movements",
                             verbose_name=_("item"))
    kind = models.CharField(_("movement"), max_length=12, choices=Kind.choices)
    quantity = models.PositiveIntegerField(_("quantity"))
    on_hand_after = models.IntegerField(_("on hand after"))
    reserved_after = models.IntegerField(_("reserved after"))
    offer = models.ForeignKey("aid.Offer", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey("aid.Lot", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    distribution = models.ForeignKey("aid.Distribution", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    # Optional for stock: a movement sent with a key is recorded once however often it is retried.
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("recorded by"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        indexes = [models.Index(fields=["warehouse", "item", "created_at"], name="ledger_move_wh_item_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="ledger_move_quantity_positive"),
            models.CheckConstraint(condition=Q(on_hand_after__gte=0) & Q(reserved_after__gte=0)
                                   & Q(reserved_after__lte=F("on_hand_after")), name="ledger_move_after_valid"),
            models.UniqueConstraint(fields=["warehouse", "idempotency_key"], condition=~Q(idempotency_key=""),
                                    name="ledger_move_key_once"),
        ]
