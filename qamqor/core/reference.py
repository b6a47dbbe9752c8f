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
