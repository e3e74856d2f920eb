from django.db import migrations

KINDS = [
    "coworking", "fablab", "epn", "medialab", "living_lab", "workshop", "cafe", "food",
    "cultural", "rural", "hybrid", "other",
]  # fmt: skip


def create_kinds(apps, schema_editor):
    PlaceKind = apps.get_model("places", "PlaceKind")
    PlaceKind.objects.bulk_create([PlaceKind(code=code) for code in KINDS], ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("places", "0001_initial")]
    operations = [migrations.RunPython(create_kinds, migrations.RunPython.noop)]
