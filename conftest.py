"""Shared test set-up: named users for every role, clients logged in (with the second factor confirmed)."""

import os

import pytest

from qamqor.accounts.models import Role

# Playwright's sync API runs an event loop in the test thread; Django's ORM guard would refuse the live server's
# database access from that thread without this (test-only).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "correct-horse-battery-9"


@pytest.fixture(autouse=True)
def _fast_settings(settings):
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}


def reload_reference_data():
    """The data migrations load (regions, holidays, disability categories, subsistence minimum, registry categories,
    the item catalogue). A transactional test empties every table when it ends, so a later transactional test finds
    none of it: load it again, as the migrations did."""
    import importlib

    from django.apps import apps

    for module in ("qamqor.core.migrations.0002_load_reference_data",
                   "qamqor.core.migrations.0004_load_disability_and_subsistence",
                   "qamqor.registry.migrations.0002_categories_and_search_index",
                   "qamqor.aid.migrations.0003_catalogue"):
        importlib.import_module(module).load(apps, None)


@pytest.fixture
def regions(db):
    from qamqor.core.models import Region

    if not Region.objects.exists():
        reload_reference_data()
    return {r.kato_code: r for r in Region.objects.all()}


@pytest.fixture
def almaty(regions):
    return regions["750000000"]


@pytest.fixture
def astana(regions):
    return regions["710000000"]


@pytest.fixture
def make_user(db):
    from qamqor.accounts.models import RoleAssignment, User

    def make(email, role=None, *, organization=None, region=None, name=None, two_factor=True):
        user = User.objects.create_user(email=email, password=PASSWORD, full_name=name or email.split("@")[0].title(),
                                        is_superuser=role == Role.PLATFORM_ADMIN, is_staff=role == Role.PLATFORM_ADMIN)
        if role is not None:
            RoleAssignment.objects.create(user=user, role=role, organization=organization, region=region)
        if two_factor and user.needs_two_factor:
            from django_otp.plugins.otp_totp.models import TOTPDevice

            TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        return user

    return make


@pytest.fixture
def org(db, almaty):
    from qamqor.organizations.models import Organization

    return Organization.objects.create(name="«Мейірім» қоғамдық қоры", kind="ngo", bin="180340000015",
                                       region=almaty, status="verified")


@pytest.fixture
def people(make_user, org, almaty):
    """One named user for every role (the organisation roles in `org`, the coordinator in Almaty)."""
    return {
        "platform_admin": make_user("admin@test.kz", Role.PLATFORM_ADMIN),
        "coordinator": make_user("coordinator@test.kz", Role.COORDINATOR, region=almaty),
        "org_admin": make_user("orgadmin@test.kz", Role.ORG_ADMIN, organization=org),
        "org_staff": make_user("staff@test.kz", Role.ORG_STAFF, organization=org),
        "dispatcher": make_user("dispatcher@test.kz", Role.DISPATCHER, organization=org),
        "driver": make_user("driver@test.kz", Role.DRIVER, organization=org),
        "volunteer": make_user("volunteer@test.kz", Role.VOLUNTEER),
        "donor": make_user("donor@test.kz", Role.DONOR),
        "beneficiary": make_user("beneficiary@test.kz", Role.BENEFICIARY),
        "jury": make_user("jury@test.kz", Role.JURY),
    }


@pytest.fixture
def transactional_reference(transactional_db):
    """Reference rows reloaded: a transactional test's flush empties the tables the data migrations filled."""
    from qamqor.core.models import DisabilityCategory, Region
    from qamqor.core.reference import load_disability_categories, load_regions
    from qamqor.social_services.models import EligibilityRule, ServiceType
    from qamqor.social_services.reference import load_service_types

    load_regions(Region)
    load_disability_categories(DisabilityCategory)
    load_service_types(ServiceType, EligibilityRule)


def run_at_once(callables):
    """Start the callables in threads (each with its own database connection) at the same moment; each one's result
    or exception, in order. The PostgreSQL race tests use it (`from conftest import run_at_once`)."""
    import threading

    from django.db import connections

    barrier = threading.Barrier(len(callables))
    results = [None] * len(callables)

    def worker(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, fn)) for i, fn in enumerate(callables)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def login_verified(client, user):
    """Log a test client in with the second factor already confirmed (as after a TOTP code)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def client_for(db):
    from django.test import Client

    def make(user):
        return login_verified(Client(), user) if user is not None else Client()

    return make


def pytest_collection_modifyitems(config, items):
    """Tests marked postgres need PostgreSQL: without DATABASE_URL they are skipped with how to run them.

    `make test` runs them in its PostgreSQL pass (and deselects them from the SQLite one), so CI skips nothing.
    """
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test pytest ...")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session (Debian's, see tests/browser/conftest.py), for every browser test
    wherever it lives: a second Playwright in the same process would find the first one's event loop running."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
