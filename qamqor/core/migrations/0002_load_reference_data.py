"""Load the 20 regions and the public holidays 2019-2030 from core/data (copied from ../shared/reference)."""

from django.db import migrations


def load(apps, schema_editor):
    from qamqor.core.reference import load_holidays, load_regions

    load_regions(apps.get_model("core", "Region"))
    load_holidays(apps.get_model("core", "Holiday"))


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
