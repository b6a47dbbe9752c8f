"""The aid API, /api/v1/aid/, through HTTP with Bearer tokens: the same scope as the pages, every person shown in the
access log (channel "api"), every write through a service with its audit row, one error shape."""

import datetime as dt
import json
import re

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, settings

from qamqor.accounts.models import Role
from qamqor.accounts.services import token_create
from qamqor.aid import services
from qamqor.aid.models import Distribution, Item, Lot, Need, Offer, Warehouse
from qamqor.api.tests.test_api import assert_error
from qamqor.core.models import AccessLog, AuditLog
from qamqor.lib.names import full_name_key
from qamqor.organizations.models import Organization
from qamqor.registry.models import Person

API = "/api/v1/aid"
ALMATY = "750000000"


class Api:
    """A client program using one user's personal access token."""

    def __init__(self, user, language="en"):
        _token, raw = token_create(user=user, name="test")
        self.user = user
        self.raw = raw
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_ACCEPT_LANGUAGE": language}

    def get(self, path, query=None):
        return self.client.get(API + path, query or {}, **self.headers)

    def post(self, path, data=None, **headers):
        body = json.dumps(data) if data is not None else ""
        return self.client.post(API + path, body, content_type="application/json", **self.headers, **headers)


def make_person(org, region, surname="Кусаинова", given_name="Ляззат", **extra):
    return Person.objects.create(owner=org, region=region, surname=surname, given_name=given_name,
                                 name_key=full_name_key(surname, given_name), **extra)


def stock(actor, warehouse, code, quantity):
    """Goods arrive at the warehouse (the ledger's stock), so that lots can be made from them."""
    from qamqor.ledger import services as ledger

    ledger.stock_receive(actor=actor, warehouse=warehouse, item=Item.objects.get(code=code), quantity=quantity,
                         idempotency_key=f"test-{warehouse.pk}-{code}-{quantity}")


def field_of(error):
    return [f["field"] for f in error["fields"]]


@pytest.fixture
def other_org(db, almaty):
    """Another verified organisation working in Almaty too."""
    return Organization.objects.create(name="Astana Fund", kind="charity_fund", bin="190540000054", region=almaty,
                                       status="verified")


@pytest.fixture
def staff(people):
    return Api(people["org_staff"])


@pytest.fixture
def outsider(make_user, other_org):
    return Api(make_user("outsider@test.kz", Role.ORG_STAFF, organization=other_org))


@pytest.fixture
def coordinator(people):
    return Api(people["coordinator"])  # of Almaty


@pytest.fixture
def person(org, almaty):
    return make_person(org, almaty)


@pytest.fixture
def warehouse(org, almaty):
    return Warehouse.objects.create(organization=org, name="Main store", region=almaty)


def need_for(person, **changes):
    return {"person_id": person.pk, "item": "meat-portion", "quantity": 2, "urgency": 3, **changes}


@pytest.fixture
def campaign(staff, org):
    response = staff.post("/campaigns", {
        "organizer_id": org.pk, "title": "Kurban Ait 2026", "starts_on": "2026-05-20", "ends_on": "2026-06-10",
        "items": [{"item": "meat-portion", "target_quantity": 100}], "regions": [ALMATY], "budget_kzt": "150000.50"})
    assert response.status_code == 201, response.content
    return response.json()


# The catalogue and campaigns are public.

def test_the_catalogue_is_public_and_names_items_in_the_request_language(db, client):
    response = client.get(API + "/items", HTTP_ACCEPT_LANGUAGE="ru")

    assert response.status_code == 200
    items = {i["code"]: i for i in response.json()}
    package = items["food-package"]
    assert package["name"] == "Продуктовый набор" and package["name_en"] == "Food package"
    assert package["kind"] == "kit" and package["help_kind"] == "food" and package["value_kzt"] == "15000.00"
    assert {c["item"]: c["quantity"] for c in package["components"]} == {
        "flour-10kg": 1, "sunflower-oil-1l": 2, "rice-5kg": 1, "tea-250g": 1}
    assert items["legal-aid"]["components"] == []


