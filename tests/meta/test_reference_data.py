"""Data written by migrations survives transactional tests that flush the database."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from carecore.accounts.models import ConfidentialityRules
from carecore.accounts.roles import Role
from staffwellbeing.models import InstrumentVersion


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_sees_the_reference_data():
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)
    assert ConfidentialityRules.objects.filter(version=1).exists()


@pytest.mark.django_db(transaction=True)
def test_a_second_transactional_test_still_sees_it():
    assert Group.objects.filter(name__in=Role.values).count() == len(Role.values)
    assert Group.objects.get(name=Role.ADMIN).permissions.filter(codename="manage_access").exists()


@pytest.mark.django_db
def test_a_plain_test_after_them_sees_it():
    assert Group.objects.filter(name__in=Role.values).count() == len(Role.values)
    assert ConfidentialityRules.objects.exists()
    assert InstrumentVersion.objects.filter(number=1, items__letter="m").exists()
