"""The registry's API, /api/v1/registry/, through HTTP with Bearer tokens: the same scope as the pages, every read in
the access log (channel "api"), every write through a service with its audit row, one error shape."""

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, settings

from qamqor.accounts.models import Role
from qamqor.accounts.services import token_create
from qamqor.api.tests.test_api import assert_error
from qamqor.core.models import AccessLog, AuditLog
from qamqor.lib.iin import make_iin
from qamqor.lib.names import full_name_key
from qamqor.organizations.models import Organization
from qamqor.registry import services
from qamqor.registry.models import Category, CategoryAssignment, Consent, Household, HouseholdMember, Person

API = "/api/v1/registry"
ALMATY, ASTANA = "750000000", "710000000"


def iin_for(born, sex, serial=1):
    while True:
        number = make_iin(born, sex, serial)
        if number:
            return number
        serial += 1


class Api:
    """A client program using one user's personal access token."""

    def __init__(self, user):
        _token, raw = token_create(user=user, name="test")
        self.user = user
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_ACCEPT_LANGUAGE": "en"}

    def get(self, path, query=None):
        return self.client.get(API + path, query or {}, **self.headers)

    def post(self, path, data=None):
        body = json.dumps(data) if data is not None else ""
        return self.client.post(API + path, body, content_type="application/json", **self.headers)

    def patch(self, path, data):
        return self.client.patch(API + path, json.dumps(data), content_type="application/json", **self.headers)


def registration(org, **changes):
    return {"owner_id": org.pk, "surname": "Кусаинова", "given_name": "Ляззат", "birth_date": "1985-07-14",
            "sex": "F", "region_kato": ALMATY, "locality": "Алматы", "address": "Абай 10", **changes}


def make_person(org, region, surname="Кусаинова", given_name="Ляззат", **extra):
    return Person.objects.create(owner=org, region=region, surname=surname, given_name=given_name,
                                 name_key=full_name_key(surname, given_name), **extra)


def api_rows(user):
    return AccessLog.objects.filter(actor=user)


@pytest.fixture
def other_org(db, astana):
    return Organization.objects.create(name="Astana Fund", kind="charity_fund", bin="190540000054", region=astana,
                                       status="verified")


@pytest.fixture
def staff(people):
    return Api(people["org_staff"])


@pytest.fixture
def outsider(make_user, other_org):
    """Staff of another verified organisation (in Astana)."""
    return Api(make_user("outsider@test.kz", Role.ORG_STAFF, organization=other_org))


@pytest.fixture
def person(org, almaty):
    return make_person(org, almaty, iin=iin_for(dt.date(1985, 7, 14), "F"), birth_date=dt.date(1985, 7, 14), sex="F")


def names(response):
    assert response.status_code == 200, response.content
    return [p["full_name"] for p in response.json()["items"]]


# Scope: the owning organisation's staff, the region's coordinator, the person themself.

def test_staff_of_another_organisation_never_see_its_persons(staff, outsider, person):
    household = services.household_create(actor=staff.user, head=person)

    assert_error(outsider.get(f"/persons/{person.pk}"), 404, "not_found")
    assert names(outsider.get("/persons", {"q": "Кусаинова"})) == []
    assert names(outsider.get("/persons")) == []
    assert names(outsider.get("/persons", {"q": person.iin})) == []
    assert_error(outsider.get(f"/households/{household.pk}"), 404, "not_found")
    assert_error(outsider.patch(f"/persons/{person.pk}", {"surname": "Changed"}), 404, "not_found")
    consent = {"purpose": "sharing", "given_by": "person", "given_on": "2026-01-10", "source": "paper"}
    assert_error(outsider.post(f"/persons/{person.pk}/consents", consent), 404, "not_found")
    assert_error(outsider.post(f"/persons/{person.pk}/household"), 404, "not_found")
    assert not api_rows(outsider.user).exists()
    # Their own staff do see the person.
    assert names(staff.get("/persons", {"q": "Кусаинова"})) == ["Кусаинова Ляззат"]
    assert staff.get(f"/persons/{person.pk}").json()["iin"] == person.iin


