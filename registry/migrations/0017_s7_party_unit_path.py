"""People carry their record's unit path (`Party.unit_path`), kept by the database.

A name search at province scope matched ~80,000 people and joined every one to its record to
check the scope and sort; with the path on the party row, `registry.search` finds the first
matches in scope on one index (name, record, path) without reading the records.

Triggers keep the column right whoever writes (the entry form, imports by COPY or bulk, the API,
amendments): a party's path is always read from its record on insert and when it moves to another
record, and a record's new unit path is copied to its people.
"""

from django.db import migrations, models

TRIGGERS = """
CREATE FUNCTION registry_party_unit_path() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT r.unit_path INTO NEW.unit_path FROM registry_civilrecord r WHERE r.id = NEW.record_id;
    NEW.unit_path := COALESCE(NEW.unit_path, '');
    RETURN NEW;
END $$;

CREATE TRIGGER registry_party_unit_path
    BEFORE INSERT OR UPDATE OF record_id, unit_path ON registry_party
    FOR EACH ROW EXECUTE FUNCTION registry_party_unit_path();

CREATE FUNCTION registry_record_unit_path_to_parties() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE registry_party SET unit_path = NEW.unit_path WHERE record_id = NEW.id;
    RETURN NULL;
END $$;

CREATE TRIGGER registry_record_unit_path_to_parties
    AFTER UPDATE OF unit_path ON registry_civilrecord
    FOR EACH ROW WHEN (OLD.unit_path IS DISTINCT FROM NEW.unit_path)
    EXECUTE FUNCTION registry_record_unit_path_to_parties();

UPDATE registry_party p SET unit_path = r.unit_path
FROM registry_civilrecord r WHERE r.id = p.record_id AND p.unit_path IS DISTINCT FROM r.unit_path;
"""

DROP_TRIGGERS = """
DROP TRIGGER registry_record_unit_path_to_parties ON registry_civilrecord;
DROP FUNCTION registry_record_unit_path_to_parties();
DROP TRIGGER registry_party_unit_path ON registry_party;
DROP FUNCTION registry_party_unit_path();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0016_identity_lookup_index"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="party",
            name="party_name_key",
        ),
        migrations.AddField(
            model_name="party",
            name="unit_path",
            field=models.CharField(blank=True, db_default="", default="", editable=False, max_length=255),
        ),
        migrations.RunSQL(TRIGGERS, DROP_TRIGGERS),
        migrations.AlterField(
            model_name="party",
            name="name_key",
            field=models.CharField(blank=True, db_collation="C", editable=False, max_length=120),
        ),
        migrations.AddIndex(
            model_name="party",
            index=models.Index(
                fields=["name_key", "record"],
                include=("unit_path",),
                name="party_name_key",
            ),
        ),
        migrations.AddIndex(
            model_name="party",
            index=models.Index(
                fields=["unit_path", "name_key", "record"],
                name="party_path_name",
                opclasses=["varchar_pattern_ops", "varchar_ops", "int8_ops"],
            ),
        ),
    ]