def test_campaigns_are_public_once_open_and_drafts_only_for_those_who_run_them(client, staff, outsider, campaign):
    slug = campaign["slug"]
    assert campaign["status"] == "draft" and campaign["budget_kzt"] == "150000.50"
    assert campaign["regions"] == [ALMATY] and campaign["can_manage"] is True
    progress = campaign["progress"][0]
    assert progress["item"]["code"] == "meat-portion" and progress["item"]["unit"] == "portion"
    assert {k: v for k, v in progress.items() if k != "item"} == {"target": 100, "in_lots": 0, "allocated": 0,
                                                                  "handed": 0, "needs": 0, "needed": 0}

    assert client.get(API + "/campaigns").json()["items"] == []
    assert_error(client.get(f"{API}/campaigns/{slug}"), 404, "not_found")
    assert_error(outsider.post(f"/campaigns/{slug}/status", {"status": "open"}), 404, "not_found")

    assert staff.post(f"/campaigns/{slug}/status", {"status": "open"}).json()["status"] == "open"

    assert [c["slug"] for c in client.get(API + "/campaigns").json()["items"]] == [slug]
    public = client.get(f"{API}/campaigns/{slug}").json()
    assert public["can_manage"] is False and public["progress"][0]["target"] == 100
    assert_error(outsider.post(f"/campaigns/{slug}/status", {"status": "closed"}), 403, "forbidden")


def test_a_campaign_with_bad_input_is_refused_naming_the_field(staff, org, other_org):
    good = {"organizer_id": org.pk, "title": "Winter", "starts_on": "2026-12-01", "ends_on": "2027-01-31",
            "items": [{"item": "winter-clothes", "target_quantity": 50}]}

    for changes, field in [({"ends_on": "2026-11-01"}, "ends_on"), ({"organizer_id": other_org.pk}, "organizer_id"),
                           ({"items": [{"item": "no-such-item", "target_quantity": 1}]}, "items"),
                           ({"items": [{"item": "laptop", "target_quantity": 1.5}]}, "items.0.target_quantity"),
                           ({"regions": ["111111111"]}, "regions"), ({"budget_kzt": "10.001"}, "budget_kzt"),
                           ({"colour": "red"}, "colour")]:
        error = assert_error(staff.post("/campaigns", {**good, **changes}), 422)
        assert field_of(error) == [field], (changes, error)
    assert not AuditLog.objects.filter(action="campaign.create").exists()


# Needs: scope, bad input, the access log.

def test_staff_record_a_need_for_their_person_and_it_is_audited(staff, person, org):
    response = staff.post("/needs", need_for(person, evidence="Social worker's visit"))

    assert response.status_code == 201, response.content
    need = response.json()
    assert need["recipient"] == "Кусаинова Ляззат" and need["person_id"] == person.pk
    assert (need["quantity"], need["urgency"], need["status"], need["region_kato"]) == (2, 3, "open", ALMATY)
    assert need["owner"] == {"id": org.pk, "name": org.name} and need["item"]["code"] == "meat-portion"
    assert AuditLog.objects.filter(action="need.create", object_id=str(need["id"]), actor=staff.user).count() == 1
    assert staff.get(f"/needs/{need['id']}").json()["id"] == need["id"]


def test_another_organisation_may_neither_record_nor_see_needs_of_our_person(staff, outsider, coordinator, person):
    refused = assert_error(outsider.post("/needs", need_for(person)), 404, "not_found")
    # A coordinator of the region sees the person but does not change their record.
    forbidden = assert_error(coordinator.post("/needs", need_for(person)), 403, "forbidden")

    assert field_of(refused) == ["person_id"] and forbidden["message"]
    assert not Need.objects.exists()

    need = staff.post("/needs", need_for(person)).json()
    assert_error(outsider.get(f"/needs/{need['id']}"), 404, "not_found")
    assert_error(outsider.post(f"/needs/{need['id']}/cancel", {"reason": "Duplicate"}), 404, "not_found")
    assert outsider.get("/needs").json() == {"items": [], "count": 0}
    assert coordinator.get(f"/needs/{need['id']}").status_code == 200
    assert Need.objects.get().status == "open"


@pytest.mark.parametrize("quantity", [-1, 0, 2.5, "3", None, True, 10**12])
def test_a_bad_quantity_is_refused_naming_the_field_and_nothing_is_saved(staff, person, quantity):
    error = assert_error(staff.post("/needs", need_for(person, quantity=quantity)), 422, "invalid")

    assert field_of(error) == ["quantity"]
    assert not Need.objects.exists()
    assert not AuditLog.objects.filter(action="need.create").exists()