def test_a_coordinator_sees_their_region_only_and_cannot_write(people, make_user, staff, person, org, astana):
    coordinator = Api(people["coordinator"])  # of Almaty
    elsewhere = Api(make_user("coordinator.astana@test.kz", Role.COORDINATOR, region=astana))
    household = services.household_create(actor=staff.user, head=person)
    before = AuditLog.objects.count()

    assert coordinator.get(f"/persons/{person.pk}").status_code == 200
    assert names(coordinator.get("/persons", {"q": "Kussainova"})) == ["Кусаинова Ляззат"]
    assert coordinator.get(f"/households/{household.pk}").json()["can_edit"] is False
    assert_error(elsewhere.get(f"/persons/{person.pk}"), 404, "not_found")
    assert names(elsewhere.get("/persons", {"q": "Kussainova"})) == []

    assert_error(coordinator.post("/persons", registration(org, surname="Иванова")), 403, "forbidden")
    assert_error(coordinator.patch(f"/persons/{person.pk}", {"surname": "Changed"}), 403, "forbidden")
    assert_error(coordinator.post(f"/persons/{person.pk}/consents", {
        "purpose": "sharing", "given_by": "person", "given_on": "2026-01-10", "source": "paper"}), 403, "forbidden")
    assert_error(coordinator.post(f"/persons/{person.pk}/categories", {
        "category": "pensioner", "evidence": "document", "evidence_reference": "No. 1", "valid_from": "2026-01-01"}),
        403, "forbidden")
    assert_error(coordinator.post(f"/households/{household.pk}/members", {
        "person_id": person.pk, "relationship": "child"}), 403, "forbidden")
    HouseholdMember.objects.all().delete()  # so that only the permission stands in the way of a new household
    assert_error(coordinator.post(f"/persons/{person.pk}/household"), 403, "forbidden")
    assert AuditLog.objects.count() == before
    assert Person.objects.get().surname == "Кусаинова"


def test_roles_without_the_registry_may_not_search(people, person):
    for role in ("volunteer", "donor", "driver", "beneficiary"):
        assert_error(Api(people[role]).get("/persons", {"q": "Кусаинова"}), 403, "forbidden")
        assert_error(Api(people[role]).get("/coordination", {"iin": person.iin}), 403, "forbidden")


def test_anonymous_clients_get_401_everywhere(client, person):
    for path in ("/persons", f"/persons/{person.pk}", "/coordination?iin=850714400012", "/me", "/me/export",
                 "/households/1"):
        assert_error(client.get(API + path), 401, "unauthenticated")
    assert_error(client.post(API + "/persons", "{}", content_type="application/json"), 401, "unauthenticated")
    assert client.get(API + "/categories").status_code == 200  # reference data


# Search.

@pytest.mark.parametrize("query", ["Кусаинова Ляззат", "Kussainova Lyazzat", "Kusainova L.", "KUSAINOVA", "кусаинова"])
def test_search_finds_a_name_across_scripts_and_spellings(staff, org, almaty, query):
    make_person(org, almaty)
    make_person(org, almaty, "Иванова", "Мария")

    assert names(staff.get("/persons", {"q": query})) == ["Кусаинова Ляззат"]


def test_search_by_iin_and_by_birth_year_region_and_category(staff, org, almaty, astana, person):
    make_person(org, astana, "Кусаинова", "Айгуль", birth_date=dt.date(1990, 1, 1))
    services.category_assign(actor=staff.user, person=person, category=Category.objects.get(code="pensioner"),
                             evidence="document", evidence_reference="No. 1", valid_from=dt.date(2026, 1, 1))

    assert names(staff.get("/persons", {"q": person.iin})) == ["Кусаинова Ляззат"]
    assert names(staff.get("/persons", {"q": "Кусаинова", "birth_year": 1990})) == ["Кусаинова Айгуль"]
    assert names(staff.get("/persons", {"q": "Кусаинова", "region_kato": ALMATY})) == ["Кусаинова Ляззат"]
    assert names(staff.get("/persons", {"category": "pensioner"})) == ["Кусаинова Ляззат"]
    assert names(staff.get("/persons", {"region_kato": "111111111"})) == []
    assert names(staff.get("/persons", {"category": "no-such-category"})) == []
    page = staff.get("/persons", {"q": "Кусаинова", "limit": 1, "offset": 1}).json()
    assert page["count"] == 2 and [p["full_name"] for p in page["items"]] == ["Кусаинова Ляззат"]
    assert_error(staff.get("/persons", {"birth_year": 1800}), 422, "invalid")


