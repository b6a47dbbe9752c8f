"""Loading the special-social-service norms (../shared/reference/social_services.csv, copied into data/ with its
sources) into ServiceType rows and their eligibility rules. Used by migration 0002 and by tests whose flush empties
the tables.

What comes from the file: the codes, Russian and English names, and the columns norm, eligible, how_provided,
legal_basis, source and notes, verbatim. What is decided here (and said in each rule's notes): how the file's
wording maps onto the registry's fields, because the registry has no "individual habilitation programme" (IPAR) or
"difficulty moving" field. The Kazakh names are translations made for Qamqor: the file has none. No tariff is in
the file, so none is set."""

import csv
from decimal import Decimal
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"

ALL_DISABILITY_CODES = ["group_1", "group_2", "group_3", "child_under_7", "child_7_18_group_1", "child_7_18_group_2",
                        "child_7_18_group_3", "legacy_child_under_16", "legacy_child_16_18"]
CHILD_CODES = ["child_under_7", "child_7_18_group_1", "child_7_18_group_2", "child_7_18_group_3",
               "legacy_child_under_16", "legacy_child_16_18"]

# code: (name_kk, unit, staff_role, default minutes, bookable here)
SETUP = {
    "sign_language_specialist": ("ымдау тілі маманының қызметтері", "hour", "interpreter", 60, True),
    "individual_assistant": ("жеке көмекшінің қызметтері", "hour", "assistant", 240, True),
    "personal_assistant": ("жеке ассистент", "hour", "assistant", 60, False),
    "invataxi": ("инватакси қызметтері", "ride", "driver", 60, True),
    "sanatorium_treatment": ("санаторий-курорттық емдеу", "course", "", 24 * 60, False),
    "technical_aids_portal": ("Әлеуметтік қызметтер порталы арқылы техникалық көмекші құралдар", "visit", "",
                              60, False),
}

# code: [rule, ...] where a rule is a dict of EligibilityRule fields.
RULES = {
    "sign_language_specialist": [{
        "name": "Deaf or hard of hearing, uses sign language, with a disability",
        "disability_codes": ALL_DISABILITY_CODES, "needs": ["deaf_sign_language"],
        "units_per_year": Decimal("60"), "source": "SOCCODE163;ORDER26;UCHET2021",
        "notes": "60 hours a year: the norm of the rules in force until 30 Jun 2023 (the current figure is not "
                 "re-confirmed). The file's 'IPAR includes the service' is not in the registry: the hearing flag and "
                 "a disability stand for it."}],
    "individual_assistant": [{
        "name": "Group I with difficulty moving",
        "disability_codes": ["group_1"], "needs": ["uses_wheelchair"], "min_age": 18,
        "units_per_day": Decimal("8"), "source": "SOCCODE163;INFORM_IA;ZAKON2025",
        "notes": "Up to 8 hours a day (Social Code art. 163(2)). 'Difficulty moving' is read from the wheelchair "
                 "flag. Not provided while a carer's allowance (art. 187) is paid: the registry does not hold that "
                 "allowance, so the provider checks it."}],
    "invataxi": [
        {"name": "Disability group I or II", "disability_codes": ["group_1", "group_2"],
         "source": "INVATAXI_RULES;INFORM_SHYM", "notes": "No national trip quota found."},
        {"name": "Wheelchair user", "needs": ["uses_wheelchair"], "source": "INVATAXI_RULES;INFORM_SHYM",
         "notes": "No national trip quota found."},
        {"name": "Child with a disability under 18", "disability_codes": CHILD_CODES, "max_age": 17,
         "source": "INVATAXI_RULES;INFORM_SHYM",
         "notes": "The source's list of eligible people is truncated (severe mental disorders and more); regional "
                  "practice differs. Check the current rules before relying on these."},
    ],
    "sanatorium_treatment": [{
        "name": "Person or child with a disability", "disability_codes": ALL_DISABILITY_CODES,
        "units_per_year": Decimal("1"), "source": "ORDER283;INKARAGANDA",
        "notes": "One 14-day course a year, as reported by a regional official (not the order's text)."}],
    "technical_aids_portal": [{
        "name": "Person or child with a disability", "disability_codes": ALL_DISABILITY_CODES,
        "source": "ORDER284;ORDER345", "notes": "Items and replacement terms follow the classifier."}],
}


def read_rows() -> list[dict]:
    with open(DATA / "social_services.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def load_service_types(ServiceType, EligibilityRule=None) -> int:
    """Insert or update the service types (keyed by code, so reloading is safe) and, for a type without rules yet,
    its rules from RULES."""
    rows = read_rows()
    for row in rows:
        name_kk, unit, staff_role, minutes, bookable = SETUP[row["service_code"]]
        confirmed = row["norm"].strip().upper() != "NOT FOUND"
        service_type, _created = ServiceType.objects.update_or_create(code=row["service_code"], defaults={
            "name_kk": name_kk, "name_ru": row["name_ru"], "name_en": row["name_en"], "unit": unit,
            "staff_role": staff_role, "default_minutes": minutes, "active": bookable and confirmed,
            "norm": row["norm"], "eligible_text": row["eligible"], "how_provided": row["how_provided"],
            "legal_basis": row["legal_basis"], "source": row["source"], "notes": row["notes"]})
        if EligibilityRule is not None and not EligibilityRule.objects.filter(service_type=service_type).exists():
            for priority, rule in enumerate(RULES.get(row["service_code"], []), start=1):
                EligibilityRule.objects.create(service_type=service_type, priority=priority * 10, **rule)
    return len(rows)