def test_a_need_for_an_institution_names_what_is_missing(staff, org):
    hospital = {"institution_name": "City hospital No. 4", "institution_kind": "hospital",
                "item": "oxygen-concentrator", "quantity": 3, "urgency": 4, "region_kato": ALMATY, "owner_id": org.pk}

    assert field_of(assert_error(staff.post("/needs", {**hospital, "institution_kind": None}), 422)) == [
        "institution_kind"]
    assert field_of(assert_error(staff.post("/needs", {**hospital, "owner_id": None}), 422)) == ["owner_id"]
    assert field_of(assert_error(staff.post("/needs", {**hospital, "item": "unknown"}), 422)) == ["item"]
    created = staff.post("/needs", hospital)

    assert created.status_code == 201, created.content
    assert created.json()["recipient"] == "City hospital No. 4" and created.json()["person_id"] is None


def test_needs_are_listed_filtered_and_every_person_shown_is_logged(staff, person, org, almaty, coordinator):
    other = make_person(org, almaty, "Иванова", "Мария")
    staff.post("/needs", need_for(person))
    staff.post("/needs", need_for(other, item="wheelchair", quantity=1))
    staff.post("/needs", {"institution_name": "School No. 12", "institution_kind": "school", "item": "laptop",
                          "quantity": 10, "region_kato": ALMATY, "owner_id": org.pk})
    AccessLog.objects.all().delete()

    everything = staff.get("/needs").json()
    wheelchairs = staff.get("/needs", {"item": "wheelchair", "region_kato": ALMATY, "status": "open"}).json()
    page = staff.get("/needs", {"limit": 1, "offset": 2}).json()

    assert everything["count"] == 3 and len(everything["items"]) == 3
    assert [n["recipient"] for n in wheelchairs["items"]] == ["Иванова Мария"]
    assert page["count"] == 3 and [n["recipient"] for n in page["items"]] == ["Кусаинова Ляззат"]
    rows = list(AccessLog.objects.values_list("actor_id", "subject_type", "subject_id", "purpose", "channel"))
    assert sorted(rows) == sorted([
        (staff.user.pk, "registry.person", str(person.pk), "aid needs list", "api"),
        (staff.user.pk, "registry.person", str(other.pk), "aid needs list", "api"),
        (staff.user.pk, "registry.person", str(other.pk), "aid needs list", "api"),
        (staff.user.pk, "registry.person", str(person.pk), "aid needs list", "api"),
    ])
    assert_error(staff.get("/needs", {"status": "lost"}), 422, "invalid")
    assert coordinator.get("/needs").json()["count"] == 3


def test_listing_needs_takes_the_same_number_of_queries_for_any_page_size(staff, org, almaty):
    for letter in "abcdef":
        services.need_create(actor=staff.user, person=make_person(org, almaty, f"Person{letter}", "Test"),
                             item=Item.objects.get(code="meat-portion"), quantity=1)
    staff.get("/needs", {"limit": 1})  # the token's first use is recorded once

    with CaptureQueriesContext(connection) as one:
        assert len(staff.get("/needs", {"limit": 1}).json()["items"]) == 1
    with CaptureQueriesContext(connection) as six:
        assert len(staff.get("/needs", {"limit": 6}).json()["items"]) == 6
    assert len(six) == len(one)


def test_staff_cancel_a_need_with_a_reason(staff, person):
    need = staff.post("/needs", need_for(person)).json()

    assert field_of(assert_error(staff.post(f"/needs/{need['id']}/cancel", {"reason": ""}), 422)) == ["reason"]
    cancelled = staff.post(f"/needs/{need['id']}/cancel", {"reason": "Recorded twice"})

    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancel_reason"] == "Recorded twice"
    assert_error(staff.post(f"/needs/{need['id']}/cancel", {"reason": "Again"}), 409, "conflict")


