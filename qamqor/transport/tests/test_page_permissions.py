"""Every InvaTaxi page and action × the people around one provider's day → the status each must get.

One test per role checks every row on the same world (page_data.py): the provider's dispatcher, another provider's
dispatcher, the driver of the provider's shift, another provider's driver, the passenger, another beneficiary and
an anonymous visitor. Each request is rolled back, so every row meets the same rides, shifts and plan."""

import pytest
from django.db import transaction

from .page_data import as_user, world  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "dispatcher", "other_dispatcher", "driver", "other_driver", "passenger", "other_beneficiary"]
DISPATCHER_ONLY = {"anonymous": 302, "dispatcher": 200, "other_dispatcher": 404}
SIGNED_IN = {r: 200 for r in ROLES if r != "anonymous"}


def row(method, path, default, data=None, **by_role):
    return (method, path, data or {}, {role: by_role.get(role, default) for role in ROLES})


MATRIX = [
    row("GET", "/transport/", 200, anonymous=302),
    # The dispatcher's pages: their own provider only (another provider's id is not found; no provider at all is 403).
    row("GET", "/transport/board/?org={org}&day={day}", 403, **DISPATCHER_ONLY),
    row("GET", "/transport/board/?org={org2}&day={day}", 403, anonymous=302, dispatcher=404, other_dispatcher=200),
    row("GET", "/transport/board/progress/?org={org}&day={day}", 403, **DISPATCHER_ONLY),
    row("GET", "/transport/board/request/?org={org}&day={day}&q={iin}", 403, **DISPATCHER_ONLY),
    row("GET", "/transport/board/request/?org={org}&day={day}&person={person}", 403, **DISPATCHER_ONLY),
    row("GET", "/transport/fleet/?org={org}&day={day}", 403, **DISPATCHER_ONLY),
    row("GET", "/transport/fleet/depots/new/?org={org}", 403, **DISPATCHER_ONLY),
    row("GET", "/transport/fleet/vehicles/new/?org={org}", 403, **DISPATCHER_ONLY),
    row("GET", "/transport/fleet/shifts/new/?org={org}&day={day}", 403, **DISPATCHER_ONLY),
    row("POST", "/transport/board/plan/", 403, {"org": "{org}", "day": "{day}", "time_limit": "10"},
        anonymous=302, dispatcher=302, other_dispatcher=404),
    # Actions on a ride: found only by those who may see it; the passenger sees theirs but may not dispatch it.
    row("POST", "/transport/rides/{waiting}/assign/", 404, {"shift": "{shift}"}, anonymous=302, dispatcher=302,
        passenger=403),
    row("POST", "/transport/rides/{planned}/unassign/", 404, anonymous=302, dispatcher=302, passenger=403),
    row("POST", "/transport/rides/{planned}/release/", 404, anonymous=302, dispatcher=302, passenger=403),
    row("POST", "/transport/rides/{waiting}/cancel/", 404, anonymous=302, dispatcher=302, passenger=302),
    # Marking a stop: the driver of the shift it is planned on, and the dispatchers.
    row("POST", "/transport/rides/{planned}/mark/", 404, {"event": "picked_up", "next": "/transport/"},
        anonymous=302, dispatcher=302, driver=302),
    # Fleet actions.
    row("POST", "/transport/vehicles/{vehicle}/active/", 404, {"active": "0"}, anonymous=302, dispatcher=302),
    row("POST", "/transport/shifts/{shift}/cancel/", 404, anonymous=302, dispatcher=302),
    # The manifest: the shift's driver and the provider's dispatchers.
    row("GET", "/transport/shifts/{shift}/manifest/", 404, anonymous=302, dispatcher=200, driver=200),
    row("GET", "/transport/shifts/{shift}/manifest.pdf", 404, anonymous=302, dispatcher=200, driver=200),
    row("GET", "/transport/shifts/{shift2}/manifest/", 404, anonymous=302, other_dispatcher=200, other_driver=200),
    # The passenger's pages: booking needs a registry record of one's own (or someone represented).
    row("GET", "/transport/book/", 403, anonymous=302, passenger=200, other_beneficiary=200),
    row("GET", "/transport/rides/", 200, anonymous=302),
]


@pytest.fixture
def tasks_queued_only(settings):
    """Planning is queued, not run: the permission of starting it is what these rows check."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_its_pages_and_actions(as_user, world, tasks_queued_only, role):  # noqa: F811
    ids = world.ids()
    client = as_user(None if role == "anonymous" else role)
    wrong = []
    for method, path, data, expected in MATRIX:
        url = path.format_map(ids)
        body = {key: value.format_map(ids) for key, value in data.items()}
        with transaction.atomic():
            response = client.get(url) if method == "GET" else client.post(url, body)
            transaction.set_rollback(True)
        if response.status_code != expected[role]:
            wrong.append(f"{method} {url}: {response.status_code}, expected {expected[role]}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)
