"""The eligibility engine: plain data in, plain data out, no database. `evaluate` decides whether a person is
entitled to a service type under its rules, which rule decides, why (the facts that decided, and a translated
sentence), and how many units of the quota are left.

Semantics: a person is eligible when any rule matches (rules are alternatives, tried in priority order); a rule
matches when every one of its conditions holds. An empty condition holds for everyone. Disability codes, regions and
categories are any-of lists (the person's value is one of them); functional needs are all-of (every flag listed).
Among matching rules the one leaving the most units this month decides (no quota beats any quota).

`person_facts` (the adapter at the bottom) builds the input from a registry Person; it is the only part that touches
the ORM. Sentences go through gettext only when `Result.reason` is read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

NEED_FLAGS = ("uses_wheelchair", "needs_escort", "has_guide_dog", "deaf_sign_language", "blind_low_vision")

# Short labels of the facts that decide, as they appear in "eligible: group II, wheelchair user".
DISABILITY_LABELS = {
    "group_1": gettext_lazy("group I"),
    "group_2": gettext_lazy("group II"),
    "group_3": gettext_lazy("group III"),
    "child_under_7": gettext_lazy("child with a disability under 7"),
    "child_7_18_group_1": gettext_lazy("child aged 7-18, group I"),
    "child_7_18_group_2": gettext_lazy("child aged 7-18, group II"),
    "child_7_18_group_3": gettext_lazy("child aged 7-18, group III"),
    "legacy_child_under_16": gettext_lazy("disabled child under 16 (former category)"),
    "legacy_child_16_18": gettext_lazy("disabled child aged 16-18 (former category)"),
}
NEED_LABELS = {
    "uses_wheelchair": (gettext_lazy("wheelchair user"), gettext_lazy("not a wheelchair user")),
    "needs_escort": (gettext_lazy("needs an escort"), gettext_lazy("does not need an escort")),
    "has_guide_dog": (gettext_lazy("has a guide dog"), gettext_lazy("no guide dog")),
    "deaf_sign_language": (gettext_lazy("uses sign language"), gettext_lazy("does not use sign language")),
    "blind_low_vision": (gettext_lazy("blind or low vision"), gettext_lazy("not blind or low vision")),
}


@dataclass(frozen=True)
class PersonFacts:
    disability: str | None = None  # core.DisabilityCategory code
    age: int | None = None
    region: str | None = None  # KATO code
    needs: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Rule:
    id: int | None = None
    name: str = ""
    disability_codes: frozenset[str] = frozenset()
    needs: frozenset[str] = frozenset()
    min_age: int | None = None
    max_age: int | None = None
    regions: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    units_per_day: Decimal | None = None
    units_per_month: Decimal | None = None
    units_per_year: Decimal | None = None


@dataclass(frozen=True)
class Usage:
    """Units already used or booked (not cancelled) on the day, in the month and in the year considered."""
    day: Decimal = Decimal(0)
    month: Decimal = Decimal(0)
    year: Decimal = Decimal(0)


@dataclass(frozen=True)
class Fact:
    """One deciding fact: its kind (disability, need, age, region, category, none) and value, and whether it
    counted for (True) or against (False) the person."""
    kind: str
    value: str
    met: bool


@dataclass
class Result:
    eligible: bool
    rule: Rule | None
    facts: list[Fact] = field(default_factory=list)
    quota_left_day: Decimal | None = None  # None: no quota
    quota_left_month: Decimal | None = None
    quota_left_year: Decimal | None = None
    labels: dict = field(default_factory=dict)

    @property
    def reason(self) -> str:
        """'eligible: group II, wheelchair user' or 'not eligible: group III', in the active language."""
        words = ", ".join(self._label(f) for f in self.facts)
        if self.eligible:
            return _("eligible: %(facts)s") % {"facts": words} if words else _("eligible")
        return _("not eligible: %(facts)s") % {"facts": words} if words else _("not eligible")

    def _label(self, fact: Fact) -> str:
        if fact.kind == "none":
            return _("no rule for this service")
        if fact.kind == "disability":
            if not fact.value:
                return _("no disability recorded")
            return str(DISABILITY_LABELS.get(fact.value) or self.labels.get(fact.value, fact.value))
        if fact.kind == "need":
            yes, no = NEED_LABELS.get(fact.value, (fact.value, fact.value))
            return str(yes if fact.met else no)
        if fact.kind == "age":
            return _("age unknown") if fact.value == "" else _("age %(age)s") % {"age": fact.value}
        if fact.kind == "region":
            return str(self.labels.get(fact.value, fact.value) or _("region unknown"))
        if fact.kind == "category":
            if not fact.value:
                return _("none of the required categories")
            return str(self.labels.get(fact.value, fact.value))
        return fact.value


def _failed_and_met(rule: Rule, person: PersonFacts) -> tuple[list[Fact], list[Fact]]:
    failed, met = [], []
    if rule.disability_codes:
        fact = Fact("disability", person.disability or "", person.disability in rule.disability_codes)
        (met if fact.met else failed).append(fact)
    for need in sorted(rule.needs):
        fact = Fact("need", need, need in person.needs)
        (met if fact.met else failed).append(fact)
    if rule.min_age is not None or rule.max_age is not None:
        ok = person.age is not None and (rule.min_age is None or person.age >= rule.min_age) \
            and (rule.max_age is None or person.age <= rule.max_age)
        fact = Fact("age", "" if person.age is None else str(person.age), ok)
        (met if ok else failed).append(fact)
    if rule.regions:
        fact = Fact("region", person.region or "", person.region in rule.regions)
        (met if fact.met else failed).append(fact)
    if rule.categories:
        held = sorted(rule.categories & person.categories)
        if held:
            met.append(Fact("category", held[0], True))
        else:
            failed.append(Fact("category", "", False))
    return failed, met


def _left(limit: Decimal | None, used: Decimal) -> Decimal | None:
    if limit is None:
        return None
    return max(Decimal(0), Decimal(limit) - Decimal(used))


def _min_left(*values):
    known = [v for v in values if v is not None]
    return min(known) if known else None


def evaluate(person: PersonFacts, rules: list[Rule] | tuple[Rule, ...], usage: Usage = Usage(),
             labels: dict | None = None) -> Result:
    """Decide entitlement: any rule that matches makes the person eligible; the reason names the deciding facts."""
    labels = labels or {}
    if not rules:
        return Result(False, None, [Fact("none", "", False)], labels=labels)
    best = None
    failures: list[Fact] = []
    for rule in rules:
        failed, met = _failed_and_met(rule, person)
        if failed:
            for fact in failed:
                if fact not in failures:
                    failures.append(fact)
            continue
        left_year = _left(rule.units_per_year, usage.year)
        left_month = _min_left(_left(rule.units_per_month, usage.month), left_year)
        left_day = _min_left(_left(rule.units_per_day, usage.day), left_month)
        candidate = Result(True, rule, met, left_day, left_month, left_year, labels)
        if best is None or _more(candidate.quota_left_month, best.quota_left_month):
            best = candidate
    if best is not None:
        return best
    return Result(False, None, failures, labels=labels)


def _more(a: Decimal | None, b: Decimal | None) -> bool:
    if a is None:
        return b is not None
    return b is not None and a > b


def age_on(birth_date: dt.date | None, day: dt.date) -> int | None:
    if birth_date is None:
        return None
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


# --- The adapter: registry rows in, engine input out -----------------------------------------------------------------

def person_facts(person, *, on: dt.date, categories: bool = True) -> PersonFacts:
    """The engine's view of a registry Person on a day (its categories through registry.selectors.category_codes;
    categories=False leaves them empty, for rules that name none)."""
    from qamqor.registry.selectors import category_codes

    disability = person.disability.code if person.disability_id else None
    if disability and person.disability_review_on and person.disability_review_on < on \
            and not person.disability_indefinite:
        disability = None  # the re-examination date passed: the disability is no longer confirmed
    return PersonFacts(disability=disability, age=age_on(person.birth_date, on),
                       region=person.region.kato_code if person.region_id else None,
                       needs=frozenset(flag for flag in NEED_FLAGS if getattr(person, flag)),
                       categories=frozenset(category_codes(person, on=on)) if categories else frozenset())


def rule_of(row) -> Rule:
    """The engine's view of an EligibilityRule row (its regions prefetched)."""
    return Rule(id=row.pk, name=row.name, disability_codes=frozenset(row.disability_codes or ()),
                needs=frozenset(row.needs or ()), min_age=row.min_age, max_age=row.max_age,
                regions=frozenset(r.kato_code for r in row.regions.all()),
                categories=frozenset(row.category_codes or ()), units_per_day=row.units_per_day,
                units_per_month=row.units_per_month, units_per_year=row.units_per_year)
