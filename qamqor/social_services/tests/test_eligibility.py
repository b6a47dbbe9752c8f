"""The eligibility engine, property-tested: plain data in, no database."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from django.utils import translation

from qamqor.social_services.eligibility import NEED_FLAGS, PersonFacts, Rule, Usage, evaluate

CODES = ["group_1", "group_2", "group_3", "child_under_7", "child_7_18_group_1", "child_7_18_group_2",
         "child_7_18_group_3"]
REGIONS = ["750000000", "710000000", "790000000"]
CATEGORIES = ["large_family", "low_income", "pensioner", "veteran"]

quota = st.one_of(st.none(), st.decimals(min_value=1, max_value=500, places=2))
rules = st.builds(
    Rule,
    id=st.integers(1, 1000),
    disability_codes=st.frozensets(st.sampled_from(CODES), max_size=3),
    needs=st.frozensets(st.sampled_from(NEED_FLAGS), max_size=2),
    min_age=st.one_of(st.none(), st.integers(0, 60)),
    max_age=st.one_of(st.none(), st.integers(61, 120)),
    regions=st.frozensets(st.sampled_from(REGIONS), max_size=2),
    categories=st.frozensets(st.sampled_from(CATEGORIES), max_size=2),
    units_per_day=quota, units_per_month=quota, units_per_year=quota)
usages = st.builds(Usage, day=st.decimals(0, 1000, places=2), month=st.decimals(0, 1000, places=2),
                   year=st.decimals(0, 1000, places=2))


def matching_person(rule: Rule, data) -> PersonFacts:
    """A person who meets every condition of the rule (and maybe more)."""
    return PersonFacts(
        disability=data.draw(st.sampled_from(sorted(rule.disability_codes))) if rule.disability_codes
        else data.draw(st.one_of(st.none(), st.sampled_from(CODES))),
        age=data.draw(st.integers(rule.min_age or 0, rule.max_age if rule.max_age is not None else 120)),
        region=data.draw(st.sampled_from(sorted(rule.regions) or REGIONS)),
        needs=rule.needs | data.draw(st.frozensets(st.sampled_from(NEED_FLAGS))),
        categories=(frozenset([data.draw(st.sampled_from(sorted(rule.categories)))]) if rule.categories
                    else frozenset()) | data.draw(st.frozensets(st.sampled_from(CATEGORIES), max_size=1)))


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@settings(max_examples=150, deadline=None)
@given(rule=rules, data=st.data())
def test_a_person_meeting_every_condition_of_a_rule_is_eligible(rule, data):
    person = matching_person(rule, data)
    result = evaluate(person, [rule])
    assert result.eligible and result.rule == rule
    assert result.reason.startswith("eligible")


@settings(max_examples=150, deadline=None)
@given(rule=rules, data=st.data())
def test_failing_one_required_condition_makes_a_person_ineligible_and_the_reason_says_so(rule, data):
    person = matching_person(rule, data)
    conditions = [c for c in ("disability", "needs", "age", "region", "categories")
                  if (c == "disability" and rule.disability_codes) or (c == "needs" and rule.needs)
                  or (c == "age" and (rule.min_age or rule.max_age is not None))
                  or (c == "region" and rule.regions) or (c == "categories" and rule.categories)]
    if not conditions:
        return
    broken = data.draw(st.sampled_from(conditions))
    if broken == "disability":
        outside = [c for c in CODES if c not in rule.disability_codes]
        person = PersonFacts(data.draw(st.sampled_from(outside + [None])), person.age, person.region, person.needs,
                             person.categories)
    elif broken == "needs":
        missing = data.draw(st.sampled_from(sorted(rule.needs)))
        person = PersonFacts(person.disability, person.age, person.region, person.needs - {missing},
                             person.categories)
    elif broken == "age":
        ages = ([rule.min_age - 1] if rule.min_age else []) + ([rule.max_age + 1] if rule.max_age is not None else [])
        person = PersonFacts(person.disability, data.draw(st.sampled_from(ages + [None])), person.region,
                             person.needs, person.categories)
    elif broken == "region":
        outside = [r for r in REGIONS if r not in rule.regions]
        person = PersonFacts(person.disability, person.age, data.draw(st.sampled_from(outside + [None])),
                             person.needs, person.categories)
    else:
        person = PersonFacts(person.disability, person.age, person.region, person.needs,
                             person.categories - rule.categories)
    result = evaluate(person, [rule])
    assert not result.eligible and result.rule is None
    assert result.reason.startswith("not eligible: ")
    assert result.facts and all(not f.met for f in result.facts)
    kinds = {f.kind for f in result.facts}
    assert {"disability": "disability", "needs": "need", "age": "age", "region": "region",
            "categories": "category"}[broken] in kinds


@settings(max_examples=200, deadline=None)
@given(rule_list=st.lists(rules, min_size=1, max_size=3), usage=usages, data=st.data())
def test_the_quota_left_is_never_negative_nor_above_the_limit(rule_list, usage, data):
    person = matching_person(rule_list[0], data)
    result = evaluate(person, rule_list, usage)
    assert result.eligible
    for left in (result.quota_left_day, result.quota_left_month, result.quota_left_year):
        assert left is None or left >= 0
    rule = result.rule
    if rule.units_per_month is not None:
        assert result.quota_left_month <= rule.units_per_month
    if rule.units_per_year is not None:
        assert result.quota_left_month <= result.quota_left_year <= rule.units_per_year
    if result.quota_left_day is not None and result.quota_left_month is not None:
        assert result.quota_left_day <= result.quota_left_month


@settings(max_examples=100, deadline=None)
@given(rule_list=st.lists(rules, min_size=2, max_size=4), data=st.data())
def test_rules_are_alternatives(rule_list, data):
    """Meeting any one rule is enough; the deciding rule is one the person meets."""
    chosen = data.draw(st.sampled_from(rule_list))
    person = matching_person(chosen, data)
    result = evaluate(person, rule_list)
    assert result.eligible and all(f.met for f in result.facts)
    assert evaluate(person, [result.rule]).eligible


INVATAXI = [Rule(1, "I or II", disability_codes=frozenset({"group_1", "group_2"})),
            Rule(2, "wheelchair", needs=frozenset({"uses_wheelchair"})),
            Rule(3, "child", disability_codes=frozenset({"child_under_7"}), max_age=17)]


def test_the_reason_names_the_deciding_facts():
    yes = evaluate(PersonFacts("group_2", 40, "750000000", frozenset({"uses_wheelchair"})),
                   [Rule(1, "II and wheelchair", disability_codes=frozenset({"group_2"}),
                         needs=frozenset({"uses_wheelchair"}))])
    assert yes.reason == "eligible: group II, wheelchair user"
    no = evaluate(PersonFacts("group_3", 40, "750000000"), INVATAXI[:1])
    assert no.reason == "not eligible: group III"
    no = evaluate(PersonFacts("group_3", 40, "750000000"), INVATAXI)
    assert no.reason == "not eligible: group III, not a wheelchair user, age 40"
    assert evaluate(PersonFacts(None, 40), INVATAXI[:1]).reason == "not eligible: no disability recorded"
    assert evaluate(PersonFacts("group_1"), []).reason == "not eligible: no rule for this service"


def test_the_rule_leaving_most_units_this_month_decides():
    small = Rule(1, "small", units_per_month=Decimal(4))
    large = Rule(2, "large", units_per_month=Decimal(10))
    result = evaluate(PersonFacts("group_1"), [small, large], Usage(month=Decimal(3)))
    assert result.rule == large and result.quota_left_month == Decimal(7)
    assert evaluate(PersonFacts("group_1"), [small, Rule(3, "open")]).quota_left_month is None
