"""Demo persons for the registry: plausible names in Kazakh, Russian and Latin spellings, valid IINs (and some
people without one), disabilities and functional needs, households, consents, categories, and a few records
entered twice under another spelling so that the review queue has work."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from qamqor.core.models import DisabilityCategory
from qamqor.lib.iin import make_iin
from qamqor.lib.names import full_name_key
from qamqor.lib.translit import to_latin

from .models import Category, CategoryAssignment, Consent, DuplicateCandidate, Household, HouseholdMember, Person

PATRONYMICS_M = ["Серікұлы", "Нұрланович", "Ерланович", "Асқарұлы", "Сергеевич", "Муратович"]
PATRONYMICS_F = ["Серікқызы", "Нұрлановна", "Ерлановна", "Асқарқызы", "Сергеевна", "Муратовна"]
DISABILITY_CODES = ["group_1", "group_2", "group_3", "child_under_7", "child_7_18_group_2"]
PERSON_CATEGORIES = ["pensioner", "veteran", "homeless", "former_prisoner", "orphan"]


def demo_registry(*, rng: random.Random, organizations, count: int, owner_user, report=lambda n: None) -> int:
    """Create `count` persons (plus duplicates and households) owned by the given organisations."""
    from qamqor.core.demo import person_name

    disabilities = {d.code: d for d in DisabilityCategory.objects.filter(code__in=DISABILITY_CODES)}
    categories = {c.code: c for c in Category.objects.all()}
    used_iins = set(Person.objects.exclude(iin=None).values_list("iin", flat=True))
    persons = []
    for n in range(count):
        full_name, sex, born, iin = person_name(rng)
        given, surname = full_name.split(" ", 1)
        org = organizations[n % len(organizations)]
        if iin in used_iins or rng.random() < 0.08:  # some people have no documents
            iin = None
        else:
            used_iins.add(iin)
        disabled = rng.random() < 0.25
        code = rng.choice(DISABILITY_CODES) if disabled else None
        persons.append(Person(
            owner=org, region_id=org.region_id, iin=iin, surname=surname, given_name=given,
            patronymic=rng.choice(PATRONYMICS_M if sex == "M" else PATRONYMICS_F) if rng.random() < 0.6 else "",
            birth_date=born, sex=sex, locality=org.address.split(",")[0], address=f"{rng.randrange(1, 200)}-{rng.randrange(1, 90)}",
            phone=f"+7 70{rng.randrange(0, 9)} {rng.randrange(100, 999)} {rng.randrange(1000, 9999)}",
            disability=disabilities.get(code) if code else None,
            disability_cause=rng.choice(["general", "childhood", "work_injury"]) if code else "",
            disability_set_on=born + dt.timedelta(days=365 * 5) if code else None,
            disability_indefinite=bool(code) and rng.random() < 0.4,
            uses_wheelchair=disabled and rng.random() < 0.3, needs_escort=disabled and rng.random() < 0.2,
            deaf_sign_language=disabled and rng.random() < 0.1, blind_low_vision=disabled and rng.random() < 0.1,
            created_by=owner_user,
        ))
        persons[-1].name_key = full_name_key(surname, given, persons[-1].patronymic)
    # The same person entered again by another organisation under a Latin spelling and without the IIN.
    twins = []
    for original in rng.sample(persons, max(1, count // 100)):
        twin = Person(**{f.attname: getattr(original, f.attname) for f in Person._meta.concrete_fields
                         if f.attname not in ("id", "iin", "surname", "given_name", "name_key", "owner_id")})
        twin.owner = organizations[(organizations.index(original.owner) + 1) % len(organizations)]
        twin.region_id = original.region_id
        twin.surname, twin.given_name = to_latin(original.surname), to_latin(original.given_name)
        twin.name_key = full_name_key(twin.surname, twin.given_name, twin.patronymic)
        twins.append((original, twin))
    Person.objects.bulk_create(persons + [t for _, t in twins], batch_size=1000)
    report(len(persons))
    DuplicateCandidate.objects.bulk_create(
        [DuplicateCandidate(left_id=min(a.pk, b.pk), right_id=max(a.pk, b.pk), probability=round(rng.uniform(0.9, 0.99), 3))
         for a, b in twins], ignore_conflicts=True)

    today = timezone.localdate()
    consents, assignments, households, members = [], [], [], []
    for person in persons:
        if rng.random() < 0.9:
            consents.append(Consent(person=person, purpose="registration", given_by="person", source="paper",
                                    given_on=today - dt.timedelta(days=rng.randrange(1, 900)), recorded_by=owner_user))
        if rng.random() < 0.6:
            consents.append(Consent(person=person, purpose="sharing", given_by="person", source="paper",
                                    given_on=today - dt.timedelta(days=rng.randrange(1, 900)), recorded_by=owner_user))
        age = (today - person.birth_date).days // 365
        code = "pensioner" if age >= 63 else (rng.choice(PERSON_CATEGORIES[1:]) if rng.random() < 0.05 else None)
        if code:
            assignments.append(CategoryAssignment(category=categories[code], person=person, evidence="source_system",
                                                  evidence_reference="Demo data", verified_by=owner_user,
                                                  valid_from=today - dt.timedelta(days=rng.randrange(1, 2000))))
    Consent.objects.bulk_create(consents, batch_size=2000)
    # Households: an adult head and some of the next persons of the same organisation as children.
    adults = [p for p in persons if (today - p.birth_date).days > 365 * 25]
    children = [p for p in persons if (today - p.birth_date).days < 365 * 17]
    rng.shuffle(children)
    for head in adults[: len(adults) // 4]:
        households.append(Household(owner_id=head.owner_id, region_id=head.region_id, address=head.address,
                                    created_by=owner_user))
    Household.objects.bulk_create(households, batch_size=1000)
    for head, household in zip(adults, households):
        members.append(HouseholdMember(household=household, person=head, relationship="head",
                                       monthly_income=rng.choice([0, 45000, 85000, 150000, 320000])))
        for _ in range(rng.choice([0, 1, 2, 3, 4, 5])):
            if not children:
                break
            members.append(HouseholdMember(household=household, person=children.pop(), relationship="child"))
        if rng.random() < 0.1:
            assignments.append(CategoryAssignment(category=categories["tsa_recipient"], household=household,
                                                  evidence="source_system", evidence_reference="Demo data",
                                                  verified_by=owner_user, valid_from=today - dt.timedelta(days=90),
                                                  valid_to=today + dt.timedelta(days=270)))
    HouseholdMember.objects.bulk_create(members, batch_size=2000)
    CategoryAssignment.objects.bulk_create(assignments, batch_size=2000)
    return len(persons) + len(twins)