def test_search_answers_in_the_same_number_of_queries_for_any_page_size(staff, org, almaty):
    for letter in "abcdef":
        make_person(org, almaty, f"Person{letter}", "Test")
    staff.get("/persons", {"limit": 1})  # the token's first use is recorded once

    with CaptureQueriesContext(connection) as one:
        assert len(staff.get("/persons", {"limit": 1}).json()["items"]) == 1
    with CaptureQueriesContext(connection) as six:
        assert len(staff.get("/persons", {"limit": 6}).json()["items"]) == 6
    assert len(six) == len(one)


# Registration and change: bad input, duplicates, audit.

def test_staff_register_a_person_and_the_iin_gives_birth_date_and_sex(staff, org):
    iin = iin_for(dt.date(1985, 7, 14), "F")

    response = staff.post("/persons", registration(org, iin=iin, birth_date=None, sex=None, email="l@example.kz"))

    assert response.status_code == 201, response.content
    created = response.json()
    person = Person.objects.get(pk=created["id"])
    assert (person.birth_date, person.sex, person.owner, person.created_by) == (dt.date(1985, 7, 14), "F", org,
                                                                              staff.user)
    assert created["birth_date"] == "1985-07-14" and created["sex"] == "F" and created["owner"]["id"] == org.pk
    assert created["region"]["kato_code"] == ALMATY and created["can_edit"] is True
    assert AuditLog.objects.filter(action="person.create", object_id=str(person.pk), actor=staff.user).count() == 1


