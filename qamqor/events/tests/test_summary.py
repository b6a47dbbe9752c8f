"""Period summaries from data: events of the period counted, others not; per region and per organisation."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from qamqor.events import selectors
from qamqor.events.selectors import Period


def at(y, m, d, h=10):
    return timezone.make_aware(dt.datetime(y, m, d, h))


@pytest.fixture
def q1_2019(make_event, make_item, make_person, give, org, almaty, astana):
    """Q1 2019: three events (two in Almaty by `org`, one in Astana by another fund) and outside it, events that
    must not count: 31.12.2018 23:30 and 01.04.2019 00:30 Almaty time, a cancelled one in Q1, and an unverified
    organiser's event."""
    from qamqor.organizations.models import Organization

    fund = Organization.objects.create(name="Astana Fund", kind="charity_fund", bin="190540000054", region=astana,
                                       status="verified")
    pending = Organization.objects.create(name="Pending", kind="ngo", bin="200240000018", region=almaty)
    food = make_item("food-package", value="10000.00")
    jan = make_event(starts_at=at(2019, 1, 15), status="held")
    mar = make_event(starts_at=at(2019, 3, 31, 20), status="held")
    feb = make_event(starts_at=at(2019, 2, 10), status="held", organizer=fund, region=astana)
    before = make_event(starts_at=at(2018, 12, 31, 23) + dt.timedelta(minutes=30), status="held")
    after = make_event(starts_at=at(2019, 4, 1, 0) + dt.timedelta(minutes=30), status="held")
    cancelled = make_event(starts_at=at(2019, 2, 1), status="cancelled")
    hidden = make_event(starts_at=at(2019, 2, 2), status="held", organizer=pending)
    a, b, c = (make_person("Сейітова", n) for n in ("Айгүл", "Бақыт", "Гүлнар"))
    give(food, 2, person=a, event=jan)
    give(food, 1, person=b, event=jan)
    give(food, 1, person=a, event=mar)  # a was helped twice: one person
    give(food, 3, person=c, event=feb, organization=fund)
    give(food, 5, institution="Аурухана", event=mar)
    for outside in (before, after, cancelled, hidden):
        give(food, 100, person=c, event=outside)
    return {"fund": fund, "jan": jan, "mar": mar, "feb": feb}


def test_it_counts_the_events_and_people_of_the_quarter_only(q1_2019, almaty, astana, django_assert_num_queries):
    with django_assert_num_queries(6):
        summary = selectors.period_summary(period=Period(2019, quarter=1))
    t = summary.total
    assert (t.events, t.held, t.people, t.households, t.value_kzt) == (3, 3, 4, 3, Decimal("120000.00"))
    rows = {row.key: (row.events, row.people, row.value_kzt) for row in summary.rows}
    assert rows == {almaty.pk: (2, 3, Decimal("90000.00")), astana.pk: (1, 1, Decimal("30000.00"))}
    assert [(g.code, g.quantity) for g in summary.goods] == [("t-food-package", 12)]


def test_per_organisation_and_per_region(q1_2019, almaty, astana, org):
    by_org = selectors.period_summary(period=Period(2019, quarter=1), group_by="organization")
    assert {row.label: row.events for row in by_org.rows} == {org.name: 2, "Astana Fund": 1}
    fund = selectors.period_summary(period=Period(2019, quarter=1), organization=q1_2019["fund"])
    assert (fund.total.events, fund.total.people) == (1, 1)
    almaty_only = selectors.period_summary(period=Period(2019, quarter=1), region=almaty)
    assert (almaty_only.total.events, almaty_only.total.people, almaty_only.total.value_kzt) == \
        (2, 3, Decimal("90000.00"))
    march = selectors.period_summary(period=Period(2019, month=3))
    assert (march.total.events, march.total.people) == (1, 2)
    year = selectors.period_summary(period=Period(2019))
    assert year.total.events == 4  # the three of Q1 and the one on 01.04.2019


def test_the_summary_page_writes_the_sentence_in_the_language(client, q1_2019):
    html = client.get("/events/summary/?year=2019&quarter=1", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Q1 2019: 3 events, 4 people helped, 120,000\u00a0₸" in html
    assert "<caption>By region</caption>" in html and '<th scope="row">Astana</th>' in html
    ru = client.get("/events/summary/?year=2019&quarter=1", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "120\u00a0000\u00a0₸" in ru


def test_a_quarter_and_a_month_together_are_refused(client, db):
    response = client.get("/events/summary/?year=2019&quarter=1&month=2", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert 'href="#id_month"' in response.content.decode()


def test_the_api_gives_the_same_summary(client, q1_2019, almaty):
    body = client.get("/api/v1/events/summary?year=2019&quarter=1").json()
    assert body["period"] == "2019-Q1" and body["starts"] == "2019-01-01" and body["ends"] == "2019-03-31"
    assert body["total"]["events"] == 3 and body["total"]["people_helped"] == 4
    assert body["total"]["value_kzt"] == "120000.00"
    by_org = client.get(f"/api/v1/events/summary?year=2019&quarter=1&group_by=organization"
                        f"&region={almaty.kato_code}").json()
    assert [(r["name"], r["events"]) for r in by_org["rows"]] == [("«Мейірім» қоғамдық қоры", 2)]
    bad = client.get("/api/v1/events/summary?year=2019&quarter=1&month=2")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid"
    unknown = client.get("/api/v1/events/summary?year=2019&region=123456789")
    assert unknown.status_code == 422 and unknown.json()["error"]["fields"][0]["field"] == "region"


def test_the_formatting_follows_the_language():
    from qamqor.events.formatting import format_number, format_tenge

    assert format_number(1200, lang="en") == "1,200"
    assert format_number(1200, lang="kk") == "1\u00a0200"
    assert format_tenge(Decimal("2300000.00"), lang="ru") == "2\u00a0300\u00a0000\u00a0₸"
    assert format_tenge(Decimal("1250.5"), lang="en") == "1,250.50\u00a0₸"
    assert format_tenge(Decimal("1250.5"), lang="kk") == "1\u00a0250,50\u00a0₸"
    assert format_number(999, lang="en") == "999" and format_number(-1234567, lang="en") == "-1,234,567"


@pytest.mark.parametrize("query", ["from=0001-01-01&to=9999-12-31", "from=2026-13-01", "from=2026-02-01&to=2026-01-01",
                                   "region=abc", "region=123456789"])
def test_the_event_list_refuses_bad_filters_in_the_one_error_shape(client, db, query):
    response = client.get(f"/api/v1/events?{query}")
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid"
