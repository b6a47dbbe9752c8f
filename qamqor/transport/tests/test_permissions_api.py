"""Who may do what in the transport API: every endpoint × the provider's dispatcher, a dispatcher of another
provider, the ride's driver, another driver of the provider, the passenger, another beneficiary, anonymous. One set
of data; each request runs in a transaction rolled back afterwards, so rows do not depend on each other."""

import json

import pytest
from django.db import transaction
from django.test import Client

from qamqor.accounts.models import Role
from qamqor.accounts.services import token_create
from qamqor.transport import services

from .factories import *  # noqa: F401,F403
from .factories import ALMATY

pytestmark = pytest.mark.django_db
API = "/api/v1/transport"
ROLES = ("dispatcher", "other_dispatcher", "driver", "other_driver", "passenger", "other_beneficiary", "anonymous")


@pytest.fixture
def world(people, org, contract, shifts, passenger, passenger_user, other_dispatcher, other_driver, make_user,
          tomorrow, at):
    (plat, plon), (dlat, dlon) = ALMATY["abay"], ALMATY["hospital"]
    [ride] = services.ride_request_create(
        actor=passenger_user, person=passenger, provider=org, pickup_address="Абай 10", pickup_latitude=plat,
        pickup_longitude=plon, dropoff_address="Больница", dropoff_latitude=dlat, dropoff_longitude=dlon,
        pickup_at=at(tomorrow, 9), wheelchair=True)
    run = services.plan_start(actor=people["dispatcher"], provider=org, day=tomorrow, time_limit=1)
    services.plan_run(run.pk)
    van = shifts[0]
    services.plan_assign(actor=people["dispatcher"], ride=ride, shift=van)
    users = {"dispatcher": people["dispatcher"], "other_dispatcher": other_dispatcher, "driver": people["driver"],
             "other_driver": other_driver.user, "passenger": passenger_user,
             "other_beneficiary": make_user("someone@test.kz", Role.BENEFICIARY), "anonymous": None}
    return {"ride": ride, "van": van, "run": run, "day": tomorrow.isoformat(), "org": org, "users": users}


def call(user, method, path, body=None):
    client = Client()
    headers = {"HTTP_ACCEPT_LANGUAGE": "en"}
    if user is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token_create(user=user, name='matrix')[1]}"
    with transaction.atomic():
        if method == "GET":
            answer = client.get(API + path, body or {}, **headers)
        else:
            answer = client.post(API + path, json.dumps(body or {}), content_type="application/json", **headers)
        transaction.set_rollback(True)
    return answer


# (method, path template, body, {role: status}); roles not named expect the row's default.
MATRIX = [
    ("GET", "/requests?day={day}&provider_id={org}", None, 403, {"dispatcher": 200}),
    ("GET", "/board?day={day}&provider_id={org}", None, 403, {"dispatcher": 200}),
    ("GET", "/shifts?day={day}&provider_id={org}", None, 403, {"dispatcher": 200}),
    ("GET", "/rides/{ride}", None, 404, {"dispatcher": 200, "passenger": 200}),
    ("POST", "/rides/{ride}/cancel", {"reason": "test"}, 404, {"dispatcher": 200, "passenger": 200}),
    ("POST", "/rides/{ride}/unassign", None, 404, {"dispatcher": 200, "passenger": 403}),
    ("POST", "/rides/{ride}/release", None, 404, {"dispatcher": 200, "passenger": 403}),
    ("POST", "/rides/{ride}/assign", {"shift_id": "{van}"}, 404, {"dispatcher": 200, "passenger": 403}),
    # Tomorrow's ride: whoever may mark it passes the permission check and is refused the time (422).
    ("POST", "/rides/{ride}/mark", {"event": "picked_up"}, 404, {"dispatcher": 422, "driver": 422, "passenger": 403}),
    ("GET", "/shifts/{van}/manifest", None, 404, {"dispatcher": 200, "driver": 200}),
    ("GET", "/runs/{run}", None, 404, {"dispatcher": 200}),
    ("POST", "/plans", {"day": "{day}", "provider_id": "{org}", "time_limit": 1}, 403, {"dispatcher": 202}),
    ("GET", "/rides/mine", None, 200, {}),
]


def _fill(value, world):
    names = {"day": world["day"], "ride": world["ride"].pk, "van": world["van"].pk, "run": world["run"].pk,
             "org": world["org"].pk}
    if isinstance(value, str):
        filled = value.format(**names)
        return int(filled) if filled.isdigit() and value.startswith("{") else filled
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    return value


@pytest.mark.parametrize("method, path, body, default, special", MATRIX, ids=[f"{m} {p}" for m, p, *_ in MATRIX])
def test_every_role_gets_what_it_should(world, method, path, body, default, special):
    path, body = _fill(path, world), _fill(body, world)
    if "?" in path and method == "GET":
        path, query = path.split("?")
        body = dict(part.split("=") for part in query.split("&"))
    for role in ROLES:
        expected = 401 if role == "anonymous" else special.get(role, default)
        answer = call(world["users"][role], method, path, body)
        assert answer.status_code == expected, f"{role}: {answer.status_code} {answer.content[:300]}"


def test_my_rides_show_only_ones_own(world):
    for role in ROLES[:-1]:
        rides = call(world["users"][role], "GET", "/rides/mine").json()
        assert [r["id"] for r in rides] == ([world["ride"].pk] if role == "passenger" else []), role


def test_a_representative_sees_and_cancels_the_persons_ride(world, people, make_user):
    from qamqor.social_services import services as social

    parent = make_user("parent@test.kz", Role.BENEFICIARY)
    social.representative_add(actor=people["org_admin"], person=world["ride"].person, user=parent,
                              consent_reference="power of attorney No. 12 of 01.03.2026")
    assert call(parent, "GET", f"/rides/{world['ride'].pk}").status_code == 200
    assert call(parent, "POST", f"/rides/{world['ride'].pk}/cancel").status_code == 200
