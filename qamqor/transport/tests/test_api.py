"""The transport API, /api/v1/transport/, through HTTP with Bearer tokens: a passenger requests a ride and sees its
expected times, a dispatcher plans the day and polls the run, assigns and unassigns, a driver reads the manifest and
marks stops; refusals in the one error shape, bad input a 4xx, every passenger named in the access log."""

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from qamqor.accounts.services import token_create
from qamqor.core.models import AccessLog
from qamqor.transport import services
from qamqor.transport.models import RideRequest

from .factories import *  # noqa: F401,F403
from .factories import ALMATY

pytestmark = pytest.mark.django_db
API = "/api/v1/transport"


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


def iso(moment):
    return timezone.localtime(moment).isoformat()


def ride_body(person, provider, when, **extra):
    (plat, plon), (dlat, dlon) = ALMATY["abay"], ALMATY["hospital"]
    return {"person_id": person.pk, "provider_id": provider.pk, "pickup_address": "Абай 10", "pickup_latitude": plat,
            "pickup_longitude": plon, "dropoff_address": "Больница", "dropoff_latitude": dlat,
            "dropoff_longitude": dlon, "pickup_at": iso(when), **extra}


def test_a_passenger_requests_a_ride_and_sees_when_it_comes(passenger, passenger_user, org, contract, shifts, people,
                                                            tomorrow, at):
    me = Api(passenger_user)
    answer = me.post("/rides", ride_body(passenger, org, at(tomorrow, 9), wheelchair=True,
                                         return_pickup_at=iso(at(tomorrow, 13))))
    assert answer.status_code == 201, answer.content
    outbound, back = answer.json()
    assert outbound["status"] == "requested" and back["return_of"] == outbound["id"] and outbound["eta"] is None
    dispatcher = Api(people["dispatcher"])
    run = dispatcher.post("/plans", {"day": tomorrow.isoformat(), "time_limit": 1})
    assert run.status_code == 202, run.content
    services.plan_run(run.json()["id"])
    polled = dispatcher.get(f"/runs/{run.json()['id']}").json()
    assert polled["status"] == "done" and polled["progress"] == 100 and polled["result_version"] == 1
    mine = me.get("/rides/mine").json()
    assert {r["id"] for r in mine} == {outbound["id"], back["id"]}
    eta = next(r for r in mine if r["id"] == outbound["id"])["eta"]
    assert eta["vehicle"] == shifts[0].vehicle.plate  # the van: a wheelchair place
    assert dt.datetime.fromisoformat(eta["pickup_at"]) <= at(tomorrow, 9, 20)
    assert not AccessLog.objects.filter(actor=passenger_user).exists()  # one's own record is not logged


def test_a_refused_ride_says_why(make_person, people, org, contract, tomorrow, at):
    group_3 = make_person("group_3")
    answer = Api(people["dispatcher"]).post("/rides", ride_body(group_3, org, at(tomorrow, 9)))
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "not_eligible" and "not eligible" in error["message"]
    assert not RideRequest.objects.exists()


@pytest.mark.parametrize("change", [{"pickup_latitude": 95}, {"escorts": 9}, {"pickup_at": "tomorrow"},
                                    {"pickup_at": "2026-11-25T09:00:00"}, {"wheelchair": "yes"},
                                    {"repeat_weekdays": [7]}, {"unknown": 1}, {"pickup_address": "\x00"}])
def test_bad_input_is_a_422(passenger, passenger_user, org, contract, tomorrow, at, change):
    answer = Api(passenger_user).post("/rides", {**ride_body(passenger, org, at(tomorrow, 9)), **change})
    assert answer.status_code == 422, answer.content
    assert answer.json()["error"]["fields"]


def test_a_body_that_is_not_an_object_is_a_4xx(passenger_user):
    me = Api(passenger_user)
    answer = me.client.post(API + "/rides", "[1, 2]", content_type="application/json", **me.headers)
    assert answer.status_code in (400, 422)
    answer = me.client.post(API + "/rides", "{not json", content_type="application/json", **me.headers)
    assert answer.status_code == 400


