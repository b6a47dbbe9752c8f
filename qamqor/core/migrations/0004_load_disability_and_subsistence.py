from django.db import migrations


def load(apps, schema_editor):
    from qamqor.core.reference import load_disability_categories, load_subsistence_minimum

    load_disability_categories(apps.get_model("core", "DisabilityCategory"))
    load_subsistence_minimum(apps.get_model("core", "SubsistenceMinimum"))


class Migration(migrations.Migration):
    dependencies = [("core", "0003_disability_and_subsistence")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
