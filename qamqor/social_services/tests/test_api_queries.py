"""What a booking request costs the server, pinned: booking and assigning through the API read what the answer needs
once, and the notices go out after the commit through the task queue, not inside the request (decision 0008,
"Bookings under load")."""

import datetime as dt

import pytest
from django.core import mail

from qamqor.core.models import AccessLog
from qamqor.social_services import services
from qamqor.social_services.models import Booking

from .test_api import SIGN, Api, iso

pytestmark = pytest.mark.django_db


@pytest.fixture
def me(beneficiary):
    api = Api(beneficiary)
    api.get("/bookings")  # the token's first use writes its last_used_at: not part of what is counted
    return api


@pytest.fixture
def dispatcher(people):
    api = Api(people["dispatcher"])
    api.get("/bookings")
    return api


def test_a_person_books_in_a_fixed_number_of_queries(me, deaf_person, types, make_contract, interpreter, tomorrow,
                                                     at, django_assert_num_queries):
    make_contract(types[SIGN])
    # The token; the person with region and disability; the service; the savepoint; the person's lock; the rules
    # with their regions; the quota's sums; the contracts' lock; their consumption; the booking; its audit row;
    # the release. Nothing is read again for the answer.
    with django_assert_num_queries(12):
        answer = me.post("/bookings", {"person_id": deaf_person.pk, "service_type": SIGN,
                                       "starts_at": iso(at(tomorrow, 10))})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["status"] == "requested" and body["person_name"] == deaf_person.full_name
    assert body["provider"]["name"] and body["units"] == "1.00" and body["warnings"] == []
    assert body["starts_at"] == me.get(f"/bookings/{body['id']}").json()["starts_at"]


def test_a_representative_books_and_the_person_is_logged_once(people, deaf_person, types, make_contract, make_user,
                                                              tomorrow, at, django_assert_num_queries):
    make_contract(types[SIGN])
    daughter = make_user("daughter@test.kz")
    services.representative_add(actor=people["org_staff"], person=deaf_person, user=daughter,
                                consent_reference="Сенімхат № 12, 01.03.2026")
    api = Api(daughter)
    api.get("/bookings")
    # As the person's own booking, with the roles and the representation read once each (may they book for the
    # person, do they see the code) and the access-log row.
    with django_assert_num_queries(15):
        answer = api.post("/bookings", {"person_id": deaf_person.pk, "service_type": SIGN,
                                        "starts_at": iso(at(tomorrow, 10))})
    assert answer.status_code == 201, answer.content
    logged = AccessLog.objects.filter(actor=daughter, subject_id=str(deaf_person.pk), purpose="book a service")
    assert logged.count() == 1


def test_the_provider_assigns_in_a_fixed_number_of_queries(dispatcher, beneficiary, deaf_person, types,
                                                           make_contract, interpreter, people, tomorrow, at,
                                                           django_assert_num_queries):
    make_contract(types[SIGN])
    booking = services.booking_create(actor=beneficiary, person=deaf_person, service_type=types[SIGN],
                                      starts_at=at(tomorrow, 10))
    # The token; the roles; the represented persons; the booking; its access-log row; the staff member; the
    # savepoint; the booking's lock; the staff member's lock; their hours and bookings at that time; the guarded
    # update (savepoint, update, release); the audit row; the release.
    with django_assert_num_queries(15):
        answer = dispatcher.post(f"/bookings/{booking.pk}/assign", {"staff_id": interpreter.pk})
    assert answer.status_code == 200, answer.content
    assert answer.json()["staff"] == {"id": interpreter.pk, "name": interpreter.user.full_name}
    assert answer.json()["status"] == "assigned" and answer.json()["code"] is None
    assert AccessLog.objects.filter(actor=people["dispatcher"], purpose="assign a booking").count() == 1


def test_the_notice_goes_after_the_commit_not_inside_the_request(dispatcher, beneficiary, deaf_person, types,
                                                                 make_contract, interpreter, tomorrow, at,
                                                                 django_capture_on_commit_callbacks):
    make_contract(types[SIGN])
    beneficiary.language = "en"
    beneficiary.save(update_fields=["language"])
    booking = services.booking_create(actor=beneficiary, person=deaf_person, service_type=types[SIGN],
                                      starts_at=at(tomorrow, 10))
    with django_capture_on_commit_callbacks() as queued:
        assert dispatcher.post(f"/bookings/{booking.pk}/assign", {"staff_id": interpreter.pk}).status_code == 200
    assert mail.outbox == [] and len(queued) == 1
    queued[0]()  # the commit: the task is queued (the immediate backend of the tests runs it now)
    [notice] = mail.outbox
    assert notice.to == [beneficiary.email] and "Booking confirmed" in notice.subject
    assert interpreter.user.full_name in notice.body


def test_a_confirmation_overtaken_by_a_cancellation_is_not_sent(beneficiary, deaf_person, types, make_contract,
                                                                interpreter, people, tomorrow, at,
                                                                django_capture_on_commit_callbacks):
    make_contract(types[SIGN])
    beneficiary.language = "en"
    beneficiary.save(update_fields=["language"])
    booking = services.booking_create(actor=beneficiary, person=deaf_person, service_type=types[SIGN],
                                      starts_at=at(tomorrow + dt.timedelta(days=2), 10))
    with django_capture_on_commit_callbacks() as assigned:
        services.booking_assign(actor=people["dispatcher"], booking=booking, staff=interpreter)
    with django_capture_on_commit_callbacks() as cancelled:
        services.booking_cancel(actor=beneficiary, booking=booking)
    for callback in assigned + cancelled:  # the worker reaches the queue after both changes
        callback()
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CANCELLED
    assert [m.subject.split(":")[0] for m in mail.outbox] == ["Booking cancelled"]