def test_a_person_applies_for_themselves(people, org, almaty):
    beneficiary = Api(people["beneficiary"])
    application = {"item": "wheelchair", "quantity": 1, "description": "My mother cannot walk since her stroke."}

    missing = assert_error(beneficiary.post("/apply", {**application, "region_kato": ALMATY}), 422)
    created = beneficiary.post("/apply", {**application, "region_kato": ALMATY, "phone": "+7 701 000 00 00",
                                          "name": "Айгүл Ахметова"})

    assert field_of(missing) == ["phone"]
    assert created.status_code == 201, created.content
    need = created.json()
    assert need["self_applied"] is True and need["person_id"] is None and need["recipient"] == "Айгүл Ахметова"
    assert need["owner"] is None and need["region_kato"] == ALMATY
    assert [n["id"] for n in beneficiary.get("/needs").json()["items"]] == [need["id"]]
    # Someone whose registry record is linked to their account asks as that person.
    volunteer = people["volunteer"]
    person = make_person(org, almaty, "Ахметов", "Ерлан", user=volunteer)
    linked = Api(volunteer).post("/apply", {**application, "item": "medicine-course"})
    assert linked.status_code == 201 and linked.json()["person_id"] == person.pk
    assert AccessLog.objects.filter(actor=volunteer, subject_id=str(person.pk), purpose="own application").exists()
    assert_error(Client().post(API + "/apply", json.dumps(application), content_type="application/json"), 401,
                 "unauthenticated")


# Lots, allocation, hand-overs.

def test_a_lot_needs_free_stock_in_the_warehouse(staff, campaign, warehouse):
    slug = campaign["slug"]
    without_stock = staff.post(f"/campaigns/{slug}/lots", {"warehouse_id": warehouse.pk, "item": "meat-portion",
                                                           "quantity": 5})
    assert without_stock.status_code in (409, 422), without_stock.content
    assert not Lot.objects.exists()

    stock(staff.user, warehouse, "meat-portion", 5)
    wrong_item = assert_error(staff.post(f"/campaigns/{slug}/lots", {"warehouse_id": warehouse.pk, "item": "laptop",
                                                                     "quantity": 5}), 422)
    lot = staff.post(f"/campaigns/{slug}/lots", {"warehouse_id": warehouse.pk, "item": "meat-portion", "quantity": 5,
                                                 "restricted_to": ["large_family"]})

    assert field_of(wrong_item) == ["item"]
    assert lot.status_code == 201, lot.content
    assert lot.json()["available"] == 5 and lot.json()["restricted_to"] == ["large_family"]
    assert lot.json()["region_kato"] == ALMATY and lot.json()["campaign"] == slug


@pytest.fixture
def allocated(staff, outsider, person, org, almaty, campaign, warehouse, other_org):
    """A campaign with a need of our person, a need of another organisation's person, and 3 units for the 4 asked."""
    slug = campaign["slug"]
    staff.post(f"/campaigns/{slug}/status", {"status": "open"})
    ours = staff.post("/needs", need_for(person, campaign=slug)).json()
    theirs_person = make_person(other_org, almaty, "Сейтова", "Дана")
    theirs = outsider.post("/needs", need_for(theirs_person, campaign=slug, urgency=1)).json()
    stock(staff.user, warehouse, "meat-portion", 3)
    lot = staff.post(f"/campaigns/{slug}/lots", {"warehouse_id": warehouse.pk, "item": "meat-portion",
                                                 "quantity": 3}).json()
    return {"slug": slug, "ours": ours, "theirs": theirs, "theirs_person": theirs_person, "lot": lot}


def test_a_preview_explains_each_need_and_names_only_the_needs_the_caller_may_see(staff, outsider, person,
                                                                                  allocated):
    AccessLog.objects.all().delete()

    response = staff.post(f"/campaigns/{allocated['slug']}/allocations", {})

    assert response.status_code == 201, response.content
    run = response.json()
    assert run["status"] == "preview" and run["optimal"] is True and run["objective"] > 0
    decisions = {d["need"]: d for d in run["decisions"]}
    ours, theirs = decisions[allocated["ours"]["id"]], decisions[allocated["theirs"]["id"]]
    assert (ours["served"], ours["reason"], ours["reason_text"]) == (2, "served", "Served in full.")
    assert ours["recipient"] == "Кусаинова Ляззат" and ours["lines"] == [{"lot": allocated["lot"]["id"],
                                                                          "quantity": 2}]
    assert (theirs["served"], theirs["reason"]) == (1, "partial")
    assert theirs["recipient"] is None and theirs["region_kato"] == ALMATY  # another organisation's person
    assert list(AccessLog.objects.values_list("subject_id", "purpose", "channel")) == [
        (str(person.pk), "allocation preview", "api")]
    # Those who do not run the campaign do not see its allocations.
    assert_error(outsider.get(f"/allocations/{run['id']}"), 404, "not_found")
    assert_error(outsider.post(f"/campaigns/{allocated['slug']}/allocations", {}), 403, "forbidden")
    assert staff.get(f"/allocations/{run['id']}").json()["decisions"] == run["decisions"]


