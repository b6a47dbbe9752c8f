"""Outcomes of an event are counted from its handed distributions, never typed in."""

from decimal import Decimal

import pytest

from qamqor.events import selectors


@pytest.fixture
def held_event(make_event, make_item, make_person, give):
    """A held event with hand-countable help: 3 persons in 2 households, one hospital twice, and rows that must
    not count (planned, cancelled, another event, no event)."""
    event = make_event(days=-2, status="held")
    other = make_event(days=-3, status="held")
    food = make_item("food-package", unit="package", value="15000.00")
    meat = make_item("meat", unit="kg", value="3500.50")
    mother = make_person("Кусаинова", "Ляззат")
    son = make_person("Кусаинов", "Әли", household=mother.household)
    neighbour = make_person("Ахметов", "Серік")
    give(food, 1, person=mother, event=event)
    give(meat, 3, person=mother, event=event)
    give(food, 1, person=son, event=event)
    give(meat, 2, person=neighbour, event=event, value="7001.00")
    give(food, 10, institution="Қалалық аурухана №4", event=event)
    give(meat, 20, institution="Қалалық аурухана №4", event=event)
    give(food, 5, person=neighbour, event=event, status="planned")
    give(food, 7, person=neighbour, event=event, status="cancelled")
    give(food, 9, person=neighbour, event=other)
    give(food, 4, person=neighbour)
    return event, other, food, meat


def test_it_counts_what_was_handed_at_the_event_and_nothing_else(held_event):
    event, _other, food, meat = held_event
    outcome = selectors.event_outcome(event)
    # Persons: mother, son, neighbour; the hospital once though it received twice.
    assert outcome.people == 4
    assert outcome.households == 2
    # Food: 1 + 1 + 10 packages; meat: 3 + 2 + 20 kg. Value by hand: 12 × 15000 + (3 + 20) × 3500.50 + 7001.
    assert outcome.value_kzt == Decimal("180000.00") + Decimal("80511.50") + Decimal("7001.00")
    assert isinstance(outcome.value_kzt, Decimal)
    lines = {line.code: (line.quantity, line.unit, line.value_kzt) for line in outcome.goods}
    assert lines == {"t-food-package": (12, "package", Decimal("180000.00")),
                     "t-meat": (25, "kg", Decimal("80511.50") + Decimal("7001.00"))}


def test_an_institution_counts_once_and_planned_or_cancelled_help_not_at_all(make_event, make_item, give):
    event = make_event(days=-1, status="held")
    food = make_item("food-package")
    for _ in range(3):
        give(food, 2, institution="Қарттар үйі", event=event)
    give(food, 2, institution="Мектеп-интернат №2", event=event, status="planned")
    give(food, 2, institution="Балалар үйі", event=event, status="cancelled")
    outcome = selectors.event_outcome(event)
    assert (outcome.people, outcome.households, outcome.value_kzt) == (1, 0, Decimal("90000.00"))


def test_an_event_without_help_has_empty_outcomes(make_event):
    outcome = selectors.event_outcome(make_event(days=-1, status="held"))
    assert (outcome.people, outcome.households, outcome.value_kzt, outcome.goods) == (0, 0, Decimal("0.00"), [])


def test_outcomes_of_many_events_take_two_queries(held_event, make_event, make_item, give, make_person,
                                                  django_assert_num_queries):
    event, other, food, _meat = held_event
    more = [make_event(days=-5 - n, status="held") for n in range(5)]
    for n, extra in enumerate(more):
        give(food, n + 1, person=make_person("Сейітов", f"Бала{n}"), event=extra)
    ids = [event.pk, other.pk] + [e.pk for e in more]
    with django_assert_num_queries(2):
        outcomes = selectors.event_outcomes(ids)
    assert [outcomes[e.pk].people for e in more] == [1, 1, 1, 1, 1]
    assert outcomes[other.pk].people == 1 and outcomes[event.pk].people == 4


def test_the_event_page_shows_the_outcomes_once_held(client, held_event, make_event):
    event, *_ = held_event
    html = client.get(f"/events/{event.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "People helped" in html and "<dd>4</dd>" in html and "<dd>2</dd>" in html
    assert "267,512.50\u00a0₸" in html
    # Nobody helped is named on the public page.
    for name in ("Кусаинова", "Ахметов", "Қалалық аурухана"):
        assert name not in html
    planned = make_event(days=5)
    assert "People helped" not in client.get(f"/events/{planned.pk}/").content.decode()


def test_the_api_gives_the_outcomes_as_decimal_strings(client, held_event):
    event, *_ = held_event
    body = client.get(f"/api/v1/events/{event.pk}").json()
    assert body["outcomes"]["people_helped"] == 4
    assert body["outcomes"]["households_reached"] == 2
    assert body["outcomes"]["value_kzt"] == "267512.50"
    assert {g["item"]: g["quantity"] for g in body["outcomes"]["goods"]} == {"t-food-package": 12, "t-meat": 25}
