"""The social services API, /api/v1/services/, through HTTP with Bearer tokens: the same scope as the pages, the
next free time in a refusal's body, 409 for an overlap, every person named (but the caller) in the access log, and
the answers as the OpenAPI document says."""

import datetime as dt
import json
import re

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, settings

from qamqor.accounts.services import token_create
from qamqor.core.models import AccessLog
from qamqor.social_services import services
from qamqor.social_services.models import Act, Booking, DeliveryRecord

pytestmark = pytest.mark.django_db
API = "/api/v1/services"
SIGN = "sign_language_specialist"


class Api:
    def __init__(self, user, language="en"):
        self.user = user
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user, name='test')[1]}",
                        "HTTP_ACCEPT_LANGUAGE": language}

    def get(self, path, query=None):
        return self.client.get(API + path, query or {}, **self.headers)

    def post(self, path, data=None):
        body = json.dumps(data) if data is not None else ""
        return self.client.post(API + path, body, content_type="application/json", **self.headers)


@pytest.fixture
def me(beneficiary):
    return Api(beneficiary)


@pytest.fixture
def provider(people):
    return Api(people["org_admin"])


def iso(moment):
    return timezone.localtime(moment).isoformat()


def moment(text):
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_the_catalogue_is_public(client):
    answer = client.get(f"{API}/service-types").json()
    sign = next(t for t in answer if t["code"] == SIGN)
    assert sign["bookable"] and sign["unit"] == "hour"


def test_a_person_sees_their_entitlements_with_the_reason(me, deaf_person):
    answer = me.get("/entitlements")
    assert answer.status_code == 200
    sign = next(e for e in answer.json() if e["service_type"] == SIGN)
    assert sign["eligible"] and sign["reason"].startswith("eligible") and sign["person_id"] == deaf_person.pk


def test_a_person_books_and_a_refusal_carries_the_next_free_time(me, deaf_person, types, make_contract, interpreter,
                                                                 tomorrow, at):
    make_contract(types[SIGN])
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    refused = me.post("/bookings", {"person_id": deaf_person.pk, "service_type": SIGN,
                                    "starts_at": iso(at(yesterday, 10)), "purpose": "court"})
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "past" and error["fields"][0]["field"] == "starts_at"
    alternative = error["alternative"]
    assert dt.datetime.fromisoformat(alternative["starts_at"]) > timezone.now()
    assert not Booking.objects.exists()

    booked = me.post("/bookings", {"person_id": deaf_person.pk, "service_type": SIGN, "purpose": "court",
                                   "starts_at": alternative["starts_at"], "ends_at": alternative["ends_at"]})

    assert booked.status_code == 201, booked.content
    body = booked.json()
    assert body["status"] == "requested" and body["code"] is None and body["units"] == "1.00"
    assert [b["id"] for b in me.get("/bookings").json()["items"]] == [body["id"]]


def test_booking_for_someone_else_is_refused_without_saying_who_exists(me, make_person, types, make_contract,
                                                                       tomorrow, at):
    make_contract(types[SIGN])
    stranger = make_person("group_2", deaf_sign_language=True)
    refused = me.post("/bookings", {"person_id": stranger.pk, "service_type": SIGN, "starts_at": iso(at(tomorrow, 10))})
    assert refused.status_code == 422 and refused.json()["error"]["fields"][0]["field"] == "person_id"
    naive = me.post("/bookings", {"person_id": stranger.pk, "service_type": SIGN, "starts_at": "2026-12-01T10:00:00"})
    assert naive.status_code == 422
    assert not Booking.objects.exists()


def test_the_provider_assigns_and_an_overlap_is_a_409_with_the_next_free_time(provider, people, beneficiary,
                                                                             deaf_person, make_person, types,
                                                                             make_contract, interpreter, tomorrow,
                                                                             at):
    make_contract(types[SIGN])
    first = services.booking_create(actor=beneficiary, person=deaf_person, service_type=types[SIGN],
                                    starts_at=at(tomorrow, 10), ends_at=at(tomorrow, 11))
    other = make_person("group_2", deaf_sign_language=True)
    second = services.booking_create(actor=people["org_staff"], person=other, service_type=types[SIGN],
                                     starts_at=at(tomorrow, 10, 30), ends_at=at(tomorrow, 11, 30))
    listed = provider.get("/bookings", {"on": tomorrow.isoformat(), "status": "requested"}).json()
    assert listed["count"] == 2
    assert AccessLog.objects.filter(actor=people["org_admin"], purpose="social bookings list", channel="api").count() == 2

    assigned = provider.post(f"/bookings/{first.pk}/assign", {"staff_id": interpreter.pk})
    assert assigned.status_code == 200 and assigned.json()["staff"]["id"] == interpreter.pk
    assert assigned.json()["code"] is None  # the code is the person's, not the provider's

    refused = provider.post(f"/bookings/{second.pk}/assign", {"staff_id": interpreter.pk})
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "overlap" and error["fields"][0]["field"] == "staff_id"
    assert error["alternative"]["starts_at"].startswith(f"{tomorrow.isoformat()}T")
    assert Booking.objects.get(pk=second.pk).staff is None

    mine = Api(beneficiary).get(f"/bookings/{first.pk}").json()
    assert re.fullmatch(r"[0-9]{6}", mine["code"])
    assert Api(people["donor"]).get(f"/bookings/{first.pk}").status_code == 404


