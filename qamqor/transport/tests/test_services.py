"""The transport app's write layer: fleet and shifts with their validation, ride requests through the
social-services booking (eligibility, quota, contract; return trips; repeated rides booked whole or not at all),
cancellation, and the marks from the road with their social-services effects."""

import datetime as dt

import pytest
from django.utils import timezone

from qamqor.core.errors import PermissionDenied, ServiceError
from qamqor.core.models import AuditLog
from qamqor.social_services.models import Booking, DeliveryRecord
from qamqor.transport import selectors, services
from qamqor.transport.models import PlannedStop, RideRequest, Shift, Vehicle

from .factories import *  # noqa: F401,F403

pytestmark = pytest.mark.django_db


def test_smoke(shifts, make_ride, people, tomorrow):
    rides = [make_ride(hour=h) for h in (8, 9, 10)]
    run = services.plan_start(actor=people["dispatcher"], provider=rides[0].provider, day=tomorrow, time_limit=1)
    version = services.plan_run(run.pk)
    assert version.number == 1
    board = selectors.day_board(provider=rides[0].provider, day=tomorrow)
    assert board["stats"]["served"] == 3
