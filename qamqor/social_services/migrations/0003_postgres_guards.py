"""PostgreSQL guards the ORM cannot declare portably (SQLite relies on the services' checks under a transaction):

- no staff member holds two bookings that overlap: an exclusion constraint (btree_gist) over (staff, time range) for
  every booking with staff that is not cancelled;
- an act's stored totals equal the sums of its lines (a deferred constraint trigger, checked at commit), and an
  issued act and its lines never change."""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    """ALTER TABLE social_services_booking ADD CONSTRAINT ss_booking_staff_no_overlap
       EXCLUDE USING gist (staff_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
       WHERE (staff_id IS NOT NULL AND status <> 'cancelled')""",
    """CREATE OR REPLACE FUNCTION social_services_act_totals() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        target bigint;
        act social_services_act%ROWTYPE;
        sum_units numeric;
        sum_amount numeric;
    BEGIN
        IF TG_TABLE_NAME = 'social_services_act' THEN
            target := NEW.id;
        ELSIF TG_OP = 'DELETE' THEN
            target := OLD.act_id;
        ELSE
            target := NEW.act_id;
        END IF;
        SELECT * INTO act FROM social_services_act WHERE id = target;
        IF NOT FOUND THEN
            RETURN NULL;
        END IF;
        SELECT COALESCE(SUM(units), 0), COALESCE(SUM(amount), 0) INTO sum_units, sum_amount
          FROM social_services_actline WHERE act_id = target;
        IF sum_units <> act.total_units OR sum_amount <> act.total_amount THEN
            RAISE EXCEPTION 'act % totals (% units, % KZT) do not equal the sum of its lines (%, %)',
                target, act.total_units, act.total_amount, sum_units, sum_amount USING ERRCODE = '23514';
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE CONSTRAINT TRIGGER ss_act_totals_equal_lines AFTER INSERT OR UPDATE ON social_services_act
       DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION social_services_act_totals()""",
    """CREATE CONSTRAINT TRIGGER ss_act_line_totals_equal_lines AFTER INSERT OR UPDATE OR DELETE ON social_services_actline
       DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION social_services_act_totals()""",
    """CREATE OR REPLACE FUNCTION social_services_act_issued_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_TABLE_NAME = 'social_services_act' THEN
            IF OLD.status = 'issued' THEN
                RAISE EXCEPTION 'act % is issued and cannot be changed', OLD.id USING ERRCODE = '23514';
            END IF;
        ELSIF EXISTS (SELECT 1 FROM social_services_act
                       WHERE status = 'issued'
                         AND id IN (CASE WHEN TG_OP = 'INSERT' THEN NEW.act_id ELSE OLD.act_id END,
                                    CASE WHEN TG_OP = 'DELETE' THEN OLD.act_id ELSE NEW.act_id END)) THEN
            RAISE EXCEPTION 'the lines of an issued act cannot be changed' USING ERRCODE = '23514';
        END IF;
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER ss_act_issued_frozen BEFORE UPDATE OR DELETE ON social_services_act
       FOR EACH ROW EXECUTE FUNCTION social_services_act_issued_frozen()""",
    """CREATE TRIGGER ss_act_line_issued_frozen BEFORE INSERT OR UPDATE OR DELETE ON social_services_actline
       FOR EACH ROW EXECUTE FUNCTION social_services_act_issued_frozen()""",
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS ss_act_line_issued_frozen ON social_services_actline",
    "DROP TRIGGER IF EXISTS ss_act_issued_frozen ON social_services_act",
    "DROP FUNCTION IF EXISTS social_services_act_issued_frozen()",
    "DROP TRIGGER IF EXISTS ss_act_line_totals_equal_lines ON social_services_actline",
    "DROP TRIGGER IF EXISTS ss_act_totals_equal_lines ON social_services_act",
    "DROP FUNCTION IF EXISTS social_services_act_totals()",
    "ALTER TABLE social_services_booking DROP CONSTRAINT IF EXISTS ss_booking_staff_no_overlap",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement, params=None)  # None: the % of RAISE are not placeholders
    return apply


class Migration(migrations.Migration):
    dependencies = [("social_services", "0002_load_service_types")]
    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD))]
