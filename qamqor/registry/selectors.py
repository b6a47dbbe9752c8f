"""Reads of the registry: search across scripts, a person's full record, household flags, the vulnerability score,
the coordination view for other organisations."""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.lookups import Overlap
from django.db import connection
from django.db.models import Func, Prefetch, Q, TextField, Value
from django.db.models.functions import Cast, Concat, StrIndex
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from qamqor.core.models import SubsistenceMinimum
from qamqor.lib.names import query_terms

from . import access
from .models import Category, CategoryAssignment, Consent, Household, HouseholdMember, NameWord, Person

IIN_QUERY = re.compile(r"^\s*\d{12}\s*$")


def _active_on(qs, day):
    return qs.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day), valid_from__lte=day, ended_at__isnull=True)


# A typed word matches a name word that is the same, that begins with it (4 letters or more), or whose trigram
# similarity to it is at least this (a letter dropped or doubled, another transliteration not folded by the key).
WORD_SIMILARITY = 0.5
# The most name words one typed word may stand for; the closest are kept.
MAX_MATCHING_WORDS = 400


def matching_words(key: str) -> list[str]:
    """The vocabulary words (NameWord, PostgreSQL) a typed word may mean, closest first."""
    from django.contrib.postgres.search import TrigramSimilarity

    if len(key) < 3:
        return list(NameWord.objects.filter(word=key).values_list("word", flat=True))
    near = Q(word__trigram_similar=key, similarity__gte=WORD_SIMILARITY)
    if len(key) >= 4:
        near |= Q(word__startswith=key)
    return list(NameWord.objects.annotate(similarity=TrigramSimilarity("word", key)).filter(near)
                .order_by("-similarity", "word").values_list("word", flat=True)[:MAX_MATCHING_WORDS])


def _name_words():
    # The same expression as the GIN index person_name_words (migration 0003), so that the index serves it.
    return Func(Cast("name_key", TextField()), Value(" "), function="string_to_array",
                output_field=ArrayField(TextField()))


def _has_word_starting(key):
    # Not a LIKE: the planner would scan an index for every name with that letter instead of filtering the few
    # rows the other words found.
    return GreaterThan(StrIndex(Concat(Value(" "), "name_key", output_field=TextField()), Value(f" {key}")), 0)


def person_search(*, user, query: str = "", birth_year: int | None = None, region=None, category: Category | None = None):
    """Records this user may see matching an IIN (exact) or a name in any script and spelling.

    Names are compared on their folded keys (qamqor.lib.names), so Cyrillic and Latin spellings meet. On PostgreSQL
    each typed word stands for the name words like it (matching_words: the same, beginning with it, or near by
    trigram similarity, so typos are forgiven), and the persons are found through the GIN index on their name
    words, closest spellings first; on SQLite each typed word must appear in the folded name. An initial ("L.")
    matches the start of a name word.
    """
    qs = access.visible_persons(user).select_related("region", "owner", "disability")
    query = (query or "").strip()
    ranked = []
    if IIN_QUERY.match(query):
        qs = qs.filter(iin=query.strip())
    elif query:
        terms = query_terms(query)
        for key, initial in terms:
            if initial:
                qs = qs.filter(_has_word_starting(key))
            elif connection.vendor == "postgresql":
                words = matching_words(key)
                if not words:
                    return qs.none()
                qs = qs.filter(Overlap(_name_words(), Value(words, output_field=ArrayField(TextField()))))
                ranked.append(key)
            else:
                qs = qs.filter(name_key__contains=key)
    if birth_year:
        qs = qs.filter(birth_date__year=birth_year)
    if region is not None:
        qs = qs.filter(region=region)
    if category is not None:
        today = timezone.localdate()
        if category.code == "disability":
            qs = qs.filter(disability__isnull=False)
        elif category.applies_to == Category.AppliesTo.PERSON:
            qs = qs.filter(pk__in=_active_on(CategoryAssignment.objects.filter(category=category), today)
                           .values("person_id"))
        else:
            households = _active_on(CategoryAssignment.objects.filter(category=category), today).values("household_id")
            qs = qs.filter(memberships__household_id__in=households, memberships__left_on__isnull=True)
    if ranked:
        # Closest spellings first: the sum of each word's trigram similarity to the folded name.
        from django.contrib.postgres.search import TrigramWordSimilarity

        rank = sum((TrigramWordSimilarity(key, "name_key") for key in ranked[1:]),
                   TrigramWordSimilarity(ranked[0], "name_key"))
        return qs.annotate(rank=rank).order_by("-rank", "surname", "given_name", "id")
    return qs.order_by("surname", "given_name", "id")


