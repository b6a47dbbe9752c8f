"""A booking's statuses are words of their own for translators: "Delivered" of a service (көрсетілді, оказана) is not
"Delivered" of goods or aid (жеткізілді, доставлено), so the booking's labels carry the "booking" context."""

import pytest
from django.utils import translation
from django.utils.translation import gettext

from qamqor.social_services.models import Booking


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_a_bookings_statuses_are_translated_apart_from_the_same_english_words_elsewhere(lang):
    with translation.override(lang):
        # The context-free "Delivered" is translated for goods and aid: a booking's label must not borrow it.
        assert gettext("Delivered") != "Delivered"
        assert str(Booking.Status.DELIVERED.label) != gettext("Delivered")
