"""The ledger's pages through HTTP: the forms record through the services with the error-summary pattern, a double
submission records once, the receipts are PDFs in three languages, the trace page counts and never names."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from qamqor.ledger import services
from qamqor.ledger.models import StockBalance, Transaction

pytestmark = pytest.mark.django_db

KAZAKH_LETTERS = "әғқңөұүһі"
# With the organisation's name and the campaign's title, every Kazakh letter is in each receipt.
DONOR = "Шаһарбану Өмірзақова («Үміт», Ұлытау, Теңіз)"


def pdf_text(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_it_records_a_donation_once_however_often_the_form_is_sent(client_for, people, org, campaign):
    client = client_for(people["org_staff"])
    page = client.get(f"/ledger/organizations/{org.pk}/donations/new/")
    assert page.status_code == 200
    key = page.context["form"].initial["idempotency_key"]
    data = {"amount": "150 000,50", "campaign": campaign.pk, "donor_name": "Асқар", "received_on": "2026-05-20",
            "idempotency_key": key}
    first = client.post(f"/ledger/organizations/{org.pk}/donations/new/", data)
    second = client.post(f"/ledger/organizations/{org.pk}/donations/new/", data)
    assert first.status_code == second.status_code == 302
    [txn] = Transaction.objects.all()
    assert txn.amount == Decimal("150000.50") and txn.campaign == campaign
    ledger = client.get(f"/ledger/organizations/{org.pk}/")
    assert ledger.status_code == 200
    assert "150" in ledger.content.decode() and txn.receipt_number in ledger.content.decode()


def test_it_shows_the_error_summary_and_records_nothing_for_a_bad_amount(client_for, people, org):
    client = client_for(people["org_staff"])
    response = client.post(f"/ledger/organizations/{org.pk}/donations/new/",
                           {"amount": "10.555", "received_on": "2026-05-20", "idempotency_key": "k1"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="error-summary"' in html and 'href="#id_amount"' in html and "two decimals" in html
    assert not Transaction.objects.exists()


def test_spending_more_than_the_campaign_has_is_refused_on_the_page(client_for, people, org, campaign):
    services.money_receive(actor=people["org_staff"], organization=org, amount="100.00", idempotency_key="a",
                           campaign=campaign)
    client = client_for(people["org_staff"])
    response = client.post(f"/ledger/organizations/{org.pk}/spending/new/",
                           {"purpose": "purchase", "amount": "100.01", "campaign": campaign.pk,
                            "description": "Ет", "idempotency_key": "b"})
    assert response.status_code == 400 and "below zero" in response.content.decode()
    response = client.post(f"/ledger/organizations/{org.pk}/spending/new/",
                           {"purpose": "purchase", "amount": "100.00", "campaign": campaign.pk,
                            "description": "Ет", "idempotency_key": "b"})
    assert response.status_code == 302
    assert Transaction.objects.filter(kind="purchase").count() == 1


def test_it_reverses_from_the_journal(client_for, people, org):
    txn = services.money_receive(actor=people["org_staff"], organization=org, amount="10.00", idempotency_key="a")
    client = client_for(people["org_admin"])
    assert client.get(f"/ledger/transactions/{txn.pk}/reverse/").status_code == 200
    assert client.post(f"/ledger/transactions/{txn.pk}/reverse/", {"reason": ""}).status_code == 400
    assert client.post(f"/ledger/transactions/{txn.pk}/reverse/", {"reason": "twice"}).status_code == 302
    response = client.post(f"/ledger/transactions/{txn.pk}/reverse/", {"reason": "twice"})
    assert response.status_code == 400 and "already been reversed" in response.content.decode()
    assert Transaction.objects.filter(reverses=txn).count() == 1


def test_goods_are_received_and_written_off_on_the_warehouse_pages(client_for, people, warehouse, food):
    client = client_for(people["org_staff"])
    base = f"/ledger/warehouses/{warehouse.pk}"
    assert client.post(f"{base}/receive/", {"item": food.pk, "quantity": "1.5", "idempotency_key": "a"}).status_code == 400
    assert client.post(f"{base}/receive/", {"item": food.pk, "quantity": "12", "idempotency_key": "a"}).status_code == 302
    response = client.post(f"{base}/write-off/", {"item": food.pk, "quantity": "13", "reason": "spoiled",
                                                  "idempotency_key": "b"})
    assert response.status_code == 400 and "Only 12 units are free" in response.content.decode()
    assert client.post(f"{base}/write-off/", {"item": food.pk, "quantity": "2", "reason": "spoiled",
                                              "idempotency_key": "b"}).status_code == 302
    assert StockBalance.objects.get(warehouse=warehouse, item=food).on_hand == 10
    page = client.get(f"{base}/")
    assert page.status_code == 200 and "<caption>" in page.content.decode()
    assert client.get(f"/ledger/organizations/{warehouse.organization_id}/stock/").status_code == 200


@pytest.mark.parametrize("lang,words", [
    ("kk", ["Қайырымдылық көмек туралы түбіртек", "Сомасы", "150 000,00 теңге", "Алушы ұйым", "БСН"]),
    ("ru", ["Квитанция о благотворительном пожертвовании", "Сумма", "150 000,00 тенге", "БИН"]),
    ("en", ["Receipt for a charitable donation", "Amount", "150,000.00 KZT", "BIN"]),
])
def test_the_receipt_is_a_pdf_in_each_language(client_for, people, org, offer, lang, words):
    txn = services.money_receive(actor=people["org_staff"], organization=org, amount="150000.00",
                                 idempotency_key="gift", offer=offer, donor_name=DONOR,
                                 received_on=dt.date(2026, 5, 27))
    text = pdf_text(client_for(people["donor"]).get(f"/ledger/receipts/{txn.pk}.pdf?lang={lang}"))
    for word in words + [org.name, org.bin, "27.05.2026", txn.receipt_number, offer.campaign.title,
                         DONOR]:
        assert word in text, (word, text)
    assert set(KAZAKH_LETTERS) <= set(text.lower())


def test_the_trace_page_counts_and_never_names(client_for, people, org, offer, warehouse, food, almaty):
    from qamqor.aid.models import Distribution, Lot, Need
    from qamqor.lib.names import full_name_key
    from qamqor.registry.models import Person

    services.money_receive(actor=people["org_staff"], organization=org, amount="150000.00", idempotency_key="gift",
                           offer=offer)
    services.money_spend(actor=people["org_staff"], organization=org, amount="40000.00", purpose="purchase",
                         idempotency_key="meat", campaign=offer.campaign, description="Ет")
    lot = Lot.objects.create(campaign=offer.campaign, item=food, warehouse=warehouse, region=almaty, quantity=10,
                             allocated=3, offer=offer)
    for surname, status in [("Кусаинова", "handed"), ("Жұмабекова", "handed"), ("Серікбаев", "planned")]:
        person = Person.objects.create(owner=org, region=almaty, surname=surname, given_name="Ләззат",
                                       name_key=full_name_key(surname, "Ләззат"))
        need = Need.objects.create(person=person, item=food, quantity=1, region=almaty, owner=org)
        Distribution.objects.create(need=need, person=person, item=food, quantity=1, lot=lot, organization=org,
                                    status=status, **({"handed_at": "2026-05-27T10:00:00+05:00",
                                                       "confirmation": "code"} if status == "handed" else {}))
    response = client_for(people["donor"]).get(f"/ledger/trace/{offer.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("Кусаинова", "Жұмабекова", "Серікбаев", "Ләззат"):
        assert name not in html
    rows = response.context["distributions"]
    assert sorted((r["status"], r["count"]) for r in rows) == sorted([(str(Distribution.Status.HANDED.label), 2),
                                                                      (str(Distribution.Status.PLANNED.label), 1)])
    trace = response.context["trace"]
    assert (trace.campaign.raised, trace.campaign.spent, trace.campaign.left) == (
        Decimal("150000.00"), Decimal("40000.00"), Decimal("110000.00"))
    assert trace.given == Decimal("150000.00")
    assert response.context["lots"][0]["quantity"] == 10


def test_a_donor_sees_their_own_gifts_and_receipts(client_for, people, org, offer):
    txn = services.money_receive(actor=people["org_staff"], organization=org, amount="150000.00",
                                 idempotency_key="gift", offer=offer)
    page = client_for(people["donor"]).get("/ledger/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"/ledger/receipts/{txn.pk}.pdf?lang=kk" in html and f"/ledger/trace/{offer.pk}/" in html


def test_the_ledger_page_reads_the_same_number_of_queries_however_long_the_journal(
        client_for, people, org, campaign, django_assert_max_num_queries):
    client = client_for(people["org_staff"])
    for i in range(2):
        services.money_receive(actor=people["org_staff"], organization=org, amount="10.00", idempotency_key=f"a{i}",
                               campaign=campaign)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(f"/ledger/organizations/{org.pk}/").status_code == 200
    for i in range(12):
        gift = services.money_receive(actor=people["org_staff"], organization=org, amount="10.00",
                                      idempotency_key=f"b{i}")
        if i % 3 == 0:
            services.transaction_reverse(actor=people["org_staff"], transaction=gift, reason="twice")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(f"/ledger/organizations/{org.pk}/").status_code == 200


def test_a_reversed_donations_receipt_says_so(client_for, people, org):
    txn = services.money_receive(actor=people["org_staff"], organization=org, amount="10.00", idempotency_key="a",
                                 donor_name="Асқар")
    services.transaction_reverse(actor=people["org_staff"], transaction=txn, reason="bank returned it")
    text = pdf_text(client_for(people["org_staff"]).get(f"/ledger/receipts/{txn.pk}.pdf?lang=en"))
    assert "this donation was reversed on" in text
    reversal = Transaction.objects.get(reverses=txn)
    assert client_for(people["org_staff"]).get(f"/ledger/receipts/{reversal.pk}.pdf").status_code == 404


def test_a_member_of_the_donor_organisation_sees_its_gift(client_for, make_user, people, org, campaign, almaty):
    from qamqor.accounts.models import Role
    from qamqor.aid.models import Offer
    from qamqor.organizations.models import Organization

    business = Organization.objects.create(name="ТОО «Береке»", kind="business", bin="190550000019", region=almaty,
                                           status="verified")
    member = make_user("berek@test.kz", Role.ORG_STAFF, organization=business)
    offer = Offer.objects.create(kind="money", donor_organization=business, recipient=org, campaign=campaign,
                                 amount_kzt=Decimal("5000.00"))
    txn = services.money_receive(actor=people["org_staff"], organization=org, amount="5000.00",
                                 idempotency_key="gift", offer=offer)
    client = client_for(member)
    assert client.get(f"/ledger/trace/{offer.pk}/").status_code == 200
    assert "ТОО «Береке»" in pdf_text(client.get(f"/ledger/receipts/{txn.pk}.pdf?lang=ru"))
    # Their organisation's membership does not open the receiving organisation's books.
    assert client.get(f"/ledger/organizations/{org.pk}/").status_code == 404
