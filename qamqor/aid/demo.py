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
from .models import Item


def demo_aid(*, rng: random.Random, home_org, staff_user, donor_user, region) -> str:
    from qamqor.ledger import services as ledger

    items = {i.code: i for i in Item.objects.all()}
    meat, food, clothes = items["meat-portion"], items["food-package"], items["winter-clothes"]
    warehouse = services.warehouse_create(actor=staff_user, organization=home_org, name="Негізгі қойма",
                                          region=region, address="Алматы, Сейфуллин даңғылы 500")
    for item, quantity in ((meat, 160), (food, 80), (clothes, 40)):
        ledger.stock_receive(actor=staff_user, warehouse=warehouse, item=item, quantity=quantity,
                             idempotency_key=f"demo-opening-{item.code}")
    today = timezone.localdate()
    year = today.year
    # The next Kurban Ait: the campaign collects in the two weeks before it; the hand-overs happen on the day.
    kurban = Holiday.objects.filter(name_en__startswith="Kurban Ait", date__gt=today + dt.timedelta(days=1)) \
        .order_by("date").first()
    start = (kurban.date - dt.timedelta(days=14)) if kurban else today + dt.timedelta(days=30)
    campaign = services.campaign_create(
        actor=staff_user, organizer=home_org, title=f"Құрбан айт {start.year}: мұқтаж отбасыларға ет",
        description="Құрбандық етін аз қамтылған және көп балалы отбасыларға, мүгедектігі бар адамдарға таратамыз.",
        starts_on=start, ends_on=start + dt.timedelta(days=30), holiday=kurban, regions=[region],
        items=[(meat, 400), (food, 100)], budget_kzt="3200000")
    services.campaign_set_status(actor=staff_user, campaign=campaign, status="open")
    # Less than asked, so that the allocation has to choose: the preview shows who is served first, and why.
    services.lot_create(actor=staff_user, campaign=campaign, warehouse=warehouse, item=meat, quantity=50)
    services.lot_create(actor=staff_user, campaign=campaign, warehouse=warehouse, item=food, quantity=20)

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
    from qamqor.events import services as events

    day = kurban.date if kurban else start + dt.timedelta(days=14)
    at = timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)))
    caravan = events.event_create(actor=staff_user, data={
        "title": "Мейірім керуені", "description": "Құрбан айт күні етті отбасыларға табыстаймыз. Еріктілер керек.",
        "organizer": home_org, "starts_at": at, "ends_at": at + dt.timedelta(hours=6),
        "place": "Алматы, Абай даңғылы 10", "region": region, "campaign": campaign, "volunteers_needed": 12,
        "accessible_venue": True, "partners": []})
    run = services.allocation_preview(actor=staff_user, campaign=campaign)
    planned = services.allocation_confirm(actor=staff_user, run=run, event=caravan)
    # Help already given outside the campaign: food packages handed out last month (the "recent help" others see).
    for person in persons[::6]:
        need = services.need_create(actor=staff_user, person=person, item=food, quantity=1, evidence="Өтініш")
        given = services.distribution_create(actor=staff_user, need=need, quantity=1, organization=home_org)
        services.distribution_hand_over(actor=staff_user, distribution=given, signature=True,
                                        handed_at=timezone.now() - dt.timedelta(days=rng.randrange(3, 40)))

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
    return f"2 campaigns, a charity event, {len(persons) + 1} needs, {len(planned)} hand-overs planned"
