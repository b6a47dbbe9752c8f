from django.db import migrations


def load(apps, schema_editor):
    from qamqor.social_services.reference import load_service_types

    load_service_types(apps.get_model("social_services", "ServiceType"),
                       apps.get_model("social_services", "EligibilityRule"))


class Migration(migrations.Migration):
    dependencies = [("social_services", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