def test_a_preview_with_exclusions_and_locks(staff, allocated):
    ours, theirs, lot = allocated["ours"]["id"], allocated["theirs"]["id"], allocated["lot"]["id"]

    run = staff.post(f"/campaigns/{allocated['slug']}/allocations", {
        "excluded_needs": [ours], "locks": [[theirs, lot, 2]]}).json()
    bad_lock = assert_error(staff.post(f"/campaigns/{allocated['slug']}/allocations", {"locks": [[999999, lot, 1]]}),
                            422)
    bad_shape = assert_error(staff.post(f"/campaigns/{allocated['slug']}/allocations", {"locks": [[theirs, lot]]}),
                             422)

    decisions = {d["need"]: d for d in run["decisions"]}
    assert decisions[ours]["reason"] == "excluded" and decisions[theirs]["served"] == 2
    assert run["excluded_needs"] == [ours] and run["locks"] == [[theirs, lot, 2]]
    assert field_of(bad_lock) == ["locks"] and field_of(bad_shape) == ["locks.0"]


def test_confirming_a_preview_creates_the_distributions_once(staff, allocated):
    run = staff.post(f"/campaigns/{allocated['slug']}/allocations", {}).json()

    confirmed = staff.post(f"/allocations/{run['id']}/confirm")

    assert confirmed.status_code == 201, confirmed.content
    created = confirmed.json()
    assert sorted((d["need"], d["quantity"], d["status"]) for d in created) == sorted([
        (allocated["ours"]["id"], 2, "planned"), (allocated["theirs"]["id"], 1, "planned")])
    assert {d["recipient"] for d in created} == {"Кусаинова Ляззат", None}
    assert Distribution.objects.count() == 2 and Lot.objects.get().allocated == 3
    assert set(Need.objects.values_list("status", flat=True)) == {"allocated"}
    assert staff.get(f"/allocations/{run['id']}").json()["status"] == "confirmed"
    assert_error(staff.post(f"/allocations/{run['id']}/confirm"), 409, "conflict")
    assert_error(staff.post(f"/allocations/{run['id']}/discard"), 409, "conflict")
    assert Distribution.objects.count() == 2


def test_a_preview_made_before_the_stock_was_promised_is_stale(staff, allocated):
    first = staff.post(f"/campaigns/{allocated['slug']}/allocations", {}).json()
    second = staff.post(f"/campaigns/{allocated['slug']}/allocations", {}).json()
    assert staff.post(f"/allocations/{first['id']}/confirm").status_code == 201

    assert_error(staff.post(f"/allocations/{second['id']}/confirm"), 409, "conflict")
    assert Distribution.objects.count() == 2


def test_a_preview_can_be_dropped(staff, allocated):
    run = staff.post(f"/campaigns/{allocated['slug']}/allocations", {}).json()

    dropped = staff.post(f"/allocations/{run['id']}/discard")

    assert dropped.status_code == 200 and dropped.json()["status"] == "discarded"
    assert_error(staff.post(f"/allocations/{run['id']}/confirm"), 409, "conflict")
    assert not Distribution.objects.exists()


@pytest.fixture
def planned(staff, allocated, people, person):
    """The confirmed allocation's hand-over to our person, who has an account linked to their record."""
    Person.objects.filter(pk=person.pk).update(user=people["beneficiary"])
    run = staff.post(f"/campaigns/{allocated['slug']}/allocations", {}).json()
    staff.post(f"/allocations/{run['id']}/confirm")
    return Distribution.objects.get(need_id=allocated["ours"]["id"])