def person_detail(*, user, pk: int) -> Person | None:
    """A person's whole record with categories, consents and household, if this user may see it."""
    person = (Person.objects.select_related("region", "owner", "disability", "user")
              .prefetch_related(
                  Prefetch("categories", queryset=CategoryAssignment.objects.select_related("category", "verified_by")),
                  Prefetch("consents", queryset=Consent.objects.select_related("recorded_by")))
              .filter(pk=pk, status=Person.Status.ACTIVE).first())
    if person is None or not access.can_view_person(user, person):
        return None
    return person


def current_household(person: Person) -> Household | None:
    member = (HouseholdMember.objects.filter(person=person, left_on__isnull=True).select_related("household").first())
    return member.household if member else None


def household_members(household: Household):
    return (HouseholdMember.objects.filter(household=household, left_on__isnull=True)
            .select_related("person").order_by("relationship", "person__birth_date"))


def poverty_line(on: dt.date) -> tuple[Decimal | None, SubsistenceMinimum | None]:
    """The national poverty line per person per month on a date: share × subsistence minimum in force then."""
    row = SubsistenceMinimum.objects.filter(effective_from__lte=on).order_by("-effective_from").first()
    if row is None or row.subsistence_minimum_kzt is None:
        return None, row
    return (row.subsistence_minimum_kzt * row.poverty_line_share).quantize(Decimal("0.01"), ROUND_HALF_UP), row


def _age(born: dt.date | None, on: dt.date) -> int | None:
    if born is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _flags(members, on: dt.date, line, row, tsa) -> dict:
    children = 0
    for m in members:
        age = _age(m.person.birth_date, on)
        if m.relationship in (HouseholdMember.Relationship.CHILD, HouseholdMember.Relationship.GRANDCHILD) \
                and age is not None and (age < 18 or (age < 23 and m.in_full_time_study)):
            children += 1
    income = sum((m.monthly_income for m in members), Decimal("0"))
    per_head = (income / len(members)).quantize(Decimal("0.01"), ROUND_HALF_UP) if members else None
    return {
        "members": len(members), "children": children, "large_family": children >= 4,
        "income": income, "income_per_head": per_head, "poverty_line": line, "poverty_line_rule": row,
        "low_income": per_head is not None and line is not None and per_head < line,
        "tsa": tsa,
    }


def household_flags(household: Household, *, on: dt.date | None = None) -> dict:
    """Derived facts: large family (4+ children under 18, or under 23 in full-time study), income per head against
    the poverty line in force, targeted social assistance now."""
    on = on or timezone.localdate()
    members = list(household_members(household))
    line, row = poverty_line(on)
    tsa = _active_on(CategoryAssignment.objects.filter(household=household, category__code="tsa_recipient"), on) \
        .order_by("-valid_from").first()
    return _flags(members, on, line, row, tsa)


def _derived_codes(codes: set[str], flags: dict | None, person: Person) -> set[str]:
    if flags is not None:
        if flags["large_family"]:
            codes.add("large_family")
        if flags["low_income"]:
            codes.add("low_income")
    if person.disability_id:
        codes.add("disability")
    return codes


def category_codes(person: Person, *, on: dt.date | None = None) -> set[str]:
    """The codes of every category that applies to the person now: their own, their household's, and the derived
    ones (disability, large family, low income)."""
    on = on or timezone.localdate()
    codes = set(_active_on(CategoryAssignment.objects.filter(person=person), on).values_list("category__code", flat=True))
    household = current_household(person)
    flags = None
    if household is not None:
        codes |= set(_active_on(CategoryAssignment.objects.filter(household=household), on)
                     .values_list("category__code", flat=True))
        flags = household_flags(household, on=on)
    return _derived_codes(codes, flags, person)


def category_codes_many(persons, *, on: dt.date | None = None) -> dict[int, set[str]]:
    """category_codes for many persons in a fixed number of queries (an allocation run reads thousands)."""
    on = on or timezone.localdate()
    persons = {p.pk: p for p in persons}
    codes: dict[int, set[str]] = {pk: set() for pk in persons}
    for pk, code in _active_on(CategoryAssignment.objects.filter(person_id__in=persons), on) \
            .values_list("person_id", "category__code"):
        codes[pk].add(code)
    household_of = dict(HouseholdMember.objects.filter(person_id__in=persons, left_on__isnull=True)
                        .values_list("person_id", "household_id"))
    households = set(household_of.values())
    household_codes: dict[int, set[str]] = {h: set() for h in households}
    for h, code in _active_on(CategoryAssignment.objects.filter(household_id__in=households), on) \
            .values_list("household_id", "category__code"):
        household_codes[h].add(code)
    members: dict[int, list] = {h: [] for h in households}
    for m in HouseholdMember.objects.filter(household_id__in=households, left_on__isnull=True).select_related("person"):
        members[m.household_id].append(m)
    line, row = poverty_line(on)
    flags = {h: _flags(members[h], on, line, row, None) for h in households}
    out = {}
    for pk, person in persons.items():
        h = household_of.get(pk)
        mine = codes[pk] | (household_codes[h] if h is not None else set())
        out[pk] = _derived_codes(mine, flags.get(h), person)
    return out


