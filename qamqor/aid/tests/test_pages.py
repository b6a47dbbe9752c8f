"""The aid pages as their users use them: record a need, run a campaign to confirmed hand-overs, ask for help,
confirm a hand-over with the recipient's code, offer and receive a gift."""

import datetime as dt
import re

import pytest

from qamqor.aid import services
from qamqor.aid.models import AllocationRun, Campaign, Distribution, Item, Lot, Need, Offer, Warehouse
from qamqor.core.models import AccessLog
from qamqor.lib.names import full_name_key
from qamqor.registry.models import Person


def person_in(org, region, surname="Кусаинова", given="Ляззат", user=None):
    return Person.objects.create(owner=org, region=region, surname=surname, given_name=given,
                                 name_key=full_name_key(surname, given), birth_date=dt.date(1985, 7, 14), sex="F",
                                 user=user)


def receive_stock(actor, warehouse, item, quantity):
    from qamqor.ledger import services as ledger

    ledger.stock_receive(actor=actor, warehouse=warehouse, item=item, quantity=quantity,
                         idempotency_key=f"page-test-{warehouse.pk}-{item.pk}-{quantity}")


@pytest.fixture
def staff(client_for, people):
    return client_for(people["org_staff"])


@pytest.fixture
def meat(db):
    return Item.objects.get(code="meat-portion")


def errors_of(response):
    html = response.content.decode()
    return re.findall(r'<li><a href="#[^"]+">([^<]+)</a></li>', html)


