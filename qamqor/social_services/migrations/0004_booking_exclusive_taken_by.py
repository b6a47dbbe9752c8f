"""Shared InvaTaxi rides: a booking says whether it holds its staff member's time alone (`exclusive`), and the
PostgreSQL exclusion constraint of migration 0003 ("no staff member holds two overlapping bookings") applies only to
exclusive bookings. A driver carries several passengers at once, so a ride of a service delivered by a driver is not
exclusive; existing rows take the value from their service type.

Bookings taken by a provider's dispatcher for a person name that provider (`taken_by`)."""

import django.db.models.deletion
from django.db import migrations, models

CONSTRAINT = """ALTER TABLE social_services_booking ADD CONSTRAINT ss_booking_staff_no_overlap
       EXCLUDE USING gist (staff_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
       WHERE (staff_id IS NOT NULL AND status <> 'cancelled'{condition})"""
DROP = "ALTER TABLE social_services_booking DROP CONSTRAINT IF EXISTS ss_booking_staff_no_overlap"


def mark_shared(apps, schema_editor):
    Booking = apps.get_model("social_services", "Booking")
    Booking.objects.filter(service_type__staff_role="driver").update(exclusive=False)


def constraint(condition):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(DROP, params=None)
        schema_editor.execute(CONSTRAINT.format(condition=condition), params=None)
    return apply


class Migration(migrations.Migration):
    dependencies = [("organizations", "0001_initial"), ("social_services", "0003_postgres_guards")]
    operations = [
        migrations.AddField(
            model_name="booking",
            name="exclusive",
            field=models.BooleanField(default=True, verbose_name="holds the staff member's time alone"),
        ),
        migrations.AddField(
            model_name="booking",
            name="taken_by",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to="organizations.organization",
                                    verbose_name="taken by the provider"),
        ),
        migrations.RunPython(mark_shared, migrations.RunPython.noop),
        # Backwards, the rides of one driver that overlap would refuse the old constraint: cancel or reassign them
        # first.
        migrations.RunPython(constraint(" AND exclusive"), constraint("")),
    ]
