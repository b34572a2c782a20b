"""Consent: recording, withdrawal, and `consent_permits` exact for every status and expiry."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from carecore.audit.events import EventType
from patients import services
from patients.exceptions import (
    CONSENT_EXPIRY_IN_PAST,
    CONSENT_EXPLANATION_REQUIRED,
    CONSENT_NOT_WITHDRAWABLE,
    CONSENT_ORGANISATION_NOT_APPLICABLE,
    CONSENT_ORGANISATION_REQUIRED,
    CONSENT_REASON_REQUIRED,
    CONSENT_STATUS_NOT_RECORDABLE,
    InvalidRequest,
)
from patients.models import Consent, ConsentPurpose, ConsentStatus
from patients.services import ConsentDetails, consent_permits

from .conftest import only_event, snapshot
from .factories import ConsentFactory, PatientFactory

pytestmark = pytest.mark.django_db

PURPOSE = ConsentPurpose.CARE_AND_DATA


def days(n: int | None) -> dt.date | None:
    return None if n is None else timezone.localdate() + dt.timedelta(days=n)


# (status, expiry offset in days, withdrawn how long ago in seconds or None) -> permits now?
TABLE = [
    (ConsentStatus.GIVEN, None, None, True),
    (ConsentStatus.GIVEN, 1, None, True),
    (ConsentStatus.GIVEN, 0, None, True),  # expires_on is the last valid day
    (ConsentStatus.GIVEN, -1, None, False),
    (ConsentStatus.REFUSED, None, None, False),
    (ConsentStatus.REFUSED, 1, None, False),
    (ConsentStatus.NOT_OBTAINED, None, None, False),
    (ConsentStatus.NOT_OBTAINED, 1, None, False),
    (ConsentStatus.WITHDRAWN, None, 1, False),
    (ConsentStatus.WITHDRAWN, 1, 1, False),
    (ConsentStatus.WITHDRAWN, -1, 1, False),
]


@pytest.mark.parametrize(("status", "expiry", "withdrawn_ago", "expected"), TABLE)
def test_permits_for_every_status_and_expiry(status, expiry, withdrawn_ago, expected):
    patient = PatientFactory()
    now = timezone.now()
    consent = ConsentFactory(
        patient=patient,
        purpose=PURPOSE,
        status=status,
        expires_on=days(expiry),
        recorded_at=now - dt.timedelta(hours=1),
    )
    if withdrawn_ago is not None:
        Consent.objects.filter(pk=consent.pk).update(
            withdrawn_at=now - dt.timedelta(seconds=withdrawn_ago)
        )

    assert consent_permits(patient=patient, purpose=PURPOSE) is expected


def test_no_record_means_no():
    assert consent_permits(patient=PatientFactory(), purpose=PURPOSE) is False


def test_other_purposes_are_independent_and_research_is_separate():
    patient = PatientFactory()
    ConsentFactory(patient=patient, purpose=ConsentPurpose.CARE_AND_DATA)

    assert consent_permits(patient=patient, purpose=ConsentPurpose.CARE_AND_DATA)
    for purpose in set(ConsentPurpose) - {ConsentPurpose.CARE_AND_DATA}:
        assert consent_permits(patient=patient, purpose=purpose, organisation="Any") is False


def test_sharing_is_per_named_organisation():
    patient = PatientFactory()
    ConsentFactory(
        patient=patient,
        purpose=ConsentPurpose.SHARING_WITH_ORGANISATION,
        organisation="St. Mary's Clinic",
    )
    sharing = ConsentPurpose.SHARING_WITH_ORGANISATION

    assert consent_permits(patient=patient, purpose=sharing, organisation="st marys clinic")
    assert not consent_permits(patient=patient, purpose=sharing, organisation="Other Clinic")
    assert not consent_permits(patient=patient, purpose=sharing)


# A reference model of the rule, written independently of the service.
record_strategy = st.tuples(
    st.sampled_from(list(ConsentStatus)),
    st.sampled_from([None, -2, -1, 0, 1, 2]),  # expiry offset in days
    st.booleans(),  # for withdrawn: withdrawn after the query moment (still given then)
)


def reference(records, at_index: int, moment: dt.datetime) -> bool:
    """Whether consent holds at `moment`, between record at_index and the next one."""
    visible = records[: at_index + 1]
    if not visible:
        return False
    status, expiry, withdrawn_later = visible[-1]
    if status in (ConsentStatus.REFUSED, ConsentStatus.NOT_OBTAINED):
        return False
    if status == ConsentStatus.WITHDRAWN and not withdrawn_later:
        return False
    return expiry is None or days(expiry) >= timezone.localdate(moment)


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(records=st.lists(record_strategy, max_size=4), data=st.data())
def test_the_latest_record_decides_at_every_moment(records, data):
    patient = PatientFactory()
    start = timezone.now() - dt.timedelta(hours=len(records) + 2)
    moments = []
    for index, (status, expiry, withdrawn_later) in enumerate(records):
        recorded_at = start + dt.timedelta(hours=index)
        moment = recorded_at + dt.timedelta(minutes=30)
        consent = ConsentFactory(
            patient=patient,
            purpose=PURPOSE,
            status=status,
            expires_on=days(expiry),
            recorded_at=recorded_at,
        )
        if status == ConsentStatus.WITHDRAWN:
            withdrawn_at = moment + dt.timedelta(minutes=10 if withdrawn_later else -10)
            Consent.objects.filter(pk=consent.pk).update(withdrawn_at=withdrawn_at)
        moments.append(moment)
    if not records:
        assert consent_permits(patient=patient, purpose=PURPOSE) is False
        return
    index = data.draw(st.integers(min_value=0, max_value=len(records) - 1))

    assert consent_permits(patient=patient, purpose=PURPOSE, at=moments[index]) is reference(
        records, index, moments[index]
    )


# --- Recording and withdrawing --------------------------------------------------------------


def test_recording_consent(world):
    from .conftest import last_event_id

    mark = last_event_id()

    consent = services.consent_record(
        actor=world["lead"],
        patient=world.patient,
        details=ConsentDetails(
            purpose="sharing_with_organisation",
            status="given",
            explanation="what will be shared and why",
            organisation="Legal Aid",
            scope="discharge summary",
            expires_on=days(30),
        ),
    )

    stored = Consent.objects.get(pk=consent.pk)
    assert (stored.recorded_by, stored.explained_by, stored.organisation) == (
        world["lead"],
        world["lead"],
        "Legal Aid",
    )
    assert consent_permits(
        patient=world.patient, purpose="sharing_with_organisation", organisation="legal aid"
    )
    event = only_event(mark, EventType.CONSENT_RECORDED)
    assert event.details == {"purpose": "sharing_with_organisation", "status": "given"}


def test_withdrawal_takes_effect_at_once(world):
    consent = ConsentFactory(patient=world.patient, purpose=PURPOSE)
    assert consent_permits(patient=world.patient, purpose=PURPOSE)
    from .conftest import last_event_id

    mark = last_event_id()

    services.consent_withdraw(actor=world["member"], consent=consent)

    assert consent_permits(patient=world.patient, purpose=PURPOSE) is False
    stored = Consent.objects.get(pk=consent.pk)
    assert (stored.status, stored.withdrawn_by) == (ConsentStatus.WITHDRAWN, world["member"])
    assert only_event(mark, EventType.CONSENT_WITHDRAWN).details == {"purpose": PURPOSE}


@pytest.mark.parametrize(
    "status", [ConsentStatus.REFUSED, ConsentStatus.NOT_OBTAINED, ConsentStatus.WITHDRAWN]
)
def test_only_given_consent_can_be_withdrawn(world, status):
    consent = ConsentFactory(patient=world.patient, status=status)
    before = snapshot()

    with pytest.raises(InvalidRequest) as caught:
        services.consent_withdraw(actor=world["lead"], consent=consent)

    assert (str(caught.value), snapshot()) == (CONSENT_NOT_WITHDRAWABLE, before)


@pytest.mark.parametrize(
    ("details", "message"),
    [
        (ConsentDetails(purpose="research", status="not_obtained"), CONSENT_REASON_REQUIRED),
        (ConsentDetails(purpose="research", status="given"), CONSENT_EXPLANATION_REQUIRED),
        (
            ConsentDetails(purpose="research", status="withdrawn", explanation="x"),
            CONSENT_STATUS_NOT_RECORDABLE,
        ),
        (
            ConsentDetails(purpose="sharing_with_organisation", status="given", explanation="x"),
            CONSENT_ORGANISATION_REQUIRED,
        ),
        (
            ConsentDetails(purpose="research", status="given", explanation="x", organisation="Y"),
            CONSENT_ORGANISATION_NOT_APPLICABLE,
        ),
        (
            ConsentDetails(
                purpose="research", status="given", explanation="x", expires_on=dt.date(2000, 1, 1)
            ),
            CONSENT_EXPIRY_IN_PAST,
        ),
    ],
)
def test_invalid_consent_records_are_refused(world, details, message):
    before = snapshot()

    with pytest.raises(InvalidRequest) as caught:
        services.consent_record(actor=world["lead"], patient=world.patient, details=details)

    assert (str(caught.value), snapshot()) == (message, before)


@pytest.mark.parametrize(
    "fields",
    [
        {"status": ConsentStatus.NOT_OBTAINED, "not_obtained_reason": None},
        {"status": ConsentStatus.GIVEN, "explanation": None},
        {"status": ConsentStatus.WITHDRAWN, "withdrawn_at": None},
        {"purpose": ConsentPurpose.SHARING_WITH_ORGANISATION, "organisation": None},
        {"purpose": ConsentPurpose.RESEARCH, "organisation": "X", "organisation_index": "ab"},
    ],
)
def test_the_database_enforces_the_consent_rules(world, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        ConsentFactory(patient=world.patient, **fields)
