"""The retention review: which closed cases are past retention, listed idempotently."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils import timezone

from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent
from lifecycle import conf
from lifecycle.models import (
    DestructionStatus,
    DisclosureEntry,
    DisclosureKind,
    LegalBasis,
    RetentionCandidate,
)
from lifecycle.selectors.retention import add_years, retention_ends_on
from lifecycle.services.retention import retention_review_run
from lifecycle.tasks import retention_review
from patients.models import PatientStatus, Stage
from tests.patients.factories import PatientFactory

from .factories_retention import (
    PartnerFactory,
    ProposalFactory,
    closed_patient,
    long_closed_patient,
    officer,
)

pytestmark = pytest.mark.django_db

CLOSED = dt.date(2014, 3, 10)


def _listed() -> dict[int, dt.date]:
    return dict(RetentionCandidate.objects.values_list("patient_id", "retention_ends_on"))


# --- Settings ---------------------------------------------------------------------------------


def test_defaults_fill_in_kinds_a_setting_leaves_out(settings):
    settings.CARECORE_RETENTION_YEARS = {"patient_record": 7}

    assert conf.retention_years() == {
        "patient_record": 7,
        "patient_record_minor": conf.DEFAULT_RETENTION_YEARS["patient_record_minor"],
        "disclosure_register": conf.DEFAULT_RETENTION_YEARS["disclosure_register"],
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"patient_records": 7}, conf.UNKNOWN_KIND.format(kind="patient_records")),
        ({"patient_record": 0}, conf.NOT_WHOLE_YEARS.format(kind="patient_record")),
        ({"patient_record": "7"}, conf.NOT_WHOLE_YEARS.format(kind="patient_record")),
    ],
)
def test_a_wrong_setting_is_refused(settings, value, message):
    settings.CARECORE_RETENTION_YEARS = value

    with pytest.raises(ImproperlyConfigured) as error:
        conf.retention_years()

    assert str(error.value) == message


def test_a_leap_day_moves_to_the_first_of_march_never_a_day_early():
    assert add_years(dt.date(2016, 2, 29), 10) == dt.date(2026, 3, 1)
    assert add_years(dt.date(2016, 2, 29), -10) == dt.date(2006, 3, 1)
    assert add_years(dt.date(2016, 2, 28), 10) == dt.date(2026, 2, 28)


# --- Which cases are due ----------------------------------------------------------------------


def test_an_adults_case_is_listed_from_the_day_its_period_ends_not_a_day_before():
    patient = closed_patient(CLOSED)
    ends = dt.date(2024, 3, 10)

    assert retention_review_run(today=ends - dt.timedelta(days=1)) == 0
    assert _listed() == {}

    assert retention_review_run(today=ends) == 1
    assert _listed() == {patient.pk: ends}


def test_only_closed_cases_past_retention_are_listed():
    due = closed_patient(CLOSED)
    closed_recently = closed_patient(dt.date(2020, 1, 1))
    active = PatientFactory(registered_on=dt.date(2010, 1, 1))

    retention_review_run(today=dt.date(2025, 1, 1))

    assert set(_listed()) == {due.pk}
    assert closed_recently.pk not in _listed()
    assert active.pk not in _listed()


def test_a_minors_record_is_kept_until_the_age_limit_when_that_is_later():
    # Ten years old at closure: ten years after closure (2020) comes before the 25th birthday.
    child = closed_patient(dt.date(2010, 1, 1), date_of_birth=dt.date(2000, 1, 1))
    adult = closed_patient(dt.date(2010, 1, 1), date_of_birth=dt.date(1980, 1, 1))

    retention_review_run(today=dt.date(2024, 12, 31))
    assert _listed() == {adult.pk: dt.date(2020, 1, 1)}

    retention_review_run(today=dt.date(2025, 1, 1))
    assert _listed() == {adult.pk: dt.date(2020, 1, 1), child.pk: dt.date(2025, 1, 1)}


def test_a_minors_record_is_kept_the_minor_period_when_that_is_later(settings):
    settings.CARECORE_RETENTION_YEARS = {"patient_record_minor": 12}
    # Seventeen at closure: the 25th birthday (2023) comes before closure + 12 years (2030).
    teenager = closed_patient(dt.date(2018, 6, 1), date_of_birth=dt.date(2001, 1, 1))

    assert retention_review_run(today=dt.date(2030, 5, 31)) == 0
    assert retention_review_run(today=dt.date(2030, 6, 1)) == 1
    assert _listed() == {teenager.pk: dt.date(2030, 6, 1)}


def test_a_person_who_turns_eighteen_on_the_closing_day_is_an_adult(settings):
    settings.CARECORE_RETENTION_YEARS = {"patient_record": 5, "patient_record_minor": 20}
    closed_on = dt.date(2018, 6, 1)

    assert retention_ends_on(closed_on=closed_on, birth_date=dt.date(2000, 6, 1)) == dt.date(
        2023, 6, 1
    )
    assert retention_ends_on(closed_on=closed_on, birth_date=dt.date(2000, 6, 2)) == dt.date(
        2038, 6, 1
    )


def test_an_approximate_age_counts_as_the_youngest_it_allows(settings):
    settings.CARECORE_RETENTION_YEARS = {"patient_record": 5, "patient_record_minor": 5}
    # Said to be 15 when registered on 2012-04-09: born 1997-04-09 at the latest, 25 in 2022,
    # later than closure + 5 years (2019).
    patient = closed_patient(CLOSED, approximate_age=15, date_of_birth=None)
    assert patient.registered_on == dt.date(2012, 4, 9)

    retention_review_run(today=dt.date(2022, 4, 8))
    assert _listed() == {}
    retention_review_run(today=dt.date(2022, 4, 9))
    assert _listed() == {patient.pk: dt.date(2022, 4, 9)}


def test_an_unknown_age_gets_the_minor_period_unless_told_otherwise(settings):
    settings.CARECORE_RETENTION_YEARS = {"patient_record": 5, "patient_record_minor": 8}
    patient = PatientFactory(
        status=PatientStatus.CLOSED, stage=Stage.CLOSED, closed_on=CLOSED, date_of_birth=None
    )

    retention_review_run(today=dt.date(2021, 1, 1))
    assert _listed() == {}
    retention_review_run(today=dt.date(2022, 3, 10))
    assert _listed() == {patient.pk: dt.date(2022, 3, 10)}

    settings.CARECORE_RETENTION_UNKNOWN_AGE_AS_MINOR = False
    RetentionCandidate.objects.all().delete()
    retention_review_run(today=dt.date(2019, 3, 10))
    assert _listed() == {patient.pk: dt.date(2019, 3, 10)}


def test_a_later_disclosure_keeps_the_case_until_the_registers_period_ends(settings):
    settings.CARECORE_RETENTION_YEARS = {"patient_record": 10, "disclosure_register": 10}
    patient = closed_patient(CLOSED)
    disclosed_at = dt.datetime(2016, 5, 2, 12, 0, tzinfo=timezone.get_current_timezone())
    DisclosureEntry.objects.create(
        patient=patient,
        kind=DisclosureKind.SPOKEN,
        partner=PartnerFactory(),
        purpose="phone call",
        legal_basis=LegalBasis.CONSENT,
        recorded_by=officer(),
        disclosed_at=disclosed_at,
    )

    retention_review_run(today=dt.date(2026, 5, 1))
    assert _listed() == {}
    retention_review_run(today=dt.date(2026, 5, 2))
    assert _listed() == {patient.pk: dt.date(2026, 5, 2)}


# --- Idempotent, and cases that stop qualifying -----------------------------------------------


def test_a_second_run_changes_nothing_and_each_run_is_audited_once_with_counts():
    first = closed_patient(CLOSED)
    second = closed_patient(CLOSED - dt.timedelta(days=3))
    today = dt.date(2025, 1, 1)

    assert retention_review_run(today=today) == 2
    ids = dict(RetentionCandidate.objects.values_list("patient_id", "pk"))
    assert retention_review_run(today=today) == 2

    assert dict(RetentionCandidate.objects.values_list("patient_id", "pk")) == ids
    assert set(ids) == {first.pk, second.pk}
    events = list(
        AuditEvent.objects.filter(event_type=EventType.RETENTION_REVIEW_RUN).order_by("id")
    )
    assert [event.details for event in events] == [
        {"listed": 2, "added": 2, "removed": 0, "updated": 0, "proposals_cancelled": 0},
        {"listed": 2, "added": 0, "removed": 0, "updated": 0, "proposals_cancelled": 0},
    ]
    assert all(event.case_code == "" and event.actor_id is None for event in events)


def test_a_reopened_case_leaves_the_list_and_its_open_proposal_is_cancelled():
    patient = closed_patient(CLOSED)
    today = dt.date(2025, 1, 1)
    retention_review_run(today=today)
    proposal = ProposalFactory(patient=patient)
    patient.status, patient.stage, patient.closed_on = PatientStatus.ACTIVE, Stage.RECOVERY, None
    patient.save()

    assert retention_review_run(today=today) == 0

    assert _listed() == {}
    proposal.refresh_from_db()
    assert proposal.status == DestructionStatus.CANCELLED
    assert proposal.decided_by_id is None
    cancelled = AuditEvent.objects.get(event_type=EventType.DESTRUCTION_CANCELLED)
    assert cancelled.case_code == patient.case_code
    assert cancelled.details == {"reason": "no_longer_due"}
    assert cancelled.outcome == Outcome.SUCCESS
    run = AuditEvent.objects.filter(event_type=EventType.RETENTION_REVIEW_RUN).latest("id")
    assert run.details["removed"] == 1
    assert run.details["proposals_cancelled"] == 1


def test_the_scheduled_task_runs_the_review_for_today():
    patient = closed_patient(timezone.localdate() - dt.timedelta(days=365 * 11))

    assert retention_review.run() == 1

    assert set(_listed()) == {patient.pk}


def test_the_review_is_scheduled_daily_with_time_limits(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["lifecycle-retention-review"]

    assert entry["task"] == retention_review.name == "lifecycle.tasks.retention_review"
    assert entry["schedule"] == dt.timedelta(days=1)
    assert "args" not in entry and "kwargs" not in entry
    assert 0 < retention_review.soft_time_limit < retention_review.time_limit


def test_one_unreadable_birth_date_keeps_that_record_and_the_review_goes_on():
    readable = long_closed_patient(date_of_birth=dt.date(1980, 5, 1))
    damaged = long_closed_patient(date_of_birth=dt.date(1981, 6, 2))
    with connection.cursor() as cursor:
        cursor.execute("SELECT date_of_birth FROM patients_patient WHERE id = %s", [damaged.pk])
        token = bytearray(cursor.fetchone()[0])
        token[-5] ^= 0x01
        cursor.execute(
            "UPDATE patients_patient SET date_of_birth = %s WHERE id = %s",
            [bytes(token), damaged.pk],
        )

    listed = retention_review_run()

    assert listed == 1
    assert list(RetentionCandidate.objects.values_list("patient_id", flat=True)) == [readable.pk]
    assert AuditEvent.objects.filter(event_type=EventType.INTEGRITY_ERROR).exists()