def test_the_person_cancels(me, beneficiary, deaf_person, types, make_contract, tomorrow, at):
    make_contract(types[SIGN])
    booking = services.booking_create(actor=beneficiary, person=deaf_person, service_type=types[SIGN],
                                      starts_at=at(tomorrow + dt.timedelta(days=3), 10))
    answer = me.post(f"/bookings/{booking.pk}/cancel", {"reason": "Moved"})
    assert answer.status_code == 200 and answer.json()["status"] == "cancelled"
    assert me.post(f"/bookings/{booking.pk}/cancel", {}).status_code == 409


def test_a_person_moves_a_booking_and_an_overlap_hands_it_back_to_the_provider(me, provider, beneficiary, people,
                                                                                deaf_person, make_person, types,
                                                                                make_contract, interpreter, at):
    make_contract(types[SIGN])
    day = timezone.localdate() + dt.timedelta(days=3)
    booking = services.booking_create(actor=beneficiary, person=deaf_person, service_type=types[SIGN],
                                      starts_at=at(day, 10), ends_at=at(day, 11), staff=interpreter)
    moved = me.post(f"/bookings/{booking.pk}/change", {"starts_at": iso(at(day, 12)), "place": "Абай даңғылы 10"})
    assert moved.status_code == 200, moved.json()
    body = moved.json()
    assert moment(body["starts_at"]) == at(day, 12) and moment(body["ends_at"]) == at(day, 13)
    assert body["status"] == "assigned" and body["staff"]["id"] == interpreter.pk and body["code"]
    assert body["place"] == "Абай даңғылы 10"

    services.booking_create(actor=people["org_staff"], person=make_person("group_1", deaf_sign_language=True),
                            service_type=types[SIGN], starts_at=at(day, 15), ends_at=at(day, 16), staff=interpreter)
    released = me.post(f"/bookings/{booking.pk}/change", {"starts_at": iso(at(day, 15, 30))}).json()
    assert released["status"] == "requested" and released["staff"] is None and released["code"] is None

    past = me.post(f"/bookings/{booking.pk}/change", {"starts_at": iso(at(day - dt.timedelta(days=4), 10))})
    assert past.status_code == 422
    assert past.json()["error"]["code"] == "past" and past.json()["error"]["alternative"]["starts_at"]
    assert me.post(f"/bookings/{booking.pk}/change", {"starts_at": iso(at(day, 15, 30))}).json()["error"]["code"] \
        == "unchanged"
    assert me.post(f"/bookings/{booking.pk}/change", {"starts_at": "tomorrow"}).status_code == 422
    services.booking_cancel(actor=beneficiary, booking=booking)
    gone = provider.post(f"/bookings/{booking.pk}/change", {"starts_at": iso(at(day, 17))})
    assert gone.status_code == 409 and gone.json()["error"]["code"] == "conflict"
    assert Booking.objects.get(pk=booking.pk).starts_at == at(day, 15, 30)


def test_inside_the_notice_only_the_provider_moves_a_booking(me, provider, beneficiary, deaf_person, types,
                                                             make_contract):
    make_contract(types[SIGN])
    soon = timezone.now() + dt.timedelta(hours=3)
    booking = services.booking_create(actor=beneficiary, person=deaf_person, service_type=types[SIGN],
                                      starts_at=soon)
    refused = me.post(f"/bookings/{booking.pk}/change", {"starts_at": iso(soon + dt.timedelta(hours=1))})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "notice"
    assert refused.json()["error"]["fields"] == [{"field": "starts_at", "message": refused.json()["error"]["message"]}]
    assert provider.post(f"/bookings/{booking.pk}/change",
                         {"starts_at": iso(soon + dt.timedelta(hours=1))}).status_code == 200


