"""dumpdata never writes an encrypted value in plaintext."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from carecore.crypto.management.commands.dumpdata import (
    ENCRYPTED_MODEL_REFUSED,
    models_with_encrypted_fields,
)
from tests.conftest import canary
from tests.testapp.models import Secret

pytestmark = pytest.mark.django_db


def test_a_full_dump_leaves_encrypted_models_out():
    Secret.objects.create(body=canary("dumped-body"))
    out, err = io.StringIO(), io.StringIO()

    call_command("dumpdata", stdout=out, stderr=err)

    dumped = json.loads(out.getvalue())
    assert "CANARY" not in out.getvalue()
    assert not any(row["model"] == "testapp.secret" for row in dumped)
    assert any(row["model"] == "auth.group" for row in dumped)
    assert "models with encrypted fields" in err.getvalue()


@pytest.mark.parametrize("label", ["testapp", "testapp.Secret", "testapp.secret"])
def test_naming_an_encrypted_model_or_its_app_is_refused(label):
    with pytest.raises(CommandError) as raised:
        call_command("dumpdata", label, stdout=io.StringIO(), stderr=io.StringIO())

    assert str(raised.value) == ENCRYPTED_MODEL_REFUSED.format(label="testapp.Secret")


def test_every_patient_model_with_encrypted_fields_is_protected():
    labels = {model._meta.label for model in models_with_encrypted_fields()}

    assert {"patients.Patient", "patients.ClinicalNote", "patients.Attachment"} <= labels
