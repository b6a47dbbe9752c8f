"""Demo data for aid: a warehouse with stock, the Kurban Ait campaign with lots, needs gathered from the registry and
an allocation confirmed with some hand-overs done; a winter campaign collecting; gifts of money and goods; a
hospital's need. Everything goes through the services, as a coordinator's and a donor's clicks would."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from qamqor.core.models import Holiday
from qamqor.registry.models import Person

from . import services
from .models import Distribution, Item


def demo_aid(*, rng: random.Random, home_org, staff_user, donor_user, region) -> str:
    from qamqor.ledger import services as ledger

    items = {i.code: i for i in Item.objects.all()}
    meat, food, clothes = items["meat-portion"], items["food-package"], items["winter-clothes"]
    warehouse = services.warehouse_create(actor=staff_user, organization=home_org, name="Негізгі қойма",
                                          region=region, address="Алматы, Сейфуллин даңғылы 500")
    for item, quantity in ((meat, 160), (food, 80), (clothes, 40)):
        ledger.stock_receive(actor=staff_user, warehouse=warehouse, item=item, quantity=quantity,
                             idempotency_key=f"demo-opening-{item.code}")
    year = timezone.localdate().year
    kurban = Holiday.objects.filter(name_en__startswith="Kurban Ait", date__year=year).order_by("date").first()
    start = (kurban.date - dt.timedelta(days=14)) if kurban else dt.date(year, 5, 1)
    campaign = services.campaign_create(
        actor=staff_user, organizer=home_org, title=f"Құрбан айт {start.year}: мұқтаж отбасыларға ет",
        description="Құрбандық етін аз қамтылған және көп балалы отбасыларға, мүгедектігі бар адамдарға таратамыз.",
        starts_on=start, ends_on=start + dt.timedelta(days=30), holiday=kurban, regions=[region],
        items=[(meat, 400), (food, 100)], budget_kzt="3200000")
    services.campaign_set_status(actor=staff_user, campaign=campaign, status="open")
    services.lot_create(actor=staff_user, campaign=campaign, warehouse=warehouse, item=meat, quantity=120)
    services.lot_create(actor=staff_user, campaign=campaign, warehouse=warehouse, item=food, quantity=40)

    persons = list(Person.objects.filter(owner=home_org, status="active").order_by("pk")[:90])
    for person in persons:
        item = meat if rng.random() < 0.7 else food
        services.need_create(actor=staff_user, person=person, item=item, quantity=rng.choice([1, 1, 2, 3]),
                             urgency=rng.choice([1, 2, 2, 3, 4]), evidence="Әлеуметтік қызметкердің актісі")
    services.need_create(actor=staff_user, institution_name="Алматы қалалық №7 клиникалық ауруханасы",
                         institution_kind="hospital", region=region, owner=home_org,
                         item=items["oxygen-concentrator"], quantity=3, urgency=4,
                         evidence="Бас дәрігердің хаты")
    services.campaign_gather_needs(actor=staff_user, campaign=campaign)
    run = services.allocation_preview(actor=staff_user, campaign=campaign)
    planned = services.allocation_confirm(actor=staff_user, run=run)
    for distribution in planned[: len(planned) // 3]:
        services.distribution_hand_over(actor=staff_user, distribution=Distribution.objects.get(pk=distribution.pk),
                                        signature=True)

    winter = services.campaign_create(
        actor=staff_user, organizer=home_org, title=f"Жылы қыс {year}", starts_on=dt.date(year, 11, 1),
        ends_on=dt.date(year + 1, 2, 28), items=[(clothes, 300)],
        description="Балаларға және зейнеткерлерге қысқы киім жинаймыз.")
    services.campaign_set_status(actor=staff_user, campaign=winter, status="open")
    gift = services.offer_create(actor=donor_user, kind="money", recipient=home_org, campaign=campaign,
                                 amount_kzt="250000.00", note="Құрбан айтқа")
    services.offer_receive(actor=staff_user, offer=gift)
    services.offer_create(actor=donor_user, kind="goods", recipient=home_org, campaign=winter, item=clothes,
                          quantity=25, warehouse=warehouse)
    return f"2 campaigns, {len(persons) + 1} needs, {len(planned)} hand-overs planned"