@pytest.mark.parametrize(("changes", "field"), [
    ({"iin": "123"}, "iin"),
    ({"iin": "850714400000"}, "iin"),  # wrong check digit
    ({"iin": "85071440001a"}, "iin"),
    ({"iin": iin_for(dt.date(1985, 7, 14), "F"), "birth_date": "1985-07-15"}, "birth_date"),
    ({"iin": iin_for(dt.date(1985, 7, 14), "F"), "sex": "M"}, "sex"),
    ({"birth_date": "2099-01-01"}, "birth_date"),
    ({"birth_date": "1985-02-30"}, "birth_date"),
    ({"birth_date": "14.07.1985"}, "birth_date"),
    ({"sex": "X"}, "sex"),
    ({"surname": "   "}, "surname"),
    ({"region_kato": "111111111"}, "region_kato"),
    ({"email": "not an e-mail"}, "email"),
    ({"disability": "no-such-group"}, "disability"),
    ({"surname": "Ку\x00саинова"}, "surname"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_saved(staff, org, changes, field):
    response = staff.post("/persons", registration(org, **changes))

    error = assert_error(response, 422)
    assert error["fields"][0]["field"] == field, error
    assert not Person.objects.exists()
    assert not AuditLog.objects.filter(action="person.create").exists()


def test_a_very_long_name_in_cyrillic_is_registered(staff, org):
    # Transliteration makes the folded key longer than the name ("Жюя" gives "zhiuia"); on PostgreSQL a key past its
    # column's 320 characters was a server error.
    long_name = "Жюя" * 33

    response = staff.post("/persons", registration(org, surname=long_name, given_name=long_name,
                                                   patronymic=long_name))

    assert response.status_code == 201, response.content
    assert names(staff.get("/persons", {"q": "Жюяжюя"})) == [" ".join([long_name] * 3)]


def test_it_registers_only_for_the_users_own_verified_organisation(staff, other_org):
    error = assert_error(staff.post("/persons", registration(other_org)), 422, "invalid")

    assert error["fields"][0]["field"] == "owner_id"
    assert not Person.objects.exists()


def test_a_known_iin_is_a_conflict(staff, org, person):
    response = staff.post("/persons", registration(org, iin=person.iin, surname="Другая"))

    error = assert_error(response, 409, "duplicate")
    assert error["fields"][0]["field"] == "iin"
    assert Person.objects.count() == 1


def test_a_likely_duplicate_is_a_409_with_the_candidates_the_caller_may_see(staff, org, other_org, almaty, astana,
                                                                            make_user):
    ours = make_person(org, almaty, birth_date=dt.date(1985, 7, 14))
    make_person(other_org, astana, birth_date=dt.date(1985, 7, 14))

    response = staff.post("/persons", registration(org, surname="Kussainova", given_name="Lyazzat"))

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "possible_duplicate" and error["fields"] == [] and error["message"]
    by_id = {c["id"]: c for c in error["candidates"]}
    assert by_id[ours.pk] == {"id": ours.pk, "full_name": "Кусаинова Ляззат", "birth_date": "1985-07-14",
                              "region": almaty.name_en, "registered_by": org.name}
    # Another organisation's record: only who registered it, as on the page.
    assert by_id[None] == {"id": None, "full_name": None, "birth_date": None, "region": None,
                           "registered_by": "Astana Fund"}
    assert Person.objects.count() == 2
    assert list(AccessLog.objects.filter(actor=staff.user, purpose="duplicate check on registration")
                .values_list("subject_id", "channel")) == [(str(ours.pk), "api")]

    confirmed = staff.post("/persons", registration(org, surname="Kussainova", given_name="Lyazzat",
                                                    confirmed_new=True))

    assert confirmed.status_code == 201 and Person.objects.count() == 3


def test_staff_change_a_record_and_only_the_fields_sent_change(staff, person):
    response = staff.patch(f"/persons/{person.pk}", {"phone": "+7 701 000 00 00", "patronymic": "Серікқызы",
                                                     "latitude": 43.2389498, "longitude": 76.889709})

    assert response.status_code == 200, response.content
    changed = response.json()
    assert changed["phone"] == "+7 701 000 00 00" and changed["patronymic"] == "Серікқызы"
    assert changed["iin"] == person.iin and changed["surname"] == "Кусаинова"
    assert changed["latitude"] == 43.23895
    person.refresh_from_db()
    assert person.latitude == Decimal("43.238950") and person.name_key == full_name_key("Кусаинова", "Ляззат",
                                                                                        "Серікқызы")
    audit = AuditLog.objects.get(action="person.update", object_id=str(person.pk))
    assert audit.actor == staff.user and audit.before["phone"] == "" and audit.after["phone"] == "+7 701 000 00 00"

    # A body that is not a JSON object is refused, even though every field of a PATCH is optional.
    assert_error(staff.patch(f"/persons/{person.pk}", [None, None]), 422, "invalid")

    cleared = staff.patch(f"/persons/{person.pk}", {"iin": None, "patronymic": None})

    assert cleared.status_code == 200 and cleared.json()["iin"] is None and cleared.json()["patronymic"] == ""


def test_a_change_that_contradicts_the_iin_is_refused(staff, person):
    error = assert_error(staff.patch(f"/persons/{person.pk}", {"sex": "M"}), 422)

    assert error["fields"][0]["field"] == "sex"
    assert_error(staff.patch(f"/persons/{person.pk}", {"surname": None}), 422, "invalid")
    person.refresh_from_db()
    assert person.sex == "F" and not AuditLog.objects.filter(action="person.update").exists()


# Consent and coordination.

def test_consent_withdrawal_hides_coordination_data_at_once(staff, outsider, person):
    services.category_assign(actor=staff.user, person=person, category=Category.objects.get(code="homeless"),
                             evidence="document", evidence_reference="Akimat letter", valid_from=dt.date(2026, 1, 1))

    before = outsider.get("/coordination", {"iin": person.iin}).json()
    given = staff.post(f"/persons/{person.pk}/consents", {"purpose": "sharing", "given_by": "person",
                                                          "given_on": "2026-01-10", "source": "paper"})
    shared = outsider.get("/coordination", {"iin": person.iin}).json()
    withdrawn = staff.post(f"/persons/{person.pk}/consents/{given.json()['id']}/withdraw")
    after = outsider.get("/coordination", {"iin": person.iin}).json()

    assert before == {"exists": True, "shared": False, "categories": []}
    assert given.status_code == 201 and given.json()["withdrawn_at"] is None
    assert shared == {"exists": True, "shared": True, "categories": [
        {"code": "homeless", "name_kk": "Баспанасыз адам", "name_ru": "Лицо без определённого места жительства",
         "name_en": "Homeless person"}]}
    assert withdrawn.status_code == 204
    assert after == {"exists": True, "shared": False, "categories": []}
    assert Consent.objects.get().withdrawn_by == staff.user
    assert AuditLog.objects.filter(action="consent.withdraw", actor=staff.user).count() == 1
    # Only the one answer that showed something is logged.
    assert list(api_rows(outsider.user).values_list("purpose", "channel")) == [("coordination view", "api")]
    # A withdrawn consent cannot be withdrawn again, and no longer shows on the record.
    assert_error(staff.post(f"/persons/{person.pk}/consents/{given.json()['id']}/withdraw"), 404, "not_found")
    assert staff.get(f"/persons/{person.pk}").json()["consents"] == []


def test_coordination_tells_nothing_about_an_unknown_iin_and_refuses_a_bad_one(outsider):
    unknown = iin_for(dt.date(1990, 1, 1), "M")

    assert outsider.get("/coordination", {"iin": unknown}).json() == {"exists": False, "shared": False,
                                                                     "categories": []}
    error = assert_error(outsider.get("/coordination", {"iin": "850714400000"}), 422, "iin_checksum")
    assert error["fields"][0]["field"] == "iin"


def test_a_representatives_consent_names_them_and_one_is_in_force_per_purpose(staff, person):
    path = f"/persons/{person.pk}/consents"
    consent = {"purpose": "registration", "given_by": "representative", "given_on": "2026-01-10", "source": "paper"}

    unnamed = assert_error(staff.post(path, consent), 422)
    assert staff.post(path, {**consent, "representative_name": "Кусаинов Серік"}).status_code == 201
    twice = assert_error(staff.post(path, {**consent, "representative_name": "Кусаинов Серік"}), 409, "duplicate")
    future = assert_error(staff.post(path, {**consent, "purpose": "story", "given_by": "person",
                                            "given_on": (timezone.localdate() + dt.timedelta(days=1)).isoformat()}),
                          422)

    assert unnamed["fields"][0]["field"] == "representative_name"
    assert twice["fields"][0]["field"] == "purpose" and future["fields"][0]["field"] == "given_on"
    assert Consent.objects.count() == 1


# Categories.

def test_staff_assign_and_end_a_category_with_its_evidence(staff, person):
    response = staff.post(f"/persons/{person.pk}/categories", {
        "category": "pensioner", "evidence": "source_system", "evidence_reference": "ЕСП", "valid_from": "2026-01-01"})

    assert response.status_code == 201, response.content
    assigned = response.json()
    assert assigned["category"]["code"] == "pensioner" and assigned["in_force"] is True
    assert assigned["verified_by"] == str(staff.user) and assigned["valid_to"] is None
    record = staff.get(f"/persons/{person.pk}").json()
    assert [c["id"] for c in record["categories"]] == [assigned["id"]]
    assert Decimal(record["vulnerability_score"]) == Category.objects.get(code="pensioner").weight

    assert staff.post(f"/categories/{assigned['id']}/end").status_code == 204

    assert CategoryAssignment.objects.get().ended_at is not None
    assert staff.get(f"/persons/{person.pk}").json()["categories"][0]["in_force"] is False
    assert AuditLog.objects.filter(action__in=["category.assign", "category.end"]).count() == 2


@pytest.mark.parametrize(("category", "field"), [("large_family", "category"), ("tsa_recipient", "category"),
                                                 ("no-such-category", "category")])
def test_a_derived_household_or_unknown_category_is_refused(staff, person, category, field):
    response = staff.post(f"/persons/{person.pk}/categories", {
        "category": category, "evidence": "document", "evidence_reference": "No. 1", "valid_from": "2026-01-01"})

    assert assert_error(response, 422)["fields"][0]["field"] == field
    assert not CategoryAssignment.objects.exists()


def test_another_organisation_may_not_end_a_category(staff, outsider, person):
    assignment = services.category_assign(actor=staff.user, person=person,
                                          category=Category.objects.get(code="pensioner"), evidence="document",
                                          evidence_reference="No. 1", valid_from=dt.date(2026, 1, 1))
    household = services.household_create(actor=staff.user, head=person)
    of_household = services.category_assign(actor=staff.user, household=household,
                                            category=Category.objects.get(code="tsa_recipient"), evidence="document",
                                            evidence_reference="No. 2", valid_from=dt.date(2026, 1, 1))

    assert_error(outsider.post(f"/categories/{assignment.pk}/end"), 404, "not_found")
    assert_error(outsider.post(f"/categories/{of_household.pk}/end"), 404, "not_found")
    assert not CategoryAssignment.objects.filter(ended_at__isnull=False).exists()


# Households: money as strings.

def test_a_household_answers_money_as_strings_with_two_decimals(staff, org, almaty, person):
    response = staff.post(f"/persons/{person.pk}/household", {"address": "Абай 10, кв. 5"})
    assert response.status_code == 201, response.content
    household_id = response.json()["id"]
    child = make_person(org, almaty, "Кусаинов", "Тимур", birth_date=dt.date(2015, 3, 1))
    member = staff.post(f"/households/{household_id}/members", {"person_id": child.pk, "relationship": "child",
                                                                 "monthly_income": "0"})
    assert member.status_code == 201, member.content
    head = HouseholdMember.objects.get(person=person)
    services_income = Decimal("120000.5")
    HouseholdMember.objects.filter(pk=head.pk).update(monthly_income=services_income)  # as set in an earlier import

    response = staff.get(f"/households/{household_id}")

    assert response.status_code == 200
    household = response.json()
    flags = household["flags"]
    assert flags["income"] == "120000.50" and flags["income_per_head"] == "60000.25"
    assert re.fullmatch(r"[0-9]+\.[0-9]{2}", flags["poverty_line"])
    assert flags["members"] == 2 and flags["children"] == 1 and flags["large_family"] is False
    assert {m["full_name"]: m["monthly_income"] for m in household["members"]} == {
        "Кусаинова Ляззат": "120000.50", "Кусаинов Тимур": "0.00"}
    assert household["address"] == "Абай 10, кв. 5" and household["can_edit"] is True
    # No number with a fraction anywhere in the answer: money never travels as a float.
    assert not re.search(r":\s*-?[0-9]+\.[0-9]", response.content.decode())
    assert AuditLog.objects.filter(action__in=["household.create", "household.add_member"]).count() == 2


def test_household_membership_rules(staff, outsider, org, other_org, almaty, astana, person):
    household = Household.objects.get(pk=staff.post(f"/persons/{person.pk}/household").json()["id"])
    theirs = make_person(other_org, astana, "Иванова", "Мария", iin=iin_for(dt.date(1990, 1, 1), "F"))
    path = f"/households/{household.pk}/members"

    again = assert_error(staff.post(f"/persons/{person.pk}/household", {}), 409, "conflict")
    by_iin = assert_error(staff.post(path, {"iin": theirs.iin, "relationship": "spouse"}), 422)
    by_id = assert_error(staff.post(path, {"person_id": theirs.pk, "relationship": "spouse"}), 422)
    neither = assert_error(staff.post(path, {"relationship": "spouse"}), 422)
    head = assert_error(staff.post(path, {"person_id": person.pk, "relationship": "head"}), 422)
    income = assert_error(staff.post(path, {"person_id": person.pk, "relationship": "child",
                                            "monthly_income": "-5"}), 422)
    already = assert_error(staff.post(path, {"person_id": person.pk, "relationship": "child"}), 409, "conflict")
    outsiders = assert_error(outsider.post(path, {"iin": theirs.iin, "relationship": "spouse"}), 404, "not_found")

    assert again["message"] and outsiders["message"] and already["fields"][0]["field"] == "person"
    assert [e["fields"][0]["field"] for e in (by_iin, by_id, neither, head, income)] == [
        "iin", "person_id", "person_id", "relationship", "monthly_income"]
    assert HouseholdMember.objects.count() == 1

    spouse = make_person(org, almaty, "Кусаинов", "Серік", iin=iin_for(dt.date(1983, 1, 1), "M"))
    added = staff.post(path, {"iin": spouse.iin, "relationship": "spouse", "monthly_income": "250000.00"})
    assert added.status_code == 201
    assert {m["relationship"] for m in added.json()["members"]} == {"head", "spouse"}


# The access log.

def test_every_read_of_personal_data_writes_an_access_log_row_with_channel_api(people, staff, outsider, person, org,
                                                                              almaty):
    other = make_person(org, almaty, "Кусаинова", "Айгуль")
    household = services.household_create(actor=staff.user, head=person)
    services.household_add_member(actor=staff.user, household=household, person=other, relationship="sibling")
    services.consent_give(actor=staff.user, person=person, purpose="sharing", given_by="person",
                          given_on=dt.date(2026, 1, 10), source="paper")
    AccessLog.objects.all().delete()
    coordinator = Api(people["coordinator"])

    staff.get("/persons", {"q": "Кусаинова"})
    staff.get(f"/persons/{person.pk}")
    coordinator.get(f"/households/{household.pk}")
    outsider.get("/coordination", {"iin": person.iin})

    rows = set(AccessLog.objects.values_list("actor_id", "subject_type", "subject_id", "purpose", "channel"))
    assert rows == {
        (staff.user.pk, "registry.person", str(person.pk), "registry search", "api"),
        (staff.user.pk, "registry.person", str(other.pk), "registry search", "api"),
        (staff.user.pk, "registry.person", str(person.pk), "view record", "api"),
        (coordinator.user.pk, "registry.person", str(person.pk), "view household", "api"),
        (coordinator.user.pk, "registry.person", str(other.pk), "view household", "api"),
        (outsider.user.pk, "registry.person", str(person.pk), "coordination view", "api"),
    }
    assert AccessLog.objects.filter(path__startswith=API).count() == len(rows)


def test_a_person_sees_and_exports_their_own_record(people, staff, org, person):
    beneficiary = Api(people["beneficiary"])
    Person.objects.filter(pk=person.pk).update(user=people["beneficiary"])  # linked by their organisation
    consent = services.consent_give(actor=staff.user, person=person, purpose="volunteer_contact", given_by="person",
                                    given_on=dt.date(2026, 1, 10), source="paper")
    staff.get(f"/persons/{person.pk}")

    mine = beneficiary.get("/me")
    exported = beneficiary.get("/me/export")

    assert mine.status_code == 200 and mine.json()["id"] == person.pk and mine.json()["can_edit"] is False
    assert [c["purpose"] for c in mine.json()["consents"]] == ["volunteer_contact"]
    assert exported.status_code == 200
    data = exported.json()
    assert data["person"]["iin"] == person.iin and data["person"]["registered_by"] == org.name
    assert [c["action"] for c in data["changes"]] == []  # created directly in this test, no service
    assert {v["purpose"] for v in data["views"]} == {"view record", "own record", "own record export"}
    assert list(api_rows(beneficiary.user).values_list("purpose", "channel")) == [
        ("own record export", "api"), ("own record", "api")]
    # They see their own record by number too, may withdraw their own consent, and may not change the record.
    assert beneficiary.get(f"/persons/{person.pk}").status_code == 200
    assert_error(beneficiary.patch(f"/persons/{person.pk}", {"phone": "1"}), 403, "forbidden")
    assert beneficiary.post(f"/persons/{person.pk}/consents/{consent.pk}/withdraw").status_code == 204
    assert_error(beneficiary.get("/persons", {"q": "Кусаинова"}), 403, "forbidden")
    # Someone with no linked record.
    assert_error(Api(people["volunteer"]).get("/me"), 404, "not_found")
    assert_error(Api(people["volunteer"]).get("/me/export"), 404, "not_found")


# The document: success answers match their declared schemas.

@pytest.fixture
def _keep_the_test_transaction(db):
    """As in qamqor/api/tests/test_schemathesis.py: calling the WSGI application directly would close the test's
    database connection at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_the_success_answers_match_the_document(_keep_the_test_transaction, people, org, almaty, outsider):
    from qamqor.wsgi import application

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    checks = {"excluded_checks": [schemathesis.checks.positive_data_acceptance]}
    as_staff = {"Authorization": f"Bearer {token_create(user=people['org_staff'], name='s')[1]}"}
    as_outsider = {"Authorization": outsider.headers["HTTP_AUTHORIZATION"]}
    as_beneficiary = {"Authorization": f"Bearer {token_create(user=people['beneficiary'], name='b')[1]}"}

    def call(method, path, *, status, headers=as_staff, **kwargs):
        case = schema[f"/api/v1/registry{path}"][method].Case(headers=headers, **kwargs)
        response = case.call_and_validate(**checks)
        assert response.status_code == status, response.text
        return response.json() if response.content else None

    iin = iin_for(dt.date(1985, 7, 14), "F")
    created = call("POST", "/persons", status=201, body={
        **registration(org, iin=iin, email="l@example.kz", latitude=43.2, longitude=76.9, disability="group_2",
                       disability_cause="general", disability_set_on="2020-05-01", disability_indefinite=True),
        "birth_date": None, "sex": None})
    person = {"person_id": created["id"]}
    Person.objects.filter(pk=created["id"]).update(user=people["beneficiary"])
    call("PATCH", "/persons/{person_id}", status=200, path_parameters=person, body={"phone": "+7 701 000 00 00"})
    call("GET", "/persons", status=200, query={"q": "Kussainova", "birth_year": 1985, "region_kato": ALMATY})
    consent = call("POST", "/persons/{person_id}/consents", status=201, path_parameters=person,
                   body={"purpose": "sharing", "given_by": "person", "given_on": "2026-01-10", "source": "paper"})
    assignment = call("POST", "/persons/{person_id}/categories", status=201, path_parameters=person, body={
        "category": "pensioner", "evidence": "document", "evidence_reference": "No. 1", "valid_from": "2026-01-01",
        "valid_to": "2027-01-01"})
    call("GET", "/persons/{person_id}", status=200, path_parameters=person)
    call("GET", "/coordination", status=200, headers=as_outsider, query={"iin": iin})
    household = call("POST", "/persons/{person_id}/household", status=201, path_parameters=person, body={})
    other = call("POST", "/persons", status=201, body=registration(org, surname="Иванова", given_name="Мария"))
    call("POST", "/households/{household_id}/members", status=201, path_parameters={"household_id": household["id"]},
         body={"person_id": other["id"], "relationship": "sibling", "monthly_income": "85000.5"})
    call("GET", "/households/{household_id}", status=200, path_parameters={"household_id": household["id"]})
    call("GET", "/categories", status=200, headers=None)
    call("GET", "/me", status=200, headers=as_beneficiary)
    call("GET", "/me/export", status=200, headers=as_beneficiary)
    call("POST", "/categories/{assignment_id}/end", status=204, path_parameters={"assignment_id": assignment["id"]})
    call("POST", "/persons/{person_id}/consents/{consent_id}/withdraw", status=204,
         path_parameters={**person, "consent_id": consent["id"]})
    duplicate = call("POST", "/persons", status=409, body=registration(org, surname="Kussainova"))
    assert duplicate["error"]["candidates"][0]["id"] == created["id"]


# Fuzzing with the token of the owning organisation's staff, on real records: the writes are exercised too, not only
# refused as they are for the anonymous and coordinator clients of qamqor/api/tests/test_schemathesis.py.

def _registry_schema():
    from qamqor.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application).include(
        path_regex=r"^/api/v1/registry/")


registry_schema = _registry_schema()
FUZZ = settings(max_examples=30, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.filter_too_much])


@pytest.fixture
def records(_keep_the_test_transaction, people, org, almaty):
    """A person with consent, a category and a household, and a token of their organisation's staff."""
    staff_user = people["org_staff"]
    person = services.person_create(actor=staff_user, owner=org, confirmed_new=True, data={
        "surname": "Кусаинова", "given_name": "Ляззат", "iin": iin_for(dt.date(1985, 7, 14), "F"), "region": almaty})
    consent = services.consent_give(actor=staff_user, person=person, purpose="sharing", given_by="person",
                                    given_on=dt.date(2026, 1, 10), source="paper")
    assignment = services.category_assign(actor=staff_user, person=person,
                                          category=Category.objects.get(code="pensioner"), evidence="document",
                                          evidence_reference="No. 1", valid_from=dt.date(2026, 1, 1))
    household = services.household_create(actor=staff_user, head=person)
    ids = {"person_id": person.pk, "consent_id": consent.pk, "assignment_id": assignment.pk,
           "household_id": household.pk}
    return ids, token_create(user=staff_user, name="fuzz")[1]


@registry_schema.parametrize()
@FUZZ
def test_staff_requests_on_real_records_are_answered_as_documented(case, records):
    ids, raw = records
    # Aim the generated ids that are valid at the records above, so that the bodies reach the services.
    for name, value in (case.path_parameters or {}).items():
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 2**62 and name in ids:
            case.path_parameters[name] = ids[name]
    case.call_and_validate(headers={"Authorization": f"Bearer {raw}"},
                           excluded_checks=[schemathesis.checks.positive_data_acceptance])


def test_the_openapi_document_declares_the_candidates_of_a_possible_duplicate(client):
    document = client.get("/api/v1/openapi.json").json()
    conflict = document["paths"]["/api/v1/registry/persons"]["post"]["responses"]["409"]
    ref = conflict["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    body_ref = document["components"]["schemas"][ref]["properties"]["error"]["$ref"].rsplit("/", 1)[1]
    body = document["components"]["schemas"][body_ref]["properties"]
    assert {"code", "message", "fields", "candidates"} <= set(body)
    candidate = body["candidates"]["items"]["$ref"].rsplit("/", 1)[1]
    assert set(document["components"]["schemas"][candidate]["properties"]) == {
        "id", "full_name", "birth_date", "region", "registered_by"}
