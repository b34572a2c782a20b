"""Leave the runtime role (CARECORE_DB_APP_ROLE) only SELECT and INSERT on the audit tables.

Runs as the owner role that applies migrations; skipped when the setting is empty or the
database is not PostgreSQL. Re-apply later with `manage.py audit_grant_app_role`.
"""

from django.conf import settings
from django.db import migrations

from carecore.audit.database import audit_privileges_grant


def grant(apps, schema_editor):
    role = getattr(settings, "CARECORE_DB_APP_ROLE", "")
    if role:
        audit_privileges_grant(connection=schema_editor.connection, role=role)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0002_append_only_triggers"),
    ]

    operations = [
        migrations.RunPython(grant, migrations.RunPython.noop, elidable=False),
    ]