def test_the_dispatcher_assigns_and_unassigns(people, org, shifts, make_ride, tomorrow):
    rides = [make_ride(hour=h) for h in (8, 10)]
    services.plan_run(services.plan_start(actor=people["dispatcher"], provider=org, day=tomorrow, time_limit=1).pk)
    dispatcher = Api(people["dispatcher"])
    board = dispatcher.get("/board", {"day": tomorrow.isoformat()}).json()
    on = {stop["ride_id"]: entry["shift"]["id"] for entry in board["shifts"] for stop in entry["stops"]}
    target = next(s.pk for s in shifts if s.pk != on[rides[0].pk])
    assigned = dispatcher.post(f"/rides/{rides[0].pk}/assign", {"shift_id": target})
    assert assigned.status_code == 200 and assigned.json()["kind"] == "assign" and assigned.json()["number"] == 2
    held = dispatcher.post(f"/rides/{rides[1].pk}/unassign")
    assert held.status_code == 200 and held.json()["number"] == 3
    board = dispatcher.get("/board", {"day": tomorrow.isoformat()}).json()
    assert [u["ride"]["id"] for u in board["unassigned"]] == [rides[1].pk]
    assert board["unassigned"][0]["reason"] == "Held back by a dispatcher."
    assert board["stats"]["served"] == 1
    assert AccessLog.objects.filter(actor=people["dispatcher"], purpose="transport board").count() >= 2
    again = dispatcher.post(f"/rides/{rides[1].pk}/unassign")
    assert again.status_code == 200
    unknown = dispatcher.post(f"/rides/{rides[0].pk}/assign", {"shift_id": 999999})
    assert unknown.status_code == 422 and unknown.json()["error"]["fields"][0]["field"] == "shift_id"


def test_an_assignment_that_does_not_fit_is_refused_with_the_reason(people, org, shifts, make_ride, passenger,
                                                                   tomorrow):
    ride = make_ride(passenger, wheelchair=True)
    services.plan_run(services.plan_start(actor=people["dispatcher"], provider=org, day=tomorrow, time_limit=1).pk)
    answer = Api(people["dispatcher"]).post(f"/rides/{ride.pk}/assign", {"shift_id": shifts[1].pk})
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "infeasible" and "wheelchair" in answer.json()["error"]["message"]


def test_a_second_plan_of_the_day_is_a_409(people, org, shifts, make_ride, tomorrow):
    make_ride()
    dispatcher = Api(people["dispatcher"])
    assert dispatcher.post("/plans", {"day": tomorrow.isoformat(), "time_limit": 1}).status_code == 202
    assert dispatcher.post("/plans", {"day": tomorrow.isoformat(), "time_limit": 1}).status_code == 409
    past = dispatcher.post("/plans", {"day": (tomorrow - dt.timedelta(days=3)).isoformat()})
    assert past.status_code == 422


def test_the_driver_reads_the_manifest_and_marks_stops(people, org, contract, make_person, van, driver):
    now = timezone.now()
    today = timezone.localdate()
    start = max(timezone.make_aware(dt.datetime.combine(today, dt.time(0, 1))), now - dt.timedelta(minutes=40))
    shift = services.shift_create(actor=people["dispatcher"], vehicle=van, driver=driver, starts_at=start,
                                  ends_at=now + dt.timedelta(hours=2), now=start - dt.timedelta(minutes=30))
    person = make_person("group_1", uses_wheelchair=True, needs_escort=True)
    (plat, plon), (dlat, dlon) = ALMATY["abay"], ALMATY["hospital"]
    [ride] = services.ride_request_create(
        actor=people["dispatcher"], person=person, provider=org, pickup_address="Абай 10", pickup_latitude=plat,
        pickup_longitude=plon, dropoff_address="Больница", dropoff_latitude=dlat, dropoff_longitude=dlon,
        pickup_at=start + dt.timedelta(minutes=10), wheelchair=True, escorts=1, needs_note="3rd floor, no lift",
        now=start - dt.timedelta(minutes=30))
    services.plan_assign(actor=people["dispatcher"], ride=ride, shift=shift, now=start - dt.timedelta(minutes=30))
    me = Api(people["driver"])
    sheet = me.get(f"/shifts/{shift.pk}/manifest")
    assert sheet.status_code == 200
    pickup, dropoff = sheet.json()["stops"]
    assert pickup["kind"] == "pickup" and pickup["passenger"] == person.full_name and pickup["phone"] == person.phone
    assert pickup["wheelchair"] and pickup["escorts"] == 1 and pickup["needs_note"] == "3rd floor, no lift"
    assert AccessLog.objects.filter(actor=people["driver"], subject_id=str(person.pk),
                                    purpose="driver manifest").exists()
    assert me.post(f"/rides/{ride.pk}/mark", {"event": "dropped_off"}).status_code == 409
    up = me.post(f"/rides/{ride.pk}/mark", {"event": "picked_up", "at": iso(now - dt.timedelta(minutes=15))})
    assert up.status_code == 200 and up.json()["status"] == "picked_up"
    down = me.post(f"/rides/{ride.pk}/mark", {"event": "dropped_off"})
    assert down.status_code == 200 and down.json()["status"] == "dropped_off" and down.json()["delivery_note"] == ""
    assert me.post(f"/rides/{ride.pk}/mark", {"event": "no_show"}).status_code == 409
