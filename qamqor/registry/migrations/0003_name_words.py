"""The search vocabulary: every word of every folded name, kept by a trigger on PostgreSQL; names are then found
through a GIN index on their words instead of trigrams of the whole name (DESIGN.md section 6: p95 <= 50 ms)."""

from django.db import migrations, models

FORWARD = [
    # Words are added rarely and looked up on every search: no pending list, which the planner would refuse.
    "CREATE INDEX IF NOT EXISTS nameword_word_trgm ON registry_nameword USING gin (word gin_trgm_ops) "
    "WITH (fastupdate = off)",
    # Without a pending list too: a search must not scan thousands of entries not yet merged into the index after
    # a bulk load (only VACUUM or autovacuum would merge them); three words per insert are cheap to index at once.
    "CREATE INDEX IF NOT EXISTS person_name_words ON registry_person "
    "USING gin ((string_to_array(name_key::text, ' '))) WITH (fastupdate = off)",
    """CREATE OR REPLACE FUNCTION registry_person_name_words() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO registry_nameword (word)
        SELECT DISTINCT w FROM unnest(string_to_array(NEW.name_key::text, ' ')) AS w WHERE w <> ''
        ON CONFLICT DO NOTHING;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER registry_person_name_words AFTER INSERT OR UPDATE OF name_key ON registry_person "
    "FOR EACH ROW EXECUTE FUNCTION registry_person_name_words()",
    "INSERT INTO registry_nameword (word) SELECT DISTINCT w FROM registry_person, "
    "unnest(string_to_array(name_key::text, ' ')) AS w WHERE w <> '' ON CONFLICT DO NOTHING",
    # Whole-name trigrams are no longer searched; the planner also misused them for the initials' LIKE.
    "DROP INDEX IF EXISTS person_name_key_trgm",
]

BACKWARD = [
    "CREATE INDEX IF NOT EXISTS person_name_key_trgm ON registry_person USING gin (name_key gin_trgm_ops)",
    "DROP TRIGGER IF EXISTS registry_person_name_words ON registry_person",
    "DROP FUNCTION IF EXISTS registry_person_name_words()",
    "DROP INDEX IF EXISTS person_name_words",
    "DROP INDEX IF EXISTS nameword_word_trgm",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in FORWARD:
            schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in BACKWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_categories_and_search_index")]

    operations = [
        migrations.CreateModel(
            name="NameWord",
            fields=[("word", models.TextField(primary_key=True, serialize=False))],
            options={"db_table": "registry_nameword"},
        ),
        migrations.RunPython(forward, backward),
    ]
