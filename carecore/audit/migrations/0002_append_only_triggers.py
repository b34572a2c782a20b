"""Make the audit tables refuse UPDATE, DELETE and TRUNCATE on PostgreSQL (no-op on SQLite)."""

from django.db import migrations

from carecore.audit.database import audit_triggers_install, audit_triggers_remove


def install(apps, schema_editor):
    audit_triggers_install(schema_editor=schema_editor)


def remove(apps, schema_editor):
    audit_triggers_remove(schema_editor=schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(install, remove, elidable=False),
    ]
