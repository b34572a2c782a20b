"""`dumpdata` that never writes encrypted fields out in plaintext.

Django's serializers decrypt every field they read, so a dump of a patient or wellbeing model
would be a plaintext copy of the record. Models with an encrypted field are left out of a full
dump and refused when named; exporting them is a feature of its own, audited and approved.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import CommandError
from django.core.management.commands import dumpdata
from django.db import models

from carecore.crypto.fields import EncryptedFieldMixin

ENCRYPTED_MODEL_REFUSED = (
    "{label} holds encrypted fields and is never dumped: dumpdata would write them in plaintext."
)


def models_with_encrypted_fields() -> list[type[models.Model]]:
    """Return every installed model that declares an encrypted field."""
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if any(isinstance(field, EncryptedFieldMixin) for field in model._meta.get_fields())
    ]


class Command(dumpdata.Command):
    help = dumpdata.Command.help + " Models with encrypted fields are always left out."

    def handle(self, *app_labels: str, **options: Any) -> None:
        protected = models_with_encrypted_fields()
        for label in app_labels:
            app_label, _, model_name = label.partition(".")
            for model in protected:
                if model._meta.app_label == app_label and model_name.lower() in (
                    "",
                    model._meta.model_name,
                ):
                    raise CommandError(ENCRYPTED_MODEL_REFUSED.format(label=model._meta.label))
        options["exclude"] = [*options.get("exclude", []), *(m._meta.label for m in protected)]
        if protected:
            self.stderr.write(
                f"Left out {len(protected)} models with encrypted fields "
                "(they are never dumped)."
            )
        super().handle(*app_labels, **options)
