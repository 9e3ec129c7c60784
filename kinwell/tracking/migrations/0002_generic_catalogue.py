"""Loads the generic catalogue (kinwell.tracking.generic_catalogue): entries
are matched by name among the generic ones (community empty), so running it
again updates them in place and adds nothing twice."""

from django.db import migrations

from kinwell.tracking import generic_catalogue


def load(apps, schema_editor):
    generic_catalogue.load(lambda name: apps.get_model("tracking", name))


class Migration(migrations.Migration):
    dependencies = [
        ("tracking", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
