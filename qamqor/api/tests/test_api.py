"""What API clients rely on: tokens, sessions, one error shape, pagination and filters, permissions.

Every test goes through HTTP (django.test.Client) the way a client program or the browser does.
"""

import datetime as dt
import hashlib
import json
import zoneinfo

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.crypto import get_random_string

from qamqor.accounts.models import ApiToken, Role, User
from qamqor.accounts.services import token_create, token_revoke
from qamqor.core.models import AuditLog
from qamqor.lib.validators import BIN_MESSAGES
from qamqor.organizations.models import Organization
from qamqor.organizations.services import organization_register

ALMATY, ASTANA = "750000000", "710000000"
# Valid BINs (check digit included) that no fixture uses.
FREE_BINS = ["200240000018", "190550000019", "211160000018", "200240000028"]


def bearer(raw):
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def new_token(user, **kwargs):
    _token, raw = token_create(user=user, name="test", **kwargs)
    return raw


def post_json(client, path, data, **extra):
    return client.post(path, json.dumps(data), content_type="application/json", **extra)


def registration(**changes):
    return {"name": "Qamqor Test Fund", "kind": "charity_fund", "bin": FREE_BINS[0], "region_kato": ALMATY,
            **changes}


def assert_error(response, status, code=None):
    """The one error shape: {"error": {"code": str, "message": str, "fields": [{"field": str, "message": str}]}}."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"].strip()
    assert isinstance(error["fields"], list)
    for field in error["fields"]:
        assert set(field) == {"field", "message"}
        assert isinstance(field["field"], str) and field["field"]
        assert isinstance(field["message"], str) and field["message"].strip()
    if code is not None:
        assert error["code"] == code
    return error


def register(user, region, *, name, bin, kind="ngo", verified=False):
    return organization_register(actor=user, name=name, kind=kind, bin=bin, region=region, verified=verified)


@pytest.fixture
def founder(make_user):
    """A volunteer who registers organisations (and so becomes their administrator)."""
    return make_user("founder@test.kz", Role.VOLUNTEER)


@pytest.fixture
def astana_coordinator(make_user, astana):
    return make_user("coordinator.astana@test.kz", Role.COORDINATOR, region=astana)


@pytest.fixture
def pending(founder, almaty):
    return register(founder, almaty, name="Pending Almaty Fund", bin=FREE_BINS[1])


# Tokens.

def test_it_shows_a_new_token_once_and_stores_only_its_sha256(client_for, people):
    client = client_for(people["volunteer"])

    response = post_json(client, "/api/v1/tokens", {"name": "Laptop"})

    assert response.status_code == 201
    created = response.json()
    raw = created["token"]
    assert raw.startswith("qmq_") and created["lookup"] in raw and created["name"] == "Laptop"
    row = ApiToken.objects.get(pk=created["id"])
    assert row.digest == hashlib.sha256(raw.encode()).hexdigest()
    secret = raw.removeprefix(f"qmq_{created['lookup']}_")
    for column, value in ApiToken.objects.filter(pk=row.pk).values().get().items():
        assert raw not in str(value) and secret not in str(value), column
    assert secret not in json.dumps([a.after for a in AuditLog.objects.filter(action="token.create")])
    listing = client.get("/api/v1/tokens")
    assert listing.status_code == 200
    assert [t["id"] for t in listing.json()] == [row.pk]
    assert "token" not in listing.json()[0] and secret not in listing.content.decode()


def test_a_token_authenticates_as_bearer_on_its_own(client, people):
    raw = new_token(people["volunteer"])

    response = client.get("/api/v1/me", **bearer(raw))

    assert response.status_code == 200
    me = response.json()
    assert me["email"] == "volunteer@test.kz"
    assert me["roles"] == [{"role": "volunteer", "organization_id": None, "region_id": None}]
    assert ApiToken.objects.get(digest=ApiToken.hash(raw)).last_used_at is not None


def test_it_refuses_a_token_as_soon_as_it_is_revoked(client, people):
    raw = new_token(people["donor"])
    token = ApiToken.objects.get(digest=ApiToken.hash(raw))
    assert client.get("/api/v1/me", **bearer(raw)).status_code == 200

    response = client.delete(f"/api/v1/tokens/{token.pk}", **bearer(raw))

    assert response.status_code == 204
    assert_error(client.get("/api/v1/me", **bearer(raw)), 401, "unauthenticated")
    assert_error(client.get("/api/v1/organizations", **bearer(raw)), 401, "unauthenticated")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditLog.objects.filter(action="token.revoke", object_id=str(token.pk)).count() == 1


def test_it_refuses_a_token_once_it_has_expired(client, people, monkeypatch):
    now = timezone.now()
    raw = new_token(people["donor"], expires_at=now + dt.timedelta(hours=1))
    assert client.get("/api/v1/me", **bearer(raw)).status_code == 200

    monkeypatch.setattr(timezone, "now", lambda: now + dt.timedelta(hours=1, seconds=1))

    assert_error(client.get("/api/v1/me", **bearer(raw)), 401, "unauthenticated")


def test_it_refuses_the_token_of_a_deactivated_user(client, people):
    user = people["coordinator"]
    raw = new_token(user)
    assert client.get("/api/v1/me", **bearer(raw)).status_code == 200

    User.objects.filter(pk=user.pk).update(is_active=False)  # as the admin site's "active" box does

    assert_error(client.get("/api/v1/me", **bearer(raw)), 401, "unauthenticated")


@pytest.mark.parametrize("header", ["Bearer qmq_00000000_not-a-token", "Bearer nonsense", "Bearer ", "Token {raw}",
                                    "Bearer {raw}x", "Bearer {raw_upper}"])
def test_it_refuses_tokens_it_did_not_issue(client, people, header):
    raw = new_token(people["volunteer"])
    value = header.format(raw=raw, raw_upper=raw.upper())

    assert_error(client.get("/api/v1/me", HTTP_AUTHORIZATION=value), 401, "unauthenticated")


def test_it_does_not_let_anyone_revoke_someone_elses_token(client, people):
    donors_token = new_token(people["donor"])
    donors_token_id = ApiToken.objects.get(digest=ApiToken.hash(donors_token)).pk

    response = client.delete(f"/api/v1/tokens/{donors_token_id}", **bearer(new_token(people["volunteer"])))

    assert_error(response, 404, "not_found")
    assert client.get("/api/v1/me", **bearer(donors_token)).status_code == 200


def test_it_refuses_an_expiry_in_the_past(client, people):
    response = post_json(client, "/api/v1/tokens", {"name": "Old", "expires_at": "2020-01-01T00:00:00Z"},
                         **bearer(new_token(people["volunteer"])))

    error = assert_error(response, 422, "invalid")
    assert [f["field"] for f in error["fields"]] == ["expires_at"]


def test_it_reads_an_expiry_without_a_utc_offset_as_almaty_time(client, people):
    response = post_json(client, "/api/v1/tokens", {"name": "CI", "expires_at": "2030-01-01T09:00:00"},
                         **bearer(new_token(people["volunteer"])))

    assert response.status_code == 201
    expected = dt.datetime(2030, 1, 1, 9, tzinfo=zoneinfo.ZoneInfo("Asia/Almaty"))
    assert ApiToken.objects.get(pk=response.json()["id"]).expires_at == expected


def test_it_refuses_an_expiry_it_could_not_store(client, people):
    response = post_json(client, "/api/v1/tokens", {"name": "Forever", "expires_at": "9999-12-31T23:59:59-12:00"},
                         **bearer(new_token(people["volunteer"])))

    error = assert_error(response, 422, "invalid")
    assert [f["field"] for f in error["fields"]] == ["expires_at"]


# Sessions.

def test_it_accepts_the_session_of_a_user_who_confirmed_the_second_factor(client_for, people):
    response = client_for(people["coordinator"]).get("/api/v1/me")

    assert response.status_code == 200
    assert [r["role"] for r in response.json()["roles"]] == ["coordinator"]


def test_it_refuses_the_session_of_a_user_who_has_not_confirmed_the_second_factor(people, pending):
    client = Client()
    # Logged in with the password only: no second factor confirmed in this session.
    client.force_login(people["coordinator"], backend="django.contrib.auth.backends.ModelBackend")

    assert_error(client.get("/api/v1/me"), 401, "unauthenticated")
    # Public endpoints treat such a session as anonymous: no pending organisations of the coordinator's region.
    assert pending.pk not in [o["id"] for o in client.get("/api/v1/organizations").json()["items"]]
    assert_error(client.get(f"/api/v1/organizations/{pending.pk}"), 404, "not_found")


def test_a_session_needs_no_second_factor_for_roles_without_personal_data(people):
    client = Client()
    client.force_login(people["volunteer"], backend="django.contrib.auth.backends.ModelBackend")

    assert client.get("/api/v1/me").status_code == 200


def test_unsafe_methods_with_a_session_need_the_csrf_token(client_for, people):
    client = client_for(people["volunteer"])
    client.handler.enforce_csrf_checks = True  # as a browser, which django.test.Client does not check by default
    raw = new_token(people["volunteer"])
    token_id = ApiToken.objects.get(digest=ApiToken.hash(raw)).pk

    assert_error(post_json(client, "/api/v1/tokens", {"name": "Forged"}), 403, "csrf_failed")
    assert_error(client.delete(f"/api/v1/tokens/{token_id}"), 403, "csrf_failed")
    assert ApiToken.objects.filter(user=people["volunteer"], revoked_at__isnull=True).count() == 1

    secret = get_random_string(32)
    client.cookies["csrftoken"] = secret
    assert post_json(client, "/api/v1/tokens", {"name": "Real"}, HTTP_X_CSRFTOKEN=secret).status_code == 201
    assert client.delete(f"/api/v1/tokens/{token_id}", HTTP_X_CSRFTOKEN=secret).status_code == 204
    assert client.get("/api/v1/me").status_code == 200  # safe methods never needed it


def test_a_token_needs_no_csrf_token(people):
    client = Client(enforce_csrf_checks=True)

    response = post_json(client, "/api/v1/tokens", {"name": "CI"}, **bearer(new_token(people["volunteer"])))

    assert response.status_code == 201


def test_an_anonymous_unsafe_request_is_refused_as_unauthenticated(people):
    client = Client(enforce_csrf_checks=True)
    raw = new_token(people["volunteer"])
    token_revoke(actor=people["volunteer"], token=ApiToken.objects.get(digest=ApiToken.hash(raw)))

    assert_error(post_json(client, "/api/v1/organizations", registration()), 401, "unauthenticated")
    assert_error(post_json(client, "/api/v1/organizations", registration(), **bearer(raw)), 401, "unauthenticated")
    assert not Organization.objects.filter(bin=FREE_BINS[0]).exists()


# One error shape.

def test_it_answers_401_in_the_error_shape(client, db):
    error = assert_error(client.get("/api/v1/me"), 401, "unauthenticated")

    assert error["fields"] == []


@pytest.mark.parametrize("path", ["/api/v1/organizations/999999", "/api/v1/regions/000000000",
                                  "/api/v1/tasks/999999", "/api/v1/no-such-address", "/api/v1/regions/"])
def test_it_answers_404_in_the_error_shape(client, people, path):
    assert_error(client.get(path, **bearer(new_token(people["volunteer"]))), 404, "not_found")


def test_it_answers_409_for_a_bin_already_registered(client, people, org):
    raw = new_token(people["donor"])
    before = Organization.objects.count()

    response = post_json(client, "/api/v1/organizations", registration(bin=org.bin), **bearer(raw))

    error = assert_error(response, 409, "duplicate")
    assert [f["field"] for f in error["fields"]] == ["bin"]
    assert Organization.objects.count() == before


@pytest.mark.parametrize(("bin", "reason"), [
    ("12345", "length"),
    ("18034000001X", "digits"),
    ("180340000016", "checksum"),
    ("181340000018", "month"),
    ("180330000010", "entity_type"),
])
def test_it_refuses_an_invalid_bin_with_the_reason_and_changes_nothing(client, people, bin, reason):
    raw = new_token(people["donor"])
    counts = (Organization.objects.count(), AuditLog.objects.count(), people["donor"].role_assignments.count())

    response = post_json(client, "/api/v1/organizations", registration(bin=bin), HTTP_ACCEPT_LANGUAGE="en",
                         **bearer(raw))

    error = assert_error(response, 422)
    assert error["code"] == f"bin_{reason}"
    assert error["fields"] == [{"field": "bin", "message": str(BIN_MESSAGES[reason])}]
    assert (Organization.objects.count(), AuditLog.objects.count(), people["donor"].role_assignments.count()) == counts


def test_it_names_every_missing_field(client, people):
    response = post_json(client, "/api/v1/organizations", {}, **bearer(new_token(people["donor"])))

    error = assert_error(response, 422, "invalid")
    assert {f["field"] for f in error["fields"]} == {"name", "kind", "bin", "region_kato"}


def test_it_refuses_an_unknown_region_or_kind(client, people):
    raw = new_token(people["donor"])

    unknown_region = post_json(client, "/api/v1/organizations", registration(region_kato="999999999"), **bearer(raw))
    unknown_kind = post_json(client, "/api/v1/organizations", registration(kind="club"), **bearer(raw))

    assert [f["field"] for f in assert_error(unknown_region, 422)["fields"]] == ["region_kato"]
    assert [f["field"] for f in assert_error(unknown_kind, 422)["fields"]] == ["kind"]
    assert not Organization.objects.filter(bin=FREE_BINS[0]).exists()


def test_it_refuses_text_no_database_can_store(client, people):
    # PostgreSQL refuses NUL characters; this used to reach it and end in a server error.
    response = post_json(client, "/api/v1/organizations", registration(name="Fund\x00"),
                         **bearer(new_token(people["donor"])))

    assert [f["field"] for f in assert_error(response, 422, "invalid")["fields"]] == ["name"]
    assert_error(Client().get("/api/v1/organizations", {"q": "a\x00"}), 422, "invalid")


def test_it_refuses_a_body_that_is_not_json(client, people):
    response = client.post("/api/v1/tokens", "{not json", content_type="application/json",
                           **bearer(new_token(people["donor"])))

    assert_error(response, 400, "bad_request")


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_error_messages_follow_accept_language(client, people, lang):
    response = post_json(client, "/api/v1/organizations", registration(bin="12345"), HTTP_ACCEPT_LANGUAGE=lang,
                         **bearer(new_token(people["donor"])))

    error = assert_error(response, 422, "bin_length")
    assert response["Content-Language"] == lang
    with translation.override(lang):
        assert error["fields"][0]["message"] == str(BIN_MESSAGES["length"])
    message = error["fields"][0]["message"]
    assert message[0].isupper() and message.endswith(".") and len(message.split()) >= 5  # a whole sentence


# Pagination and filters.

def test_it_lists_the_20_regions_in_pages(client, db):
    everything = client.get("/api/v1/regions").json()

    assert everything["count"] == 20 and len(everything["items"]) == 20
    codes = [r["kato_code"] for r in everything["items"]]
    assert codes == sorted(codes) and ALMATY in codes and ASTANA in codes
    assert set(everything["items"][0]) == {"id", "kato_code", "iso_code", "name_kk", "name_ru", "name_en",
                                           "admin_centre_en"}
    page = client.get("/api/v1/regions", {"limit": 5, "offset": 15}).json()
    assert page["count"] == 20 and page["items"] == everything["items"][15:20]
    assert client.get("/api/v1/regions", {"offset": 40}).json() == {"items": [], "count": 20}


@pytest.mark.parametrize(("query", "field"), [({"limit": 0}, "limit"), ({"limit": 501}, "limit"),
                                              ({"offset": -1}, "offset"), ({"offset": 10**28}, "offset"),
                                              ({"limit": "ten"}, "limit")])
def test_it_refuses_a_page_out_of_range(client, db, query, field):
    error = assert_error(client.get("/api/v1/regions", query), 422, "invalid")

    assert [f["field"] for f in error["fields"]] == [field]


def test_it_filters_organisations_by_region_kind_and_text(client, founder, org, regions,
                                                          django_assert_num_queries):
    register(founder, regions[ASTANA], name="Astana Volunteers", kind="volunteer_group", bin=FREE_BINS[1],
             verified=True)
    register(founder, regions[ALMATY], name="Almaty Food Bank", kind="charity_fund", bin=FREE_BINS[2], verified=True)

    def names(**query):
        return [o["name"] for o in client.get("/api/v1/organizations", query).json()["items"]]

    assert set(names()) == {"Almaty Food Bank", "Astana Volunteers", org.name}
    assert set(names(region_kato=ALMATY)) == {"Almaty Food Bank", org.name}
    assert names(kind="volunteer_group") == ["Astana Volunteers"]
    assert names(q="Food") == ["Almaty Food Bank"]
    assert names(q=org.bin[:4]) == [org.name]  # a BIN prefix
    assert names(region_kato=ALMATY, kind="ngo") == [org.name]
    assert names(region_kato="111111111") == []
    assert client.get("/api/v1/organizations", {"kind": "ngo"}).json()["count"] == 1
    assert names(limit=1, offset=1) == names()[1:2]
    with django_assert_num_queries(2):  # the count and one page, regions joined
        client.get("/api/v1/organizations")


def test_anonymous_clients_see_only_verified_organisations(client, org, pending):
    listed = client.get("/api/v1/organizations").json()

    assert [o["id"] for o in listed["items"]] == [org.pk] and listed["count"] == 1
    assert client.get("/api/v1/organizations", {"status": "pending"}).json() == {"items": [], "count": 0}
    assert_error(client.get(f"/api/v1/organizations/{pending.pk}"), 404, "not_found")


def test_a_coordinator_also_sees_the_pending_organisations_of_their_region(client, people, org, pending, founder,
                                                                           astana):
    elsewhere = register(founder, astana, name="Pending Astana Fund", bin=FREE_BINS[2])
    raw = new_token(people["coordinator"])  # coordinator of Almaty

    listed = client.get("/api/v1/organizations", **bearer(raw)).json()
    pending_only = client.get("/api/v1/organizations", {"status": "pending"}, **bearer(raw)).json()

    assert {o["id"] for o in listed["items"]} == {org.pk, pending.pk}
    assert [o["id"] for o in pending_only["items"]] == [pending.pk]
    assert client.get(f"/api/v1/organizations/{pending.pk}", **bearer(raw)).json()["status"] == "pending"
    assert_error(client.get(f"/api/v1/organizations/{elsewhere.pk}", **bearer(raw)), 404, "not_found")


def test_whoever_registers_an_organisation_administers_it_and_sees_it_pending(client, founder):
    raw = new_token(founder)

    response = post_json(client, "/api/v1/organizations", registration(), **bearer(raw))

    assert response.status_code == 201
    created = response.json()
    assert created["status"] == "pending" and created["bin"] == FREE_BINS[0]
    assert created["region"]["kato_code"] == ALMATY
    assert {"role": "org_admin", "organization_id": created["id"], "region_id": None} in (
        client.get("/api/v1/me", **bearer(raw)).json()["roles"])
    assert client.get(f"/api/v1/organizations/{created['id']}", **bearer(raw)).status_code == 200
    assert AuditLog.objects.filter(action="organization.register", object_id=str(created["id"])).exists()


# Permissions: verification and rejection.

def test_the_regions_coordinator_verifies_a_pending_organisation(client, people, pending):
    response = client.post(f"/api/v1/organizations/{pending.pk}/verify", **bearer(new_token(people["coordinator"])))

    assert response.status_code == 200
    assert response.json()["status"] == "verified" and response.json()["verified_at"]
    pending.refresh_from_db()
    assert pending.status == "verified" and pending.verified_by == people["coordinator"]
    assert AuditLog.objects.filter(action="organization.verify", actor=people["coordinator"]).count() == 1
    assert pending.pk in [o["id"] for o in Client().get("/api/v1/organizations").json()["items"]]


def test_verifying_twice_is_a_conflict(client, people, pending):
    raw = new_token(people["coordinator"])
    client.post(f"/api/v1/organizations/{pending.pk}/verify", **bearer(raw))

    assert_error(client.post(f"/api/v1/organizations/{pending.pk}/verify", **bearer(raw)), 409, "conflict")


def test_a_coordinator_of_another_region_may_not_verify_or_reject(client, org, pending, astana_coordinator):
    raw = new_token(astana_coordinator)

    # A verified organisation is visible to everyone, so the refusal is a 403 ...
    assert_error(client.post(f"/api/v1/organizations/{org.pk}/verify", **bearer(raw)), 403, "forbidden")
    rejected = post_json(client, f"/api/v1/organizations/{org.pk}/reject", {"reason": "Looks fake."}, **bearer(raw))
    assert_error(rejected, 403, "forbidden")
    # ... while another region's pending organisation is not visible at all, as for GET (no existence leak).
    assert_error(client.post(f"/api/v1/organizations/{pending.pk}/verify", **bearer(raw)), 404, "not_found")
    org.refresh_from_db()
    pending.refresh_from_db()
    assert (org.status, pending.status) == ("verified", "pending")
    assert not AuditLog.objects.filter(action__in=["organization.verify", "organization.reject"]).exists()


def test_an_organisation_admin_may_not_verify_their_own_organisation(client, people):
    coordinator = people["coordinator"]  # even a coordinator of the region, once a member
    raw = new_token(coordinator)
    own = post_json(client, "/api/v1/organizations", registration(), **bearer(raw)).json()

    response = client.post(f"/api/v1/organizations/{own['id']}/verify", **bearer(raw))

    assert_error(response, 403, "forbidden")
    assert Organization.objects.get(pk=own["id"]).status == "pending"


def test_a_plain_organisation_admin_may_not_verify_it_either(client, founder, pending):
    assert_error(client.post(f"/api/v1/organizations/{pending.pk}/verify", **bearer(new_token(founder))), 403,
                 "forbidden")


def test_a_rejection_needs_a_reason(client, people, pending):
    raw = new_token(people["coordinator"])
    path = f"/api/v1/organizations/{pending.pk}/reject"

    missing = assert_error(post_json(client, path, {}, **bearer(raw)), 422, "invalid")
    blank = assert_error(post_json(client, path, {"reason": "   "}, **bearer(raw)), 422, "invalid")
    pending.refresh_from_db()
    assert [f["field"] for f in missing["fields"]] == ["reason"] == [f["field"] for f in blank["fields"]]
    assert pending.status == "pending"

    response = post_json(client, path, {"reason": "The BIN belongs to another organisation."}, **bearer(raw))

    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert response.json()["rejection_reason"] == "The BIN belongs to another organisation."


def test_anonymous_clients_may_not_verify(client, pending):
    assert_error(client.post(f"/api/v1/organizations/{pending.pk}/verify"), 401, "unauthenticated")


def test_a_wrong_method_gets_the_json_error_shape(client, db):
    response = client.put("/api/v1/regions", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 405
    body = response.json()
    assert body["error"]["code"] == "method_not_allowed" and "GET" in body["error"]["message"]


def test_an_expiry_with_any_valid_utc_offset_is_stored(client, people):
    from qamqor.accounts.models import ApiToken
    from qamqor.accounts.services import token_create

    _token, raw = token_create(user=people["donor"], name="first")
    response = client.post("/api/v1/tokens", {"name": "offset", "expires_at": "2031-03-24T19:20:36+16:32"},
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 201
    assert ApiToken.objects.get(name="offset").expires_at.isoformat().startswith("2031-03-24T02:48:36")
