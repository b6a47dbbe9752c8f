"""A stateful property test of the ledger's services: random sequences of donations (restricted or not), spending,
reversals, stock movements and retried idempotency keys, checked after every step against a simple model and
against the invariants the books must keep whatever happens:

- every transaction balances (Σ debit = Σ credit) and has at least two lines;
- each account's balance is the sum of its entries;
- restricted cash per campaign is never negative, equals the campaign's fund, and moves only in transactions of
  that campaign (restricted money is never spent elsewhere); unrestricted cash is never negative;
- stock is never negative, reserved ≤ on hand, and the balances are the sum of the movements.
"""

from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Count, Q, Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule, run_state_machine_as_test

from qamqor.core.errors import ServiceError
from qamqor.ledger import services
from qamqor.ledger.models import Account, Entry, StockBalance, StockMovement, Transaction

AMOUNTS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000.00"), places=2)
QUANTITIES = st.integers(min_value=1, max_value=30)
MONEY_KEYS = st.sampled_from([f"m{i}" for i in range(6)])
STOCK_KEYS = st.sampled_from([f"s{i}" for i in range(4)])


def make_machine(*, org, actor, campaigns, warehouse, items):
    class LedgerMachine(RuleBasedStateMachine):
        transactions = Bundle("transactions")

        def __init__(self):
            super().__init__()
            # Each example runs in a savepoint that teardown rolls back: every example starts from empty books.
            self._atomic = transaction.atomic()
            self._atomic.__enter__()
            self.pots = {None: Decimal(0), **{c.pk: Decimal(0) for c in campaigns}}
            self.money_keys = {}  # key -> (content, transaction id)
            self.stock_keys = {}  # key -> (content, movement id)
            self.stock = {i.pk: [0, 0] for i in items}  # item -> [on hand, reserved]
            self.txns = {}  # id -> (kind, pot, amount)
            self.reversed = set()

        def teardown(self):
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)

        # Money.

        @rule(target=transactions, amount=AMOUNTS, campaign=st.sampled_from([None, *campaigns]), key=MONEY_KEYS)
        def receive(self, amount, campaign, key):
            content = ("receive", amount, campaign and campaign.pk)
            pot = campaign.pk if campaign else None
            if key in self.money_keys and self.money_keys[key][0] != content:
                with pytest.raises(ServiceError) as refused:
                    services.money_receive(actor=actor, organization=org, amount=amount, idempotency_key=key,
                                           campaign=campaign)
                assert refused.value.code == "conflict" and refused.value.field == "idempotency_key"
                return None
            txn = services.money_receive(actor=actor, organization=org, amount=amount, idempotency_key=key,
                                         campaign=campaign)
            if key in self.money_keys:
                assert txn.pk == self.money_keys[key][1] and getattr(txn, "replayed", False)
                return txn.pk
            self.money_keys[key] = (content, txn.pk)
            self.pots[pot] += amount
            self.txns[txn.pk] = ("donation", pot, amount)
            return txn.pk

        @rule(target=transactions, amount=AMOUNTS, campaign=st.sampled_from([None, *campaigns]), key=MONEY_KEYS,
              purpose=st.sampled_from(["purchase", "cash_assistance"]))
        def spend(self, amount, campaign, key, purpose):
            content = ("spend", amount, purpose, campaign and campaign.pk)
            pot = campaign.pk if campaign else None
            known = self.money_keys.get(key)
            if (known is not None and known[0] != content) or (known is None and self.pots[pot] < amount):
                with pytest.raises(ServiceError) as refused:
                    services.money_spend(actor=actor, organization=org, amount=amount, purpose=purpose,
                                         idempotency_key=key, campaign=campaign)
                assert refused.value.field in ("idempotency_key", "amount")
                return None
            txn = services.money_spend(actor=actor, organization=org, amount=amount, purpose=purpose,
                                       idempotency_key=key, campaign=campaign)
            if known is not None:
                assert txn.pk == known[1]
                return txn.pk
            self.money_keys[key] = (content, txn.pk)
            self.pots[pot] -= amount
            self.txns[txn.pk] = ("spend", pot, amount)
            return txn.pk

        @rule(pk=consumes(transactions))
        def reverse(self, pk):
            if pk is None:
                return
            txn = Transaction.objects.get(pk=pk)
            kind, pot, amount = self.txns[pk]
            refused = pk in self.reversed or (kind == "donation" and self.pots[pot] < amount)
            if refused:
                with pytest.raises(ServiceError):
                    services.transaction_reverse(actor=actor, transaction=txn, reason="test")
                return
            reversal = services.transaction_reverse(actor=actor, transaction=txn, reason="test")
            assert reversal.reverses_id == pk
            self.reversed.add(pk)
            self.pots[pot] += -amount if kind == "donation" else amount
            # A reversal is never reversed.
            with pytest.raises(ServiceError):
                services.transaction_reverse(actor=actor, transaction=reversal, reason="test")

        @rule(amount=st.sampled_from(["0", "-5", "1.005", "abc", "0.001", Decimal("NaN"), 1.5]),
              campaign=st.sampled_from([None, *campaigns]))
        def bad_amount(self, amount, campaign):
            before = (Transaction.objects.count(), Entry.objects.count())
            with pytest.raises(ServiceError) as refused:
                services.money_receive(actor=actor, organization=org, amount=amount, idempotency_key="bad",
                                       campaign=campaign)
            assert refused.value.field == "amount"
            assert (Transaction.objects.count(), Entry.objects.count()) == before

        # Stock.

        def _try(self, expect_ok, call):
            if expect_ok:
                return call()
            with pytest.raises(ServiceError) as refused:
                call()
            assert refused.value.field in ("quantity", "idempotency_key")
            return None

        @rule(item=st.sampled_from(items), quantity=QUANTITIES, key=STOCK_KEYS)
        def stock_receive(self, item, quantity, key):
            content = (item.pk, quantity)
            known = self.stock_keys.get(key)
            movement = self._try(known is None or known[0] == content, lambda: services.stock_receive(
                actor=actor, warehouse=warehouse, item=item, quantity=quantity, idempotency_key=key))
            if movement is not None:
                if known is not None:
                    assert movement.pk == known[1]
                else:
                    self.stock_keys[key] = (content, movement.pk)
                    self.stock[item.pk][0] += quantity

        @rule(item=st.sampled_from(items), quantity=QUANTITIES)
        def stock_reserve(self, item, quantity):
            on_hand, reserved = self.stock[item.pk]
            if self._try(on_hand - reserved >= quantity, lambda: services.stock_reserve(
                    actor=actor, warehouse=warehouse, item=item, quantity=quantity)):
                self.stock[item.pk][1] += quantity

        @rule(item=st.sampled_from(items), quantity=QUANTITIES)
        def stock_release(self, item, quantity):
            if self._try(self.stock[item.pk][1] >= quantity, lambda: services.stock_release(
                    actor=actor, warehouse=warehouse, item=item, quantity=quantity)):
                self.stock[item.pk][1] -= quantity

        @rule(item=st.sampled_from(items), quantity=QUANTITIES)
        def stock_issue(self, item, quantity):
            if self._try(self.stock[item.pk][1] >= quantity, lambda: services.stock_issue(
                    actor=actor, warehouse=warehouse, item=item, quantity=quantity)):
                self.stock[item.pk][0] -= quantity
                self.stock[item.pk][1] -= quantity

        @rule(item=st.sampled_from(items), quantity=QUANTITIES)
        def stock_return(self, item, quantity):
            services.stock_return(actor=actor, warehouse=warehouse, item=item, quantity=quantity)
            self.stock[item.pk][0] += quantity

        @rule(item=st.sampled_from(items), quantity=QUANTITIES)
        def stock_write_off(self, item, quantity):
            on_hand, reserved = self.stock[item.pk]
            if self._try(on_hand - reserved >= quantity, lambda: services.stock_write_off(
                    actor=actor, warehouse=warehouse, item=item, quantity=quantity, reason="spoiled")):
                self.stock[item.pk][0] -= quantity

        @rule(item=st.sampled_from(items), quantity=st.sampled_from(["1.5", "-1", "0", 2.0, "x"]))
        def bad_quantity(self, item, quantity):
            before = StockMovement.objects.count()
            with pytest.raises(ServiceError) as refused:
                services.stock_receive(actor=actor, warehouse=warehouse, item=item, quantity=quantity,
                                       idempotency_key="bad-quantity")
            assert refused.value.field == "quantity"
            assert StockMovement.objects.count() == before

        # Invariants.

        @invariant()
        def every_transaction_balances(self):
            unbalanced = (Transaction.objects.annotate(d=Sum("entries__debit"), c=Sum("entries__credit"),
                                                       n=Count("entries"))
                          .filter(~Q(d=models_f("c")) | Q(n__lt=2)))
            assert not unbalanced.exists()
            # Every line moves the transaction's amount.
            assert not Entry.objects.exclude(Q(debit=models_f("transaction__amount"))
                                             | Q(credit=models_f("transaction__amount"))).exists()

        @invariant()
        def balances_are_the_sum_of_entries(self):
            for account in Account.objects.filter(organization=org).annotate(d=Sum("entries__debit"),
                                                                              c=Sum("entries__credit")):
                assert account.balance == (account.d or 0) - (account.c or 0), account

        @invariant()
        def restricted_money_stays_with_its_campaign(self):
            accounts = {(a.kind, a.campaign_id): a.balance for a in Account.objects.filter(organization=org)}
            assert accounts.get(("cash", None), 0) == self.pots[None] >= 0
            for campaign in campaigns:
                cash = accounts.get(("restricted_cash", campaign.pk), Decimal(0))
                assert cash == self.pots[campaign.pk] >= 0
                assert accounts.get(("restricted_fund", campaign.pk), Decimal(0)) == -cash
            # A line on a campaign's account belongs to a transaction of that campaign, never another's.
            assert not Entry.objects.filter(account__campaign__isnull=False).exclude(
                transaction__campaign=models_f("account__campaign")).exists()

        @invariant()
        def stock_is_never_negative(self):
            for row in StockBalance.objects.filter(warehouse=warehouse):
                assert 0 <= row.reserved <= row.on_hand
                assert [row.on_hand, row.reserved] == self.stock[row.item_id]
                moved = dict(StockMovement.objects.filter(warehouse=warehouse, item_id=row.item_id)
                             .values_list("kind").annotate(q=Sum("quantity")))
                assert row.on_hand == (moved.get("received", 0) + moved.get("returned", 0)
                                       - moved.get("issued", 0) - moved.get("written_off", 0))
                assert row.reserved == (moved.get("reserved", 0) - moved.get("released", 0)
                                        - moved.get("issued", 0))

    return LedgerMachine


def models_f(name):
    from django.db.models import F

    return F(name)


@pytest.mark.django_db
def test_the_books_keep_their_invariants_whatever_happens(people, org, campaign, other_campaign, warehouse, food,
                                                          wheelchair):
    machine = make_machine(org=org, actor=people["org_staff"], campaigns=[campaign, other_campaign],
                           warehouse=warehouse, items=[food, wheelchair])
    run_state_machine_as_test(machine, settings=settings(
        max_examples=15, stateful_step_count=25, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]))
