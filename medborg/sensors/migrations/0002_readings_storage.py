"""Add a BRIN index on sensors_reading.measured_at, on PostgreSQL only.

Chosen by measurement (docs/adr/0007-readings-storage.md, bench/storage.py):
readings arrive in time order, so a BRIN index of a few hundred kilobytes
turns "all readings of one day" (forecasts, downsampling) from a scan of the
whole table into a scan of that day's pages, and costs inserts nothing
measurable. The model does not declare it, because Django cannot express
BRIN portably and SQLite needs no such index: the migration state is
unchanged, so ``makemigrations --check`` still reports no changes.
"""

from django.db import migrations

INDEX = "sensors_reading_measured_brin"


def create_brin(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # 32 pages (~3,000 readings) per range: a day of 5,000 sensors spans
    # about ten ranges, so a day's query reads little beyond its own rows.
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON sensors_reading "
        "USING brin (measured_at) WITH (pages_per_range = 32)"
    )


def drop_brin(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("sensors", "0001_initial")]

    operations = [
        migrations.RunPython(create_brin, drop_brin, elidable=False),
    ]
