"""The demo's aid data is made through the services and tells a coherent story: stock, lots, needs, an allocation
confirmed with some hand-overs done, gifts received into the ledger."""

import datetime as dt
import random

from qamqor.aid.demo import demo_aid
from qamqor.aid.models import AllocationRun, Campaign, Distribution, Lot, Need, Offer
from qamqor.lib.names import full_name_key
from qamqor.registry.models import Person


def test_the_demo_campaign_is_allocated_and_partly_handed_over(people, org, almaty):
    for i in range(8):
        Person.objects.create(owner=org, region=almaty, surname="Ахметова", given_name=f"Айгүл{i}",
                              name_key=full_name_key("Ахметова", f"Айгүл{i}"), birth_date=dt.date(1980, 1, 1 + i))

    summary = demo_aid(rng=random.Random(1), home_org=org, staff_user=people["org_staff"],
                       donor_user=people["donor"], region=almaty)

    assert "2 campaigns" in summary and Campaign.objects.filter(status="open").count() == 2
    run = AllocationRun.objects.get()
    assert run.status == "confirmed" and run.optimal
    assert Distribution.objects.filter(status="handed", campaign__isnull=True).exists()
    planned = Distribution.objects.filter(status="planned", run=run)
    assert planned.exists() and all(d.event is not None and d.event.campaign == run.campaign for d in planned)
    for lot in Lot.objects.all():
        assert lot.allocated <= lot.quantity
    assert Need.objects.filter(institution_name__contains="ауруханасы").exists()
    assert Offer.objects.get(kind="money").status == "received"