def test_staff_record_a_need_from_a_person_and_see_it_listed_with_the_access_logged(staff, people, org, almaty, meat):
    person = person_in(org, almaty)
    page = staff.get(f"/aid/needs/new/?person={person.pk}", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "Кусаинова Ляззат" in page.content.decode()

    response = staff.post(f"/aid/needs/new/?person={person.pk}", {"item": meat.pk, "quantity": "2", "urgency": 3},
                          HTTP_ACCEPT_LANGUAGE="en")

    need = Need.objects.get()
    assert response.status_code == 302 and response.url == f"/aid/needs/{need.pk}/"
    listed = staff.get("/aid/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"№ {need.pk}" in listed and "Кусаинова Ляззат" in listed
    assert AccessLog.objects.filter(actor=people["org_staff"], subject_id=str(person.pk),
                                    purpose="aid needs list").exists()


def test_a_bad_quantity_is_named_in_the_error_summary_and_nothing_is_saved(staff, org, almaty, meat):
    person = person_in(org, almaty)
    response = staff.post(f"/aid/needs/new/?person={person.pk}", {"item": meat.pk, "quantity": "2.5", "urgency": 2},
                          HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert errors_of(response) == ["Quantity: Enter the quantity as a whole number of units, without a fraction."]
    assert not Need.objects.exists()


def test_a_coordinator_runs_a_campaign_from_lots_to_confirmed_hand_overs(client_for, people, org, almaty, meat):
    coordinator = client_for(people["coordinator"])
    staff_user = people["org_staff"]
    warehouse = Warehouse.objects.create(organization=org, name="Main store", region=almaty)
    receive_stock(staff_user, warehouse, meat, 5)
    response = coordinator.post("/aid/campaigns/new/", {
        "title": "Kurban Ait 2026", "organizer": org.pk, "starts_on": "2026-05-20", "ends_on": "2026-06-10",
        "regions": [almaty.pk], "item": meat.pk, "target_quantity": "100", "budget_kzt": ""},
        HTTP_ACCEPT_LANGUAGE="en")
    campaign = Campaign.objects.get()
    assert response.status_code == 302, errors_of(response)
    for i in range(3):
        services.need_create(actor=staff_user, person=person_in(org, almaty, given=f"Ляззат{i}"), item=meat,
                             quantity=2)
    coordinator.post(f"/aid/campaigns/{campaign.slug}/gather/")
    assert Need.objects.filter(campaign=campaign).count() == 3
    coordinator.post(f"/aid/campaigns/{campaign.slug}/lots/new/", {"warehouse": warehouse.pk, "item": meat.pk,
                                                                  "quantity": "5"})
    assert Lot.objects.get().quantity == 5

    preview = coordinator.post(f"/aid/campaigns/{campaign.slug}/allocate/", {})
    run = AllocationRun.objects.get()
    page = coordinator.get(preview.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Served in full." in page and "Proven the best possible" in page

    confirmed = coordinator.post(f"/aid/allocations/{run.pk}/confirm/")
    assert confirmed.status_code == 302
    assert Distribution.objects.filter(status="planned").count() >= 3
    assert sum(Distribution.objects.values_list("quantity", flat=True)) == 5


def test_another_organisation_sees_the_run_without_names(client_for, people, org, almaty, meat, make_user):
    from qamqor.accounts.models import Role
    from qamqor.organizations.models import Organization

    other = Organization.objects.create(name="Astana Fund", kind="charity_fund", bin="190540000054", region=almaty,
                                        status="verified")
    outsider = make_user("out@test.kz", Role.ORG_STAFF, organization=other)
    staff_user = people["org_staff"]
    campaign = services.campaign_create(actor=outsider, organizer=other, title="Winter", items=[(meat, 10)],
                                        starts_on=dt.date(2026, 12, 1), ends_on=dt.date(2026, 12, 31), regions=[almaty])
    services.need_create(actor=staff_user, person=person_in(org, almaty), item=meat, quantity=1, campaign=campaign)
    run = services.allocation_preview(actor=outsider, campaign=campaign)

    page = client_for(outsider).get(f"/aid/allocations/{run.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Кусаинова" not in page and "recorded by" in page and "No lot of this item" in page


def test_a_person_asks_for_help_and_tells_their_code_at_the_hand_over(client_for, people, org, almaty, meat):
    user = people["beneficiary"]
    person_in(org, almaty, user=user)
    me = client_for(user)
    form = me.get("/aid/apply/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="region"' not in form  # the registry record says where they live

    response = me.post("/aid/apply/", {"item": meat.pk, "quantity": "1", "urgency": 2,
                                       "description": "No income this month"})
    assert response.status_code == 302
    need = Need.objects.get()
    assert need.self_applied and need.owner == org
    given = services.distribution_create(actor=people["org_staff"], need=need, quantity=1, organization=org)

    mine = me.get("/aid/my/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    code = services.recipient_code(given)
    assert code in mine
    # The giver does not see the code: they type it as the recipient reads it out.
    staff = client_for(people["org_staff"])
    assert code not in staff.get(f"/aid/distributions/{given.pk}/").content.decode()
    wrong = staff.post(f"/aid/distributions/{given.pk}/", {"code": "12345x"}, HTTP_ACCEPT_LANGUAGE="en")
    assert wrong.status_code == 400 and Distribution.objects.get().status == "planned"
    staff.post(f"/aid/distributions/{given.pk}/", {"code": code})
    assert Distribution.objects.get().status == "handed" and Need.objects.get().status == "delivered"


def test_an_applicant_without_a_record_waits_for_a_coordinator_to_link_them(client_for, people, org, almaty, meat):
    me = client_for(people["volunteer"])
    response = me.post("/aid/apply/", {"item": meat.pk, "quantity": "1", "urgency": 2, "description": "Flood",
                                       "name": "Айгүл Ахметова", "phone": "+7 701 000 00 00", "region": almaty.pk})
    assert response.status_code == 302
    need = Need.objects.get()
    person = person_in(org, almaty, surname="Ахметова", given="Айгүл")
    Person.objects.filter(pk=person.pk).update(iin="850714400012")
    coordinator = client_for(people["coordinator"])
    coordinator.post(f"/aid/needs/{need.pk}/link/", {"iin": "850714400012"})
    need.refresh_from_db()
    assert need.person == person and need.applicant is None


def test_a_donor_offers_goods_and_the_organisation_records_their_arrival(client_for, people, org, almaty):
    wheelchair = Item.objects.get(code="wheelchair")
    warehouse = Warehouse.objects.create(organization=org, name="Main store", region=almaty)
    donor = client_for(people["donor"])
    response = donor.post("/aid/offers/new/", {"kind": "goods", "recipient": org.pk, "item": wheelchair.pk,
                                               "quantity": "2"})
    assert response.status_code == 302
    offer = Offer.objects.get()
    staff = client_for(people["org_staff"])
    assert "Record arrival" in staff.get("/aid/offers/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    staff.post(f"/aid/offers/{offer.pk}/receive/", {"warehouse": warehouse.pk})

    offer.refresh_from_db()
    assert offer.status == "received" and offer.warehouse == warehouse
    from qamqor.ledger.models import StockBalance

    assert StockBalance.objects.get(warehouse=warehouse, item=wheelchair).on_hand == 2
    assert "received" in donor.get("/aid/offers/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_money_with_three_decimals_is_refused_on_the_page(client_for, people, org):
    donor = client_for(people["donor"])
    response = donor.post("/aid/offers/new/", {"kind": "money", "recipient": org.pk, "amount_kzt": "100.555"},
                          HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and errors_of(response) == ["Amount, ₸: An amount has at most two decimals (tiyn)."]
    assert not Offer.objects.exists()


def test_public_pages_show_campaigns_and_the_catalogue_to_visitors(client, people, org, almaty, meat):
    services.campaign_create(actor=people["org_staff"], organizer=org, title="Kurban Ait 2026", items=[(meat, 100)],
                             starts_on=dt.date(2026, 5, 20), ends_on=dt.date(2026, 6, 10))
    Campaign.objects.update(status="open")
    assert "Kurban Ait 2026" in client.get("/aid/campaigns/").content.decode()
    page = client.get("/aid/campaigns/kurban-ait-2026/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Progress" in page and "Run the campaign" not in page
    assert "Meat portion" in client.get("/aid/catalogue/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
def test_the_error_is_in_the_users_language(staff, org, almaty, meat):
    person = person_in(org, almaty)
    response = staff.post(f"/aid/needs/new/?person={person.pk}", {"item": meat.pk, "quantity": "-1", "urgency": 2},
                          HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 400 and errors_of(response)
    assert not re.search(r"[A-Za-z]{4,}", errors_of(response)[0])  # a Russian sentence, not the English source


