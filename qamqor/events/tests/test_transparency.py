"""A campaign's public report: target, raised and delivered from data, as a chart and a table with the same
numbers, and no names."""

import re
from decimal import Decimal
from html import unescape

import pytest

from qamqor.aid.models import CampaignItem, Offer


@pytest.fixture
def campaign(make_campaign, make_item, make_person, give, make_event, org, people):
    campaign = make_campaign(budget="5000000.00")
    meat = make_item("meat", unit="kg", value="3500.00")
    food = make_item("food-package", unit="package", value="15000.00")
    CampaignItem.objects.create(campaign=campaign, item=meat, target_quantity=1000)
    CampaignItem.objects.create(campaign=campaign, item=food, target_quantity=200)
    donor = people["donor"]
    for amount, status in (("1000000.00", "received"), ("250000.50", "allocated"), ("300000.00", "delivered"),
                           ("999999.00", "pledged"), ("777777.00", "cancelled")):
        Offer.objects.create(kind="money", donor_user=donor, recipient=org, campaign=campaign,
                             amount_kzt=Decimal(amount), status=status)
    for quantity, status in ((400, "received"), (150, "delivered"), (900, "pledged")):
        Offer.objects.create(kind="goods", donor_user=donor, recipient=org, campaign=campaign, item=meat,
                             quantity=quantity, status=status)
    event = make_event(days=-1, status="held", campaign=campaign)
    person = make_person("Жақсыбекова", "Дана")
    give(meat, 5, person=person, campaign=campaign, event=event)
    give(meat, 10, institution="Қарттар үйі", campaign=campaign)
    give(food, 3, person=person, campaign=campaign, status="planned")
    return campaign


def test_the_report_counts_target_raised_and_delivered(campaign):
    from qamqor.events.selectors import campaign_report

    report = campaign_report(campaign)
    assert (report.money.target, report.money.raised, report.money.delivered) == \
        (Decimal("5000000.00"), Decimal("1550000.50"), Decimal("52500.00"))
    lines = {line.label: (line.target, line.raised, line.delivered) for line in report.items}
    assert lines == {"meat kk": (1000, 550, 15), "food-package kk": (200, 0, 0)}
    assert (report.people, report.households) == (2, 1)


def test_the_page_shows_a_chart_and_a_table_with_the_same_numbers_and_no_names(client, campaign, people):
    response = client.get(f"/events/campaigns/{campaign.slug}/", HTTP_ACCEPT_LANGUAGE="en")
    html = unescape(response.content.decode())
    assert response.status_code == 200
    svg = html.split('<svg id="campaign-chart"', 1)[1].split("</svg>", 1)[0]
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    table = html.split('<table id="campaign-table">', 1)[1].split("</table>", 1)[0]
    cells = re.findall(r"<td>([^<]*)</td>", table)
    bar_texts = re.findall(r'<text class="bar-value"[^>]*>([^<]*)</text>', svg)
    values = [text.split(": ", 1)[1] for text in bar_texts]
    assert cells == values and len(cells) == 9
    assert cells[:3] == ["5,000,000\u00a0₸", "1,550,000.50\u00a0₸", "52,500\u00a0₸"]
    assert cells[3:] == ["200 package", "0 package", "0 package", "1,000 kilogram", "550 kilogram", "15 kilogram"]
    for private in ("Жақсыбекова", "Қарттар үйі", people["donor"].full_name, "donor@test.kz"):
        assert private not in html


def test_a_draft_is_not_public_and_the_api_gives_the_numbers(client, client_for, campaign, make_campaign, people):
    draft = make_campaign("draft-campaign", status="draft")
    assert client.get(f"/events/campaigns/{draft.slug}/").status_code == 404
    assert client_for(people["org_staff"]).get(f"/events/campaigns/{draft.slug}/").status_code == 200
    assert draft.slug not in client.get("/events/campaigns/").content.decode()
    body = client.get(f"/api/v1/events/campaigns/{campaign.slug}").json()
    assert body["money"] == {"name": "Money", "unit": "kzt", "target": "5000000.00", "raised": "1550000.50",
                             "delivered": "52500.00", "delivered_value_kzt": "52500.00"} or \
        body["money"]["raised"] == "1550000.50"
    assert {i["raised"] for i in body["items"]} == {"550", "0"}
    assert client.get(f"/api/v1/events/campaigns/{draft.slug}").json()["error"]["code"] == "not_found"


def test_the_report_takes_a_fixed_number_of_queries(campaign, django_assert_num_queries):
    from qamqor.events.selectors import campaign_report

    with django_assert_num_queries(5):
        campaign_report(campaign)