def vulnerability_score(person: Person, *, on: dt.date | None = None, codes: set[str] | None = None,
                        weights: dict | None = None) -> Decimal:
    """Sum of the weights of the categories that apply now (the allocation engine reads this); weights are data."""
    weights = weights if weights is not None else dict(Category.objects.values_list("code", "weight"))
    codes = codes if codes is not None else category_codes(person, on=on)
    score = sum((weights.get(code, Decimal("0")) for code in codes), Decimal("0"))
    if person.disability_id and person.disability.severity:
        # A more severe group weighs more: group I adds 2, group II adds 1.
        score += Decimal(3 - person.disability.severity)
    return score


def coordination_lookup(*, iin: str) -> dict | None:
    """What another organisation may learn about a person: that they are registered, their categories, and (with
    the later aid app) the dates help was received — only while the person's consent to share is in force."""
    person = Person.objects.filter(iin=iin, status=Person.Status.ACTIVE).select_related("region", "owner").first()
    if person is None:
        return None
    shares = Consent.objects.filter(person=person, purpose=Consent.Purpose.SHARING, withdrawn_at__isnull=True).exists()
    if not shares:
        return {"exists": True, "shared": False}
    today = timezone.localdate()
    categories = [a.category for a in _active_on(CategoryAssignment.objects.filter(person=person), today)
                  .select_related("category")]
    household = current_household(person)
    if household is not None:
        # Household categories (targeted social assistance, ...) answer "is this family helped already?" too.
        categories += [a.category for a in _active_on(CategoryAssignment.objects.filter(household=household), today)
                       .select_related("category")]
    return {"exists": True, "shared": True, "person": person, "categories": categories,
            "disability": person.disability, "registered_by": person.owner}


def own_record_export(person: Person) -> dict:
    """A person's own record and history as plain data (their right to see what is held about them)."""
    from qamqor.core.models import AccessLog, AuditLog

    def d(value):
        return value.isoformat() if hasattr(value, "isoformat") else value

    record = {name: d(getattr(person, name)) for name in (
        "iin", "surname", "given_name", "patronymic", "birth_date", "sex", "citizenship", "phone", "email", "district",
        "locality", "address", "disability_cause", "disability_set_on", "disability_review_on", "disability_indefinite",
        "uses_wheelchair", "needs_escort", "has_guide_dog", "deaf_sign_language", "blind_low_vision")}
    record["region"] = person.region.name_en
    record["disability"] = person.disability.code if person.disability else None
    record["registered_by"] = person.owner.name
    return {
        "person": record,
        "categories": [{"category": a.category.code, "valid_from": d(a.valid_from), "valid_to": d(a.valid_to),
                        "evidence": a.evidence, "ended": a.ended_at is not None}
                       for a in person.categories.select_related("category")],
        "consents": [{"purpose": c.purpose, "given_on": d(c.given_on), "given_by": c.given_by, "source": c.source,
                      "withdrawn_at": d(c.withdrawn_at)} for c in person.consents.all()],
        "household": _own_household(person, d),
        "changes": [{"at": d(a.at), "action": a.action} for a in
                    AuditLog.objects.filter(object_type="registry.person", object_id=str(person.pk)).order_by("at")],
        "views": [{"at": d(a.at), "purpose": a.purpose, "by_organisation_staff": a.actor_id != person.user_id}
                  for a in AccessLog.objects.filter(subject_type="registry.person", subject_id=str(person.pk))
                  .order_by("at")],
    }


def duplicate_queue(user):
    """Pending likely-duplicate pairs whose two records this user may both see, most likely first."""
    from .models import DuplicateCandidate

    visible = access.visible_persons(user)
    return (DuplicateCandidate.objects.filter(decision=DuplicateCandidate.Decision.PENDING,
                                              left__in=visible, right__in=visible)
            .select_related("left", "right", "left__region", "right__region", "left__owner", "right__owner")
            .order_by("-probability", "pk"))


def _own_household(person: Person, d) -> dict | None:
    """The person's household in their export: who lives with them, and the income recorded for each."""
    household = current_household(person)
    if household is None:
        return None
    return {"address": household.address, "members": [
        {"name": m.person.full_name, "relationship": m.relationship, "birth_date": d(m.person.birth_date),
         "monthly_income": str(m.monthly_income), "in_full_time_study": m.in_full_time_study}
        for m in household_members(household)]}
