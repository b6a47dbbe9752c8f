"""The vulnerability categories of DESIGN.md section 1 as data, and on PostgreSQL the trigram index for name search."""

from django.db import migrations

CATEGORIES = [
    # code, applies to, weight, derived, kk, ru, en
    ("disability", "person", "3", True, "Мүгедектігі бар адам", "Лицо с инвалидностью", "Person with disability"),
    ("large_family", "household", "2", True, "Көп балалы отбасы", "Многодетная семья", "Large family"),
    ("low_income", "household", "3", True, "Аз қамтылған отбасы", "Малообеспеченная семья", "Low-income family"),
    ("tsa_recipient", "household", "3", False, "Атаулы әлеуметтік көмек алушы", "Получатель адресной социальной помощи",
     "Receives targeted social assistance"),
    ("pensioner", "person", "1", False, "Зейнеткер", "Пенсионер", "Pensioner"),
    ("veteran", "person", "1.5", False, "Ардагер", "Ветеран", "Veteran"),
    ("health_worker_family", "household", "1", False, "Медицина қызметкерінің отбасы", "Семья медицинского работника",
     "Family of a health worker"),
    ("disaster_victim", "household", "2.5", False, "Табиғи апаттан зардап шеккендер", "Пострадавшие от стихийного бедствия",
     "Victims of a disaster"),
    ("homeless", "person", "3", False, "Баспанасыз адам", "Лицо без определённого места жительства", "Homeless person"),
    ("former_prisoner", "person", "1", False, "Бас бостандығынан айыру орнынан босатылған адам",
     "Лицо, освобождённое из мест лишения свободы", "Former prisoner"),
    ("addiction_recovery", "person", "1", False, "Тәуелділіктен айығып жүрген адам", "Лицо, восстанавливающееся от зависимости",
     "Recovering from addiction"),
    ("orphan", "person", "2", False, "Жетім бала немесе ата-анасының қамқорлығынсыз қалған бала",
     "Ребёнок-сирота или оставшийся без попечения родителей", "Orphan or child without parental care"),
    ("single_parent", "household", "1.5", False, "Толық емес отбасы", "Неполная семья", "Single-parent family"),
]


def load(apps, schema_editor):
    Category = apps.get_model("registry", "Category")
    for code, applies_to, weight, derived, kk, ru, en in CATEGORIES:
        Category.objects.update_or_create(code=code, defaults={
            "applies_to": applies_to, "weight": weight, "derived": derived, "name_kk": kk, "name_ru": ru, "name_en": en})


def trigram_index(apps, schema_editor):
    # Name search matches trigrams of the folded name; SQLite has no pg_trgm and searches without this index.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute("CREATE INDEX IF NOT EXISTS person_name_key_trgm ON registry_person "
                              "USING gin (name_key gin_trgm_ops)")


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS person_name_key_trgm")


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [
        migrations.RunPython(load, migrations.RunPython.noop),
        migrations.RunPython(trigram_index, drop_trigram_index),
    ]
