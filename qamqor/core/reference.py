"""Loading the checked reference data (../shared/reference, copied into core/data with its sources)."""

import csv
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def read_csv(name: str) -> list[dict]:
    with open(DATA / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def load_regions(Region) -> int:
    """Insert or update the 20 regions; keyed by KATO code so reloading is safe."""
    rows = read_csv("regions.csv")
    for row in rows:
        Region.objects.update_or_create(kato_code=row["kato_code"], defaults={
            "iso_code": row["iso_3166_2"], "name_kk": row["name_kk"], "name_ru": row["name_ru"],
            "name_en": row["name_en"], "admin_centre_en": row["admin_centre_en"], "source": row["source"],
            "notes": row["notes"]})
    return len(rows)


def load_holidays(Holiday) -> int:
    rows = read_csv("holidays.csv")
    for row in rows:
        Holiday.objects.update_or_create(date=row["date"], name_en=row["name_en"], defaults={
            "name_kk": row["name_kk"], "name_ru": row["name_ru"], "kind": row["kind"], "status": row["status"],
            "source": row["source"], "notes": row["notes"]})
    return len(rows)


def load_disability_categories(DisabilityCategory) -> int:
    severity = {"group_1": 1, "group_2": 2, "group_3": 3, "child_under_7": 1, "child_7_18_group_1": 1,
                "child_7_18_group_2": 2, "child_7_18_group_3": 3}
    rows = read_csv("disability.csv")
    for row in rows:
        DisabilityCategory.objects.update_or_create(code=row["code"], defaults={
            "name_kk": row["name_kk"], "name_ru": row["name_ru"], "name_en": row["name_en"],
            "age_range": row["age_range"], "legacy": row["code"].startswith("legacy_"),
            "severity": severity.get(row["code"]), "source": row["source"], "notes": row["notes"]})
    return len(rows)


def load_subsistence_minimum(SubsistenceMinimum) -> int:
    """Rows with their values; a row without a subsistence minimum keeps the previous one (as the file says)."""
    import re
    from decimal import Decimal

    rows = read_csv("subsistence_minimum.csv")
    previous_sm = None
    for row in rows:
        sm = Decimal(row["subsistence_minimum_kzt"]) if row["subsistence_minimum_kzt"] else previous_sm
        previous_sm = sm
        share = Decimal(re.match(r"\s*(\d+)%", row["poverty_line_rule"]).group(1)) / 100
        if "regional subsistence minimum" in row["poverty_line_rule"]:
            share = Decimal("0.70")  # from 2025: the higher of 35% of median income or 70% of the regional minimum
        SubsistenceMinimum.objects.update_or_create(effective_from=row["effective_from"], defaults={
            "subsistence_minimum_kzt": sm, "mci_kzt": Decimal(row["mci_kzt"]), "poverty_line_share": share,
            "poverty_line_rule": row["poverty_line_rule"], "source": row["source_sm_mci"] + ";" + row["source_poverty_line"],
            "notes": row["notes"]})
    return len(rows)
