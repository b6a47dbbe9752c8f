"""The ledger's services as the aid app calls them: idempotency, refusals that name the field and change nothing,
restricted money, reversals, stock, permissions."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from qamqor.core.errors import PermissionDenied, ServiceError
from qamqor.core.models import AuditLog
from qamqor.ledger import selectors, services
from qamqor.ledger.models import Account, Entry, StockBalance, StockMovement, Transaction

pytestmark = pytest.mark.django_db


def counts():
    return (Transaction.objects.count(), Entry.objects.count(), Account.objects.count(),
            StockMovement.objects.count(), AuditLog.objects.filter(action__startswith="ledger.").count())


def test_it_records_a_retried_donation_once(people, org, campaign):
    staff = people["org_staff"]
    first = services.money_receive(actor=staff, organization=org, amount="150000.00", idempotency_key="gift-1",
                                   campaign=campaign, donor_name="Асқар Тоқтаров")
    before = counts()
    again = services.money_receive(actor=staff, organization=org, amount=Decimal("150000"), idempotency_key="gift-1",
                                   campaign=campaign, donor_name="Асқар Тоқтаров")
    assert again.pk == first.pk and again.replayed
    assert counts() == before
    assert [c.raised for c in selectors.campaign_totals(organization=org)] == [Decimal("150000.00")]


def test_it_refuses_the_same_key_with_other_content(people, org, campaign):
    staff = people["org_staff"]
    services.money_receive(actor=staff, organization=org, amount="100.00", idempotency_key="k", campaign=campaign)
    before = counts()
    with pytest.raises(ServiceError) as refused:
        services.money_receive(actor=staff, organization=org, amount="200.00", idempotency_key="k", campaign=campaign)
    assert refused.value.field == "idempotency_key" and refused.value.code == "conflict"
    assert "different request" in str(refused.value.message)
    assert counts() == before


@pytest.mark.parametrize("amount,message", [
    ("0", "greater than zero"), ("-10", "greater than zero"), ("10.005", "two decimals"), ("1.999", "two decimals"),
    ("abc", "as digits"), ("", "as digits"), (1.5, "as digits"), ("1e20", "too large"), ("NaN", "as digits"),
])
def test_it_refuses_a_bad_amount_naming_the_field_and_changes_nothing(people, org, campaign, amount, message):
    before = counts()
    with pytest.raises(ServiceError) as refused:
        services.money_receive(actor=people["org_staff"], organization=org, amount=amount, idempotency_key="x",
                               campaign=campaign)
    assert refused.value.field == "amount"
    assert message in str(refused.value.message)
    assert counts() == before


@pytest.mark.parametrize("quantity", ["1.5", Decimal("2.25"), -3, 0, "ten", 2.0, True])
def test_it_refuses_a_bad_quantity_naming_the_field_and_changes_nothing(people, warehouse, food, quantity):
    before = counts()
    with pytest.raises(ServiceError) as refused:
        services.stock_receive(actor=people["org_staff"], warehouse=warehouse, item=food, quantity=quantity,
                               idempotency_key="x")
    assert refused.value.field == "quantity"
    assert counts() == before


def test_it_writes_an_audit_row_with_each_change(people, org):
    txn = services.money_receive(actor=people["org_admin"], organization=org, amount="10.50", idempotency_key="a")
    row = AuditLog.objects.get(action="ledger.money_receive")
    assert row.object_id == str(txn.pk) and row.actor == people["org_admin"]
    assert row.after["amount"] == "10.50"


def test_restricted_money_is_spent_only_on_its_campaign(people, org, campaign, other_campaign):
    staff = people["org_staff"]
    services.money_receive(actor=staff, organization=org, amount="1000.00", idempotency_key="a", campaign=campaign)
    services.money_receive(actor=staff, organization=org, amount="50.00", idempotency_key="b")
    before = counts()
    with pytest.raises(ServiceError) as refused:
        services.money_spend(actor=staff, organization=org, amount="100.00", purpose="purchase",
                             idempotency_key="c", campaign=other_campaign)
    assert refused.value.field == "amount" and "restricted" in str(refused.value.message)
    with pytest.raises(ServiceError):
        # Unrestricted spending cannot dip into the campaign's money either.
        services.money_spend(actor=staff, organization=org, amount="60.00", purpose="purchase", idempotency_key="d")
    assert counts() == before
    services.money_spend(actor=staff, organization=org, amount="1000.00", purpose="cash_assistance",
                         idempotency_key="e", campaign=campaign)
    [totals] = [c for c in selectors.campaign_totals(organization=org) if c.campaign_id == campaign.pk]
    assert (totals.raised, totals.spent, totals.left) == (Decimal("1000.00"), Decimal("1000.00"), Decimal("0.00"))
    with pytest.raises(ServiceError):
        services.money_spend(actor=staff, organization=org, amount="0.01", purpose="purchase", idempotency_key="f",
                             campaign=campaign)


def test_a_reversal_swaps_the_lines_and_is_not_repeated(people, org, campaign):
    staff = people["org_staff"]
    gift = services.money_receive(actor=staff, organization=org, amount="500.00", idempotency_key="a",
                                  campaign=campaign)
    reversal = services.transaction_reverse(actor=staff, transaction=gift, reason="recorded twice")
    assert sorted((e.account_id, e.debit, e.credit) for e in reversal.entries.all()) == sorted(
        (e.account_id, e.credit, e.debit) for e in gift.entries.all())
    assert all(a.balance == 0 for a in Account.objects.filter(organization=org))
    with pytest.raises(ServiceError, match="already been reversed"):
        services.transaction_reverse(actor=staff, transaction=gift, reason="again")
    with pytest.raises(ServiceError, match="cannot itself be reversed"):
        services.transaction_reverse(actor=staff, transaction=reversal, reason="undo")
    with pytest.raises(ServiceError) as refused:
        services.transaction_reverse(actor=staff, transaction=gift, reason="  ")
    assert refused.value.field == "reason"


def test_a_donation_already_spent_cannot_be_reversed(people, org, campaign):
    staff = people["org_staff"]
    gift = services.money_receive(actor=staff, organization=org, amount="500.00", idempotency_key="a",
                                  campaign=campaign)
    services.money_spend(actor=staff, organization=org, amount="300.00", purpose="purchase", idempotency_key="b",
                         campaign=campaign)
    with pytest.raises(ServiceError, match="below zero"):
        services.transaction_reverse(actor=staff, transaction=gift, reason="bank returned it")


def test_a_donation_for_an_offer_takes_its_campaign_and_donor(people, org, offer):
    txn = services.money_receive(actor=people["org_staff"], organization=org, amount="150000.00",
                                 idempotency_key="offer-1", offer=offer)
    assert txn.campaign_id == offer.campaign_id and txn.donor_name == str(people["donor"])


def test_only_the_organisations_staff_record(people, org, warehouse, food):
    for role in ("platform_admin", "coordinator", "dispatcher", "donor", "volunteer"):
        with pytest.raises(PermissionDenied):
            services.money_receive(actor=people[role], organization=org, amount="1.00", idempotency_key=role)
        with pytest.raises(PermissionDenied):
            services.stock_receive(actor=people[role], warehouse=warehouse, item=food, quantity=1,
                                   idempotency_key=role)
    assert counts() == (0, 0, 0, 0, 0)


def test_the_regions_coordinator_may_reserve_for_an_allocation(people, warehouse, food):
    services.stock_receive(actor=people["org_staff"], warehouse=warehouse, item=food, quantity=5,
                           idempotency_key="in")
    services.stock_reserve(actor=people["coordinator"], warehouse=warehouse, item=food, quantity=5, reference="run 1")
    for role in ("volunteer", "donor", "dispatcher"):
        with pytest.raises(PermissionDenied):
            services.stock_reserve(actor=people[role], warehouse=warehouse, item=food, quantity=1)


def test_stock_moves_and_never_goes_below_zero(people, warehouse, food):
    staff = people["org_staff"]
    services.stock_receive(actor=staff, warehouse=warehouse, item=food, quantity=10, idempotency_key="in")
    services.stock_reserve(actor=staff, warehouse=warehouse, item=food, quantity=6)
    with pytest.raises(ServiceError, match="Only 4 units are free"):
        services.stock_write_off(actor=staff, warehouse=warehouse, item=food, quantity=5, reason="spoiled")
    services.stock_issue(actor=staff, warehouse=warehouse, item=food, quantity=4)
    services.stock_release(actor=staff, warehouse=warehouse, item=food, quantity=2)
    services.stock_return(actor=staff, warehouse=warehouse, item=food, quantity=1, reason="cancelled")
    with pytest.raises(ServiceError, match="reserved"):
        services.stock_issue(actor=staff, warehouse=warehouse, item=food, quantity=1)
    row = StockBalance.objects.get(warehouse=warehouse, item=food)
    assert (row.on_hand, row.reserved) == (7, 0)
    again = services.stock_receive(actor=staff, warehouse=warehouse, item=food, quantity=10, idempotency_key="in")
    assert again.replayed and StockBalance.objects.get(pk=row.pk).on_hand == 7


def test_a_future_date_is_refused(people, org):
    with pytest.raises(ServiceError) as refused:
        services.money_receive(actor=people["org_staff"], organization=org, amount="1.00", idempotency_key="a",
                               received_on=timezone.localdate() + dt.timedelta(days=2))
    assert refused.value.field == "received_on"


def test_keys_kept_for_reversals_are_refused(people, org):
    with pytest.raises(ServiceError) as refused:
        services.money_receive(actor=people["org_staff"], organization=org, amount="1.00",
                               idempotency_key="reversal-of-1")
    assert refused.value.field == "idempotency_key"
