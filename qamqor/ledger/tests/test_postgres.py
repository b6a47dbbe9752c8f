"""On PostgreSQL, where the database itself guards the books: it refuses an unbalanced transaction and any change
or deletion of the journal, and two people spending the last restricted money at once cannot both succeed."""

from decimal import Decimal

import pytest
from conftest import run_at_once
from django.db import DatabaseError, IntegrityError, connection, transaction

from qamqor.core.errors import ServiceError
from qamqor.ledger import services
from qamqor.ledger.models import Account, Entry, StockBalance, Transaction

pytestmark = pytest.mark.postgres


def insert_transaction(cursor, org, key, lines):
    cursor.execute(
        "INSERT INTO ledger_transaction (organization_id, date, kind, amount, description, donor_name, reason, "
        "idempotency_key, fingerprint, created_at) VALUES (%s, CURRENT_DATE, 'donation', 100, '', '', '', %s, '', "
        "now()) RETURNING id", [org.pk, key])
    txn_id = cursor.fetchone()[0]
    for account_id, debit, credit in lines:
        cursor.execute("INSERT INTO ledger_entry (transaction_id, account_id, debit, credit) VALUES (%s, %s, %s, %s)",
                       [txn_id, account_id, debit, credit])
    return txn_id


@pytest.mark.django_db
def test_the_database_refuses_an_unbalanced_transaction(org):
    cash = Account.objects.create(organization=org, kind="cash")
    income = Account.objects.create(organization=org, kind="donations")
    with pytest.raises(IntegrityError, match="does not balance"):
        with transaction.atomic():
            with connection.cursor() as cursor:
                insert_transaction(cursor, org, "sql-1", [(cash.pk, 100, 0), (income.pk, 0, 90)])
                # The check is deferred to commit; ask for it now (the test's own transaction never commits).
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with pytest.raises(IntegrityError, match="does not balance"):
        with transaction.atomic():
            with connection.cursor() as cursor:
                insert_transaction(cursor, org, "sql-2", [(cash.pk, 100, 0)])
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with transaction.atomic():
        with connection.cursor() as cursor:
            insert_transaction(cursor, org, "sql-3", [(cash.pk, 100, 0), (income.pk, 0, 100)])
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.django_db
def test_the_database_refuses_to_change_or_delete_the_journal(people, org, warehouse, food):
    txn = services.money_receive(actor=people["org_staff"], organization=org, amount="100.00", idempotency_key="a")
    services.stock_receive(actor=people["org_staff"], warehouse=warehouse, item=food, quantity=3, idempotency_key="b")
    entry = txn.entries.first()
    for statement, params in [
        ("UPDATE ledger_entry SET debit = debit + 1 WHERE id = %s", [entry.pk]),
        ("DELETE FROM ledger_entry WHERE id = %s", [entry.pk]),
        ("UPDATE ledger_transaction SET amount = 1 WHERE id = %s", [txn.pk]),
        ("DELETE FROM ledger_transaction WHERE id = %s", [txn.pk]),
        ("UPDATE ledger_stockmovement SET quantity = 1", []),
        ("DELETE FROM ledger_stockmovement", []),
    ]:
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(statement, params)
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic():
            Entry.objects.filter(pk=entry.pk).update(credit=Decimal("5"))
    assert Entry.objects.get(pk=entry.pk).debit + Entry.objects.get(pk=entry.pk).credit == Decimal("100.00")


@pytest.mark.django_db
def test_the_database_refuses_negative_stock_and_cash(org, warehouse, food):
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            StockBalance.objects.create(warehouse=warehouse, item=food, on_hand=2, reserved=3)
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            Account.objects.create(organization=org, kind="cash", balance=Decimal("-0.01"))



@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("transactional_regions")
def test_two_people_spending_the_last_restricted_money_at_once_only_one_succeeds(people, org, campaign):
    services.money_receive(actor=people["org_staff"], organization=org, amount="1000.00", idempotency_key="gift",
                           campaign=campaign)

    def spend(actor, key):
        return lambda: services.money_spend(actor=actor, organization=org, amount="700.00", purpose="purchase",
                                            idempotency_key=key, campaign=campaign)

    results = run_at_once([spend(people["org_staff"], "first"), spend(people["org_admin"], "second")])
    succeeded = [r for r in results if isinstance(r, Transaction)]
    refused = [r for r in results if isinstance(r, ServiceError)]
    assert len(succeeded) == 1 and len(refused) == 1, results
    assert refused[0].field == "amount"  # the restricted cash would go below zero
    cash = Account.objects.get(organization=org, kind="restricted_cash", campaign=campaign)
    assert cash.balance == Decimal("300.00")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("transactional_regions")
def test_the_same_donation_sent_twice_at_once_is_recorded_once(people, org, campaign):
    def give():
        return services.money_receive(actor=people["org_staff"], organization=org, amount="50.00",
                                      idempotency_key="retry", campaign=campaign)

    results = run_at_once([give, give, give])
    assert all(isinstance(r, Transaction) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert Transaction.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("transactional_regions")
def test_two_reservations_of_the_last_units_at_once_only_one_succeeds(people, warehouse, food):
    services.stock_receive(actor=people["org_staff"], warehouse=warehouse, item=food, quantity=5, idempotency_key="a")

    def reserve():
        return services.stock_reserve(actor=people["coordinator"], warehouse=warehouse, item=food, quantity=4)

    results = run_at_once([reserve, reserve])
    assert sum(isinstance(r, ServiceError) for r in results) == 1, results
    row = StockBalance.objects.get(warehouse=warehouse, item=food)
    assert (row.on_hand, row.reserved) == (5, 4)
