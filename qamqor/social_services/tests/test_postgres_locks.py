"""On PostgreSQL: a write locks only the rows it must, so that dispatchers and people working on different bookings
do not wait for one another. Each test keeps one service's transaction open in a thread (as a slow request would)
and makes a second, independent write with a lock timeout: it must go through, not wait for the first."""

import contextlib
import threading

import pytest
from django.db import connection, connections, transaction

from qamqor.accounts.models import Role
from qamqor.social_services import services
from qamqor.social_services.models import Booking

pytestmark = pytest.mark.postgres



@contextlib.contextmanager
def held_open(write):
    """Run `write` in a thread inside a transaction that stays open (its locks held) until the block ends."""
    held, release, failure = threading.Event(), threading.Event(), []

    def worker():
        try:
            with transaction.atomic():
                write()
                held.set()
                release.wait(30)
        except Exception as exc:  # noqa: BLE001 - reported below, in the test's thread
            failure.append(exc)
        finally:
            held.set()
            connections.close_all()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert held.wait(30) and not failure, failure
        yield
    finally:
        release.set()
        thread.join(30)
    assert not failure, failure


def within_two_seconds(write):
    """`write` in its own transaction, refused by PostgreSQL if it has to wait for a lock longer than 2 s."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '2s'")
        return write()


@pytest.fixture
def setting(transactional_reference, people, org, make_person, make_contract, make_staff, make_user):
    from qamqor.social_services.models import ServiceType

    sign = ServiceType.objects.get(code="sign_language_specialist")
    make_contract(sign, volume=1000)
    interpreters = [make_staff(make_user(f"interpreter{n}@test.kz", Role.ORG_STAFF, organization=org,
                                                         name=f"Аудармашы {n}"),
                               "interpreter") for n in (1, 2)]
    persons = [make_person("group_2", deaf_sign_language=True) for _ in range(3)]
    return sign, interpreters, persons


@pytest.mark.django_db(transaction=True)
def test_assigning_different_interpreters_to_different_people_does_not_wait(setting, people, tomorrow, at):
    sign, (first, second), persons = setting
    a, b = (services.booking_create(actor=people["org_staff"], person=p, service_type=sign, starts_at=at(tomorrow, 10))
            for p in persons[:2])
    # The same region, the same provider, the same time: only the booking and the interpreter are different.
    with held_open(lambda: services.booking_assign(actor=people["dispatcher"], booking=b, staff=second)):
        within_two_seconds(lambda: services.booking_assign(actor=people["org_admin"], booking=a, staff=first))
        assert Booking.objects.get(pk=a.pk).staff_id == first.pk
    assert Booking.objects.get(pk=b.pk).staff_id == second.pk


@pytest.mark.django_db(transaction=True)
def test_a_cancellation_in_progress_does_not_hold_up_new_bookings_of_the_service(setting, people, tomorrow, at):
    sign, (first, second), persons = setting
    booked = services.booking_create(actor=people["org_staff"], person=persons[0], service_type=sign,
                                     starts_at=at(tomorrow, 10), staff=first)
    with held_open(lambda: services.booking_cancel(actor=people["org_staff"], booking=booked, reason="ill")):
        new = within_two_seconds(lambda: services.booking_create(
            actor=people["org_staff"], person=persons[1], service_type=sign, starts_at=at(tomorrow, 12),
            staff=second))
        assert new.status == Booking.Status.ASSIGNED
    assert Booking.objects.get(pk=booked.pk).status == Booking.Status.CANCELLED


@pytest.mark.django_db(transaction=True)
def test_two_bookings_of_one_interpreter_still_wait_for_each_other(setting, people, tomorrow, at):
    """The guard the tests above must not loosen: the interpreter's row is locked while their time is given."""
    from django.db import OperationalError

    sign, (first, _second), persons = setting
    waiting = services.booking_create(actor=people["org_staff"], person=persons[1], service_type=sign,
                                      starts_at=at(tomorrow, 13))
    with held_open(lambda: services.booking_create(actor=people["org_staff"], person=persons[0], service_type=sign,
                                                   starts_at=at(tomorrow, 10), staff=first)):
        with pytest.raises(OperationalError, match="lock timeout"):
            within_two_seconds(lambda: services.booking_assign(actor=people["dispatcher"], booking=waiting,
                                                               staff=first))
    assert Booking.objects.get(pk=waiting.pk).staff_id is None
    services.booking_assign(actor=people["dispatcher"], booking=waiting, staff=first)
    assert Booking.objects.filter(staff=first).count() == 2