def test_a_series_is_booked_whole(me, deaf_person, types, make_contract, tomorrow):
    make_contract(types[SIGN])
    answer = me.post("/bookings/series", {
        "person_id": deaf_person.pk, "service_type": SIGN, "weekdays": [tomorrow.weekday()], "start_time": "10:00",
        "minutes": 60, "first_date": tomorrow.isoformat(), "until": (tomorrow + dt.timedelta(days=7)).isoformat()})
    assert answer.status_code == 201, answer.content
    assert len(answer.json()["bookings"]) == 2


@pytest.fixture
def assigned_yesterday(beneficiary, deaf_person, types, make_contract, interpreter, people, at):
    contract = make_contract(types[SIGN])
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    booking = services.booking_create(actor=beneficiary, person=deaf_person, service_type=types[SIGN],
                                      starts_at=at(yesterday, 10), ends_at=at(yesterday, 11),
                                      now=at(yesterday, 10) - dt.timedelta(days=1))
    return contract, services.booking_assign(actor=people["org_admin"], booking=booking, staff=interpreter), yesterday


def test_delivery_act_and_totals(provider, interpreter, customer_staff, people, assigned_yesterday):
    contract, booking, yesterday = assigned_yesterday
    worker = Api(interpreter.user)
    wrong = worker.post(f"/bookings/{booking.pk}/delivery", {"started_at": iso(booking.starts_at),
                                                             "ended_at": iso(booking.ends_at), "code": "12345"})
    assert wrong.status_code == 422 and wrong.json()["error"]["fields"][0]["field"] == "code"
    recorded = worker.post(f"/bookings/{booking.pk}/delivery", {
        "started_at": iso(booking.starts_at), "ended_at": iso(booking.ends_at),
        "code": services.booking_confirmation_code(booking)})
    assert recorded.status_code == 201, recorded.content
    assert recorded.json()["confirmation"] == "code" and DeliveryRecord.objects.count() == 1

    detail = provider.get(f"/contracts/{contract.pk}").json()
    assert detail["consumption"]["delivered"] == "1.00" and detail["signed"]["volume"] == "100.00"
    act = provider.post(f"/contracts/{contract.pk}/acts", {"month": yesterday.strftime("%Y-%m")})
    assert act.status_code == 201 and act.json()["total_amount"] == "5000.00"
    issued = Api(customer_staff).post(f"/acts/{act.json()['id']}/issue")
    assert issued.status_code == 200 and issued.json()["status"] == "issued"
    assert provider.post(f"/contracts/{contract.pk}/acts", {"month": yesterday.strftime("%Y-%m")}).status_code == 409
    assert Act.objects.get().status == "issued"

    totals = Api(customer_staff).get("/totals", {"start": yesterday.isoformat(), "end": yesterday.isoformat()})
    assert totals.status_code == 200
    assert totals.json()["total"] == {"services": 1, "units": "1.00", "amount": "5000.00"}
    assert totals.json()["sentence"].startswith("1 services delivered")
    assert Api(people["donor"]).get("/totals", {"start": "2026-01-01", "end": "2026-12-31"}).status_code == 403
    assert Api(people["donor"]).get(f"/contracts/{contract.pk}").status_code == 404


# The OpenAPI document, checked with generated requests.

@pytest.fixture
def _keep_the_test_transaction():
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


CHECKS = {"excluded_checks": [schemathesis.checks.positive_data_acceptance]}
FUZZ = settings(max_examples=5, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.filter_too_much])


def _schema():
    from qamqor.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application).include(
        path_regex=r"^/api/v1/services/")


services_schema = _schema()


@pytest.fixture
def records(_keep_the_test_transaction, people, assigned_yesterday, interpreter):
    contract, booking, yesterday = assigned_yesterday
    services.delivery_record(actor=interpreter.user, booking=booking, started_at=booking.starts_at,
                             ended_at=booking.ends_at, signature=True)
    act = services.act_generate(actor=people["org_admin"], contract=contract, month=yesterday)
    ids = {"booking_id": booking.pk, "contract_id": contract.pk, "act_id": act.pk}
    return ids, token_create(user=people["org_admin"], name="fuzz")[1]


@services_schema.parametrize()
@FUZZ
def test_requests_on_real_records_are_answered_as_documented(case, records):
    ids, raw = records
    for name, value in (case.path_parameters or {}).items():
        if name in ids and isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 2**62:
            case.path_parameters[name] = ids[name]
    case.call_and_validate(headers={"Authorization": f"Bearer {raw}"}, **CHECKS)