def test_a_hand_over_needs_the_recipients_own_code(staff, outsider, people, planned):
    path = f"/distributions/{planned.pk}/hand-over"
    code = services.recipient_code(planned)
    wrong = "000000" if code != "000000" else "111111"

    refused = assert_error(staff.post(path, {"code": wrong}), 422)
    nothing = assert_error(staff.post(path, {}), 422)
    # Digits of another script are not the code (the comparison of non-ASCII text was a server error).
    other_script = assert_error(staff.post(path, {"code": "１２３４５６"}), 422, "invalid")
    assert field_of(refused) == ["code"] and field_of(nothing) == ["code"] and field_of(other_script) == ["code"]
    assert Distribution.objects.get(pk=planned.pk).status == "planned"
    assert_error(outsider.post(path, {"code": code}), 404, "not_found")
    # The recipient sees their code; they do not record the hand-over themselves.
    mine = Api(people["beneficiary"]).get("/distributions").json()["items"]
    assert [(d["id"], d["code"]) for d in mine] == [(planned.pk, code)]
    assert_error(Api(people["beneficiary"]).post(path, {"code": code}), 403, "forbidden")
    assert all(d["code"] is None for d in staff.get("/distributions").json()["items"])

    handed = staff.post(path, {"code": code})

    assert handed.status_code == 200, handed.content
    assert (handed.json()["status"], handed.json()["confirmation"]) == ("handed", "code")
    assert Need.objects.get(pk=planned.need_id).status == "delivered"
    assert_error(staff.post(path, {"code": code}), 409, "conflict")
    assert Api(people["beneficiary"]).get("/distributions").json()["items"][0]["code"] is None


def test_a_hand_over_by_signature_and_a_cancelled_one_returns_to_the_lot(staff, allocated, planned):
    other = Distribution.objects.exclude(pk=planned.pk).get()

    signed = staff.post(f"/distributions/{planned.pk}/hand-over", {"signature": True})
    no_reason = assert_error(staff.post(f"/distributions/{other.pk}/cancel", {"reason": ""}), 422)
    cancelled = staff.post(f"/distributions/{other.pk}/cancel", {"reason": "Moved to another city"})

    assert signed.json()["confirmation"] == "signature"
    assert field_of(no_reason) == ["reason"]
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert Lot.objects.get().allocated == 2
    assert Need.objects.get(pk=other.need_id).status == "open"
    assert_error(staff.post(f"/distributions/{other.pk}/cancel", {"reason": "Again"}), 409, "conflict")
    listed = staff.get("/distributions", {"status": "handed"}).json()
    assert [d["id"] for d in listed["items"]] == [planned.pk]


# Offers.

@pytest.fixture
def donor(people):
    return Api(people["donor"])


@pytest.mark.parametrize("amount", ["100.123", "1e5", "-5", "15 000", 15000, "0.001"])
def test_an_amount_with_more_than_two_decimals_or_not_a_decimal_string_is_refused(donor, org, amount):
    error = assert_error(donor.post("/offers", {"kind": "money", "recipient_id": org.pk, "amount_kzt": amount}), 422)

    assert field_of(error) == ["amount_kzt"]
    assert not Offer.objects.exists()


def test_a_donor_gives_money_and_the_organisation_records_it_once(donor, staff, outsider, org):
    zero = assert_error(donor.post("/offers", {"kind": "money", "recipient_id": org.pk, "amount_kzt": "0"}), 422)
    created = donor.post("/offers", {"kind": "money", "recipient_id": org.pk, "amount_kzt": "15000.5",
                                     "note": "For Kurban Ait"})

    assert field_of(zero) == ["amount_kzt"]
    assert created.status_code == 201, created.content
    offer = created.json()
    assert (offer["kind"], offer["status"], offer["amount_kzt"]) == ("money", "pledged", "15000.50")
    assert offer["donor"] == donor.user.full_name and offer["recipient"]["id"] == org.pk
    assert [o["id"] for o in donor.get("/offers").json()["items"]] == [offer["id"]]
    assert [o["id"] for o in staff.get("/offers", {"kind": "money"}).json()["items"]] == [offer["id"]]
    assert outsider.get("/offers").json()["count"] == 0
    assert_error(outsider.post(f"/offers/{offer['id']}/receive", {}), 404, "not_found")
    assert_error(donor.post(f"/offers/{offer['id']}/receive", {}), 403, "forbidden")

    received = staff.post(f"/offers/{offer['id']}/receive", {}, HTTP_IDEMPOTENCY_KEY="gift-1")

    assert received.status_code == 200, received.content
    assert received.json()["status"] == "received"
    assert_error(staff.post(f"/offers/{offer['id']}/receive", {}, HTTP_IDEMPOTENCY_KEY="gift-1"), 409, "conflict")
    assert_error(donor.post(f"/offers/{offer['id']}/cancel", {"reason": "Changed my mind"}), 409, "conflict")


