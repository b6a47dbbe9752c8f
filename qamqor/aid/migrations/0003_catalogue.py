"""The starting item catalogue: what charity coordination in Kazakhstan hands out most (issue 4). Coordinators
add more; values are typical prices, to be edited, and only used for reports of goods given in tenge."""

from decimal import Decimal

from django.db import migrations

ITEMS = [
    # code, kind, help kind, unit, value ₸, kk, ru, en
    ("food-package", "kit", "food", "package", "15000", "Азық-түлік себеті", "Продуктовый набор", "Food package"),
    ("flour-10kg", "goods", "food", "package", "4500", "Ұн, 10 кг", "Мука, 10 кг", "Flour, 10 kg"),
    ("sunflower-oil-1l", "goods", "food", "piece", "900", "Күнбағыс майы, 1 л", "Подсолнечное масло, 1 л",
     "Sunflower oil, 1 l"),
    ("rice-5kg", "goods", "food", "package", "3500", "Күріш, 5 кг", "Рис, 5 кг", "Rice, 5 kg"),
    ("tea-250g", "goods", "food", "package", "1200", "Шай, 250 г", "Чай, 250 г", "Tea, 250 g"),
    ("meat-portion", "goods", "food", "portion", "8000", "Ет үлесі (құрбандық)", "Порция мяса (курбан)",
     "Meat portion (sacrifice)"),
    ("medicine-course", "goods", "medicine", "course", "12000", "Дәрі-дәрмек курсы", "Курс лекарств",
     "Course of medicine"),
    ("ventilator", "goods", "medical_equipment", "piece", "4500000", "Өкпені жасанды желдету аппараты",
     "Аппарат ИВЛ", "Ventilator"),
    ("oxygen-concentrator", "goods", "medical_equipment", "piece", "350000", "Оттегі концентраторы",
     "Кислородный концентратор", "Oxygen concentrator"),
    ("test-kit", "goods", "medical_equipment", "piece", "2500", "Экспресс-тест", "Экспресс-тест", "Test kit"),
    ("laptop", "goods", "education", "piece", "220000", "Қашықтан оқуға арналған ноутбук",
     "Ноутбук для дистанционного обучения", "Laptop for distance learning"),
    ("wheelchair", "goods", "mobility", "piece", "120000", "Мүгедектер арбасы", "Инвалидная коляска", "Wheelchair"),
    ("winter-clothes", "goods", "clothes", "set", "25000", "Қысқы киім жиынтығы", "Комплект зимней одежды",
     "Winter clothes set"),
    ("school-kit", "kit", "education", "set", "18000", "Мектеп жиынтығы", "Школьный набор", "School kit"),
    ("cash-assistance", "money", "cash", "kzt", "1", "Ақшалай көмек", "Денежная помощь", "Cash assistance"),
    ("legal-aid", "service", "service", "hour", None, "Заң көмегі", "Юридическая помощь", "Legal aid"),
    ("psychological-support", "service", "service", "hour", None, "Психологиялық қолдау",
     "Психологическая поддержка", "Psychological support"),
]

KITS = {"food-package": [("flour-10kg", 1), ("sunflower-oil-1l", 2), ("rice-5kg", 1), ("tea-250g", 1)]}


def load(apps, schema_editor):
    Item = apps.get_model("aid", "Item")
    KitComponent = apps.get_model("aid", "KitComponent")
    for code, kind, help_kind, unit, value, kk, ru, en in ITEMS:
        Item.objects.update_or_create(code=code, defaults={
            "kind": kind, "help_kind": help_kind, "unit": unit, "value_kzt": Decimal(value) if value else None,
            "name_kk": kk, "name_ru": ru, "name_en": en})
    for kit, parts in KITS.items():
        kit_item = Item.objects.get(code=kit)
        for code, quantity in parts:
            KitComponent.objects.update_or_create(kit=kit_item, item=Item.objects.get(code=code),
                                                  defaults={"quantity": quantity})


class Migration(migrations.Migration):
    dependencies = [("aid", "0002_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
