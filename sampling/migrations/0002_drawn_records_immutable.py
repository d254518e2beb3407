"""A confirmed draw and its assignments are evidence: the database itself refuses to change
them (PostgreSQL).

Draw: the one change allowed is the redraw's, confirmed → superseded with its time;
deleting a confirmed or superseded draw is refused too; previews stay editable.
Assignment: the one change allowed is retiring it on a redraw (is_active true → false);
its team (the M2M rows) can be added once and never changed or removed.
"""

from django.db import migrations

TRIGGER = """
CREATE OR REPLACE FUNCTION sampling_draw_refuse_change() RETURNS trigger AS $$
DECLARE
    probe sampling_draw%%ROWTYPE;
BEGIN
    IF OLD.status NOT IN ('confirmed', 'superseded') THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.status = 'confirmed' AND NEW.status = 'superseded' THEN
        probe := NEW;
        probe.status := OLD.status;
        probe.superseded_at := OLD.superseded_at;
        IF probe IS NOT DISTINCT FROM OLD THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'a confirmed draw cannot be changed (%% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER sampling_draw_immutable
    BEFORE UPDATE OR DELETE ON sampling_draw
    FOR EACH ROW EXECUTE FUNCTION sampling_draw_refuse_change();

CREATE OR REPLACE FUNCTION sampling_assignment_refuse_change() RETURNS trigger AS $$
DECLARE
    probe sampling_assignment%%ROWTYPE;
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.is_active AND NOT NEW.is_active THEN
        probe := NEW;
        probe.is_active := OLD.is_active;
        IF probe IS NOT DISTINCT FROM OLD THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'a drawn assignment cannot be changed (%% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER sampling_assignment_immutable
    BEFORE UPDATE OR DELETE ON sampling_assignment
    FOR EACH ROW EXECUTE FUNCTION sampling_assignment_refuse_change();

CREATE OR REPLACE FUNCTION sampling_team_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'a drawn team cannot be changed (%% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER sampling_team_immutable
    BEFORE UPDATE OR DELETE ON sampling_assignment_inspectors
    FOR EACH ROW EXECUTE FUNCTION sampling_team_refuse_change();
"""

DROP = """
DROP TRIGGER IF EXISTS sampling_team_immutable ON sampling_assignment_inspectors;
DROP FUNCTION IF EXISTS sampling_team_refuse_change();
DROP TRIGGER IF EXISTS sampling_assignment_immutable ON sampling_assignment;
DROP FUNCTION IF EXISTS sampling_assignment_refuse_change();
DROP TRIGGER IF EXISTS sampling_draw_immutable ON sampling_draw;
DROP FUNCTION IF EXISTS sampling_draw_refuse_change();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("sampling", "0001_draws_pool_conflicts_assignments")]
    operations = [migrations.RunPython(forwards, backwards)]