def test_goods_and_time_offers_take_whole_numbers(donor, org, warehouse, staff):
    goods = {"kind": "goods", "recipient_id": org.pk, "item": "winter-clothes", "quantity": 20,
             "warehouse_id": warehouse.pk}

    fraction = assert_error(donor.post("/offers", {**goods, "quantity": 2.5}), 422)
    text = assert_error(donor.post("/offers", {**goods, "quantity": "20"}), 422)
    hours = assert_error(donor.post("/offers", {"kind": "time", "recipient_id": org.pk, "hours": -3}), 422)
    created = donor.post("/offers", goods)

    assert field_of(fraction) == ["quantity"] and field_of(text) == ["quantity"] and field_of(hours) == ["hours"]
    assert created.status_code == 201, created.content
    assert created.json()["quantity"] == 20 and created.json()["warehouse_id"] == warehouse.pk
    received = staff.post(f"/offers/{created.json()['id']}/receive", {"idempotency_key": "clothes-1"})
    assert received.status_code == 200, received.content
    cancelled_one = donor.post("/offers", {"kind": "time", "recipient_id": org.pk, "hours": 8}).json()
    assert donor.post(f"/offers/{cancelled_one['id']}/cancel", {"reason": "Ill"}).json()["status"] == "cancelled"


def test_anonymous_clients_get_401_on_everything_but_the_public_reads(db, client):
    for path in ("/needs", "/needs/1", "/distributions", "/offers", "/allocations/1"):
        assert_error(client.get(API + path), 401, "unauthenticated")
    for path in ("/needs", "/apply", "/offers", "/campaigns", "/campaigns/x/lots", "/allocations/1/confirm"):
        assert_error(client.post(API + path, "{}", content_type="application/json"), 401, "unauthenticated")
    assert client.get(API + "/items").status_code == 200
    assert client.get(API + "/campaigns").status_code == 200


# The document: success answers match their declared schemas, and fuzzed requests are answered as documented.

