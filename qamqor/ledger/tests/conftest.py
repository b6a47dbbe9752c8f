"""Small objects the ledger's tests share: campaigns, a warehouse, items, a donor's offer."""

import datetime as dt
from decimal import Decimal

import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """The shared `people` fixture makes ten users; a fast hasher keeps these tests quick (no log-in by password
    happens here: clients are logged in with force_login)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english():
    """The tests read the English messages; the site's default language is Kazakh."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def client_for(client_for):
    """The shared fixture, with clients that ask for English pages."""

    def make(user):
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


@pytest.fixture
def transactional_regions(transactional_db):
    """The regions reloaded: a transactional test's flush empties the table the data migration filled."""
    from qamqor.core.models import Region
    from qamqor.core.reference import load_regions

    load_regions(Region)


@pytest.fixture
def make_campaign(org):
    from qamqor.aid.models import Campaign

    def make(title, slug, organizer=None):
        return Campaign.objects.create(title=title, slug=slug, organizer=organizer or org, status="open",
                                       starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31))

    return make


@pytest.fixture
def campaign(make_campaign):
    return make_campaign("Құрбан айт 2026: әжелер мен қарттарға ет", "kurban-ait-2026")


@pytest.fixture
def other_campaign(make_campaign):
    return make_campaign("Мектепке жол 2026", "school-2026")


@pytest.fixture
def warehouse(org, almaty):
    from qamqor.aid.models import Warehouse

    return Warehouse.objects.create(organization=org, name="Негізгі қойма", region=almaty)


@pytest.fixture
def food(db):
    from qamqor.aid.models import Item

    return Item.objects.create(code="test-food-package", name_kk="Азық-түлік себеті", name_ru="Продуктовый набор",
                               name_en="Food package", kind="goods", help_kind="food", unit="package")


@pytest.fixture
def wheelchair(db):
    from qamqor.aid.models import Item

    return Item.objects.create(code="test-wheelchair", name_kk="Мүгедектер арбасы", name_ru="Кресло-коляска",
                               name_en="Wheelchair", kind="goods", help_kind="mobility", unit="piece")


@pytest.fixture
def offer(people, org, campaign):
    """A donor's gift of money to the organisation, for the campaign."""
    from qamqor.aid.models import Offer

    return Offer.objects.create(kind="money", donor_user=people["donor"], recipient=org, campaign=campaign,
                                amount_kzt=Decimal("150000.00"), status="received")
