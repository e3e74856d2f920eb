"""The full-text search tables of the commons (see tiers.commons.search): on PostgreSQL a
tsvector table with a GIN index, on SQLite an FTS5 table; each with a trigger that drops the
entry of a deleted page. Pages that already exist are indexed."""

from django.db import migrations


def create(apps, schema_editor):
    from tiers.commons import search

    for statement in search.schema_statements(schema_editor.connection.vendor):
        schema_editor.execute(statement)
    if apps.get_model("commons", "Page").objects.using(schema_editor.connection.alias).exists():
        search.reindex_all()


def drop(apps, schema_editor):
    from tiers.commons import search

    for statement in search.schema_statements(schema_editor.connection.vendor, drop=True):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("commons", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