@pytest.fixture
def _keep_the_test_transaction(db):
    """As in qamqor/api/tests/test_schemathesis.py: calling the WSGI application directly would close the test's
    database connection at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


CHECKS = {"excluded_checks": [schemathesis.checks.positive_data_acceptance]}


def test_the_success_answers_match_the_document(_keep_the_test_transaction, people, org, almaty, person, warehouse):
    from qamqor.wsgi import application

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    as_staff = {"Authorization": f"Bearer {token_create(user=people['org_staff'], name='s')[1]}"}
    as_donor = {"Authorization": f"Bearer {token_create(user=people['donor'], name='d')[1]}"}

    def call(method, path, *, status, headers=as_staff, **kwargs):
        case = schema[f"{API}{path}"][method].Case(headers=headers, **kwargs)
        response = case.call_and_validate(**CHECKS)
        assert response.status_code == status, response.text
        return response.json() if response.content else None

    call("GET", "/items", status=200, headers=None)
    campaign = call("POST", "/campaigns", status=201, body={
        "organizer_id": org.pk, "title": "Kurban Ait 2026", "starts_on": "2026-05-20", "ends_on": "2026-06-10",
        "items": [{"item": "meat-portion", "target_quantity": 100}], "regions": [ALMATY]})
    slug = {"slug": campaign["slug"]}
    call("POST", "/campaigns/{slug}/status", status=200, path_parameters=slug, body={"status": "open"})
    call("GET", "/campaigns", status=200, headers=None)
    need = call("POST", "/needs", status=201, body=need_for(person))
    call("POST", "/campaigns/{slug}/gather-needs", status=200, path_parameters=slug)
    stock(people["org_staff"], warehouse, "meat-portion", 5)
    call("POST", "/campaigns/{slug}/lots", status=201, path_parameters=slug,
         body={"warehouse_id": warehouse.pk, "item": "meat-portion", "quantity": 5})
    call("GET", "/campaigns/{slug}", status=200, headers=None, path_parameters=slug)
    call("GET", "/needs", status=200, query={"campaign": campaign["slug"], "item": "meat-portion"})
    call("GET", "/needs/{need_id}", status=200, path_parameters={"need_id": need["id"]})
    call("POST", "/apply", status=201, headers=as_donor, body={
        "item": "laptop", "quantity": 1, "description": "For my son's lessons", "name": "Donor", "phone": "1",
        "region_kato": ALMATY})
    run = call("POST", "/campaigns/{slug}/allocations", status=201, path_parameters=slug, body={})
    call("GET", "/allocations/{run_id}", status=200, path_parameters={"run_id": run["id"]})
    created = call("POST", "/allocations/{run_id}/confirm", status=201, path_parameters={"run_id": run["id"]})
    call("GET", "/distributions", status=200)
    call("POST", "/distributions/{distribution_id}/hand-over", status=200,
         path_parameters={"distribution_id": created[0]["id"]}, body={"signature": True})
    dropped = call("POST", "/campaigns/{slug}/allocations", status=201, path_parameters=slug, body={})
    call("POST", "/allocations/{run_id}/discard", status=200, path_parameters={"run_id": dropped["id"]})
    offer = call("POST", "/offers", status=201, headers=as_donor,
                 body={"kind": "money", "recipient_id": org.pk, "amount_kzt": "5000.00", "campaign": campaign["slug"]})
    call("GET", "/offers", status=200, headers=as_donor)
    call("POST", "/offers/{offer_id}/receive", status=200, path_parameters={"offer_id": offer["id"]},
         headers={**as_staff, "Idempotency-Key": "gift-1"}, body={})
    other = call("POST", "/offers", status=201, headers=as_donor, body={"kind": "time", "recipient_id": org.pk,
                                                                         "hours": 4})
    call("POST", "/offers/{offer_id}/cancel", status=200, headers=as_donor, path_parameters={"offer_id": other["id"]},
         body={"reason": "Ill"})
    call("POST", "/needs/{need_id}/cancel", status=409, path_parameters={"need_id": need["id"]},
         body={"reason": "Delivered already"})


def _aid_schema():
    from qamqor.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application).include(path_regex=r"^/api/v1/aid/")


aid_schema = _aid_schema()
FUZZ = settings(max_examples=8, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.filter_too_much])


@pytest.fixture
def records(_keep_the_test_transaction, people, org, almaty, person, warehouse):
    """A campaign with a need, a lot, a preview, a planned hand-over and an offer, and a token of their
    organisation's staff."""
    user = people["org_staff"]
    meat = Item.objects.get(code="meat-portion")
    campaign = services.campaign_create(actor=user, organizer=org, title="Kurban Ait 2026", items=[(meat, 10)],
                                        starts_on=dt.date(2026, 5, 20), ends_on=dt.date(2026, 6, 10), regions=[almaty])
    need = services.need_create(actor=user, person=person, item=meat, quantity=2, campaign=campaign)
    stock(user, warehouse, "meat-portion", 5)
    services.lot_create(actor=user, campaign=campaign, warehouse=warehouse, item=meat, quantity=5)
    distribution = services.allocation_confirm(actor=user, run=services.allocation_preview(actor=user,
                                                                                           campaign=campaign))[0]
    run = services.allocation_preview(actor=user, campaign=campaign)
    offer = services.offer_create(actor=people["donor"], kind="money", recipient=org, amount_kzt="100")
    ids = {"slug": campaign.slug, "need_id": need.pk, "run_id": run.pk, "distribution_id": distribution.pk,
           "offer_id": offer.pk}
    return ids, token_create(user=user, name="fuzz")[1]


@aid_schema.parametrize()
@FUZZ
def test_staff_requests_on_real_records_are_answered_as_documented(case, records):
    ids, raw = records
    # Aim the generated path parameters at the records above, so that the bodies reach the services.
    for name, value in (case.path_parameters or {}).items():
        if name == "slug" and isinstance(value, str) and re.fullmatch(r"[-a-zA-Z0-9_]{1,80}", value):
            case.path_parameters[name] = ids[name]
        elif name in ids and isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 2**62:
            case.path_parameters[name] = ids[name]
    case.call_and_validate(headers={"Authorization": f"Bearer {raw}"}, **CHECKS)
