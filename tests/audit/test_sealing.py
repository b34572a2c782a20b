"""Tamper evidence: the sealer's hash chain and its verification."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from carecore.audit.events import EventType, Outcome
from carecore.audit.management.commands.audit_seal import SEALED_MESSAGE
from carecore.audit.management.commands.audit_verify import (
    BROKEN_MESSAGE,
    INTACT_MESSAGE,
    STALE_MESSAGE,
)
from carecore.audit.models import AuditEvent, AuditSeal
from carecore.audit.sealing import (
    GENESIS_HASH,
    BreakReason,
    ChainStatus,
    audit_seal_pending,
    audit_verify,
    event_canonical,
    seal_hash,
)
from carecore.audit.services import audit_event_record

from .conftest import triggers_disabled

pytestmark = pytest.mark.django_db


def _backdate(event: AuditEvent, *, minutes: int) -> None:
    with triggers_disabled("audit_auditevent"), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET occurred_at = occurred_at - %s WHERE id = %s",
            [timedelta(minutes=minutes), event.pk],
        )


def test_sealer_links_events_in_id_order(make_events):
    events = make_events(4)
    result = audit_seal_pending()
    assert result.sealed == 4
    assert not result.busy
    seals = list(AuditSeal.objects.order_by("sequence"))
    assert [seal.event_id for seal in seals] == [event.pk for event in events]
    assert [seal.sequence for seal in seals] == [1, 2, 3, 4]
    assert seals[0].previous_hash == GENESIS_HASH
    for before, after in itertools.pairwise(seals):
        assert after.previous_hash == before.hash


def test_seal_hash_is_the_documented_sha256(make_events):
    event = make_events(1, case_code="AB12", actor=None)[0]
    audit_seal_pending()
    stored = AuditEvent.objects.get(pk=event.pk)
    seal = AuditSeal.objects.get(event=event)
    canonical = event_canonical(event=stored)
    expected = hashlib.sha256(
        f"carecore-audit-seal-v1\n1\n{GENESIS_HASH}\n".encode() + canonical
    ).hexdigest()
    assert seal.hash == expected
    occurred = stored.occurred_at.astimezone(UTC).isoformat(timespec="microseconds")
    assert (
        canonical
        == (
            '{"actor_id":null,"case_code":"AB12","details":{"n":0},"event_type":1001,'
            f'"id":{event.pk},"ip_address":null,"occurred_at":"{occurred}","outcome":"success",'
            '"request_id":"","target_id":"0","target_type":"accounts.user"}'
        ).encode()
    )


def test_sealing_is_idempotent(make_events):
    make_events(3)
    assert audit_seal_pending().sealed == 3
    assert audit_seal_pending().sealed == 0
    make_events(2)
    assert audit_seal_pending().sealed == 2
    assert AuditSeal.objects.count() == 5
    assert audit_verify().ok


def test_sealing_in_small_batches_gives_the_same_chain(make_events):
    make_events(7)
    assert audit_seal_pending(batch_size=3).sealed == 7
    assert list(AuditSeal.objects.values_list("sequence", flat=True)) == list(range(1, 8))
    assert audit_verify().checked == 7


def test_straggler_older_than_the_lookback_waits_for_a_full_sweep(make_events, settings):
    settings.CARECORE_AUDIT_SEAL_LOOKBACK = timedelta(minutes=10)
    straggler, newer = make_events(2)
    _backdate(straggler, minutes=30)
    # The chain already holds `newer`: `straggler` committed late, and long ago.
    AuditSeal.objects.bulk_create(
        [
            AuditSeal(
                sequence=1,
                event=newer,
                previous_hash=GENESIS_HASH,
                hash=seal_hash(
                    event=AuditEvent.objects.get(pk=newer.pk),
                    sequence=1,
                    previous_hash=GENESIS_HASH,
                ),
            )
        ]
    )
    assert audit_seal_pending().sealed == 0
    result = audit_verify()
    assert (result.status, result.event_id) == (ChainStatus.STALE, straggler.pk)

    call_command("audit_seal", full=True)
    assert AuditSeal.objects.get(event=straggler).sequence == 2
    assert audit_verify().ok


def test_intact_chain_command_exits_zero_and_is_audited(make_events, capsys):
    make_events(5)
    audit_seal_pending()
    call_command("audit_verify")
    assert capsys.readouterr().out.strip() == INTACT_MESSAGE.format(checked=5)
    event = AuditEvent.objects.get(event_type=EventType.AUDIT_CHAIN_VERIFIED)
    assert event.outcome == Outcome.SUCCESS
    assert event.details == {"source": "command", "checked": 5}


def test_verify_with_seal_option_seals_pending_events_first(make_events, capsys):
    make_events(3)
    call_command("audit_verify", seal=True)
    assert capsys.readouterr().out.strip() == INTACT_MESSAGE.format(checked=3)
    assert AuditSeal.objects.count() == 3


def test_seal_command_reports_the_count(make_events, capsys):
    make_events(2)
    call_command("audit_seal")
    assert capsys.readouterr().out.strip() == SEALED_MESSAGE.format(count=2)


def test_one_changed_byte_in_an_old_event_breaks_the_chain_at_that_event(make_events):
    events = make_events(5, case_code="AB12")
    audit_seal_pending()
    target = events[1]
    with triggers_disabled("audit_auditevent"), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET case_code = 'AB13' WHERE id = %s", [target.pk])
    with pytest.raises(CommandError) as caught:
        call_command("audit_verify")
    assert str(caught.value) == BROKEN_MESSAGE.format(
        event_id=target.pk, reason=BreakReason.CONTENT_CHANGED.label
    )
    broken = AuditEvent.objects.get(event_type=EventType.AUDIT_CHAIN_BROKEN)
    assert broken.outcome == Outcome.FAILURE
    assert broken.target_id == str(target.pk)
    assert broken.details["reason"] == BreakReason.CONTENT_CHANGED
    assert not AuditEvent.objects.filter(event_type=EventType.AUDIT_CHAIN_VERIFIED).exists()


@pytest.mark.parametrize(
    ("column", "sql_value"),
    [
        ("details", """'{"n": 2}'::jsonb"""),
        ("occurred_at", "occurred_at + interval '1 microsecond'"),
        ("event_type", "1002"),
        ("actor_id", "NULL"),
        ("ip_address", "'10.0.0.9'"),
    ],
)
def test_any_changed_column_is_detected(make_events, admin_user, column, sql_value):
    events = make_events(3, actor=admin_user)
    audit_seal_pending()
    with triggers_disabled("audit_auditevent"), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE audit_auditevent SET {column} = {sql_value} WHERE id = %s",
            [events[0].pk],
        )
    result = audit_verify()
    assert result.status == ChainStatus.BROKEN
    assert (result.event_id, result.reason) == (events[0].pk, BreakReason.CONTENT_CHANGED)


def test_a_rewritten_seal_breaks_the_link_to_the_next(make_events):
    events = make_events(3)
    audit_seal_pending()
    forged = seal_hash(event=events[1], sequence=2, previous_hash="f" * 64)
    with triggers_disabled("audit_auditseal"), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditseal SET previous_hash = %s, hash = %s WHERE sequence = 2",
            ["f" * 64, forged],
        )
    result = audit_verify()
    assert (result.event_id, result.reason) == (events[1].pk, BreakReason.LINK_BROKEN)


def test_a_removed_seal_is_a_gap(make_events):
    events = make_events(4)
    audit_seal_pending()
    with triggers_disabled("audit_auditseal"), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditseal WHERE sequence = 2")
    result = audit_verify()
    assert (result.event_id, result.reason) == (events[2].pk, BreakReason.SEQUENCE_GAP)
    assert result.checked == 1


def test_a_removed_event_is_reported(make_events):
    events = make_events(3)
    audit_seal_pending()
    # As an owner determined to hide a row would: triggers and foreign keys off. Rolled back
    # before the test ends, whose teardown checks foreign keys.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk])
            cursor.execute("SET LOCAL session_replication_role = origin")
        result = audit_verify()
        transaction.set_rollback(True)
    assert (result.event_id, result.reason) == (events[2].pk, BreakReason.EVENT_MISSING)


def test_an_event_unsealed_for_over_a_minute_is_an_alarm(make_events):
    sealed = make_events(2)
    audit_seal_pending()
    overdue, fresh = make_events(2)
    _backdate(overdue, minutes=2)
    result = audit_verify()
    assert result.status == ChainStatus.STALE
    assert (result.event_id, result.reason) == (overdue.pk, BreakReason.UNSEALED)
    assert result.unsealed_overdue == 1
    assert result.checked == len(sealed)
    with pytest.raises(CommandError) as caught:
        call_command("audit_verify")
    assert str(caught.value) == STALE_MESSAGE.format(checked=2, event_id=overdue.pk, overdue=1)
    alarm = AuditEvent.objects.get(event_type=EventType.AUDIT_CHAIN_BROKEN)
    assert alarm.details["status"] == ChainStatus.STALE
    # A fresh unsealed event is normal: the sealer runs every few seconds.
    assert fresh.pk != result.event_id


def test_empty_chain_is_intact():
    result = audit_verify()
    assert result.ok
    assert (result.checked, result.head_sequence, result.head_hash) == (0, 0, GENESIS_HASH)


def test_events_written_by_the_writer_are_not_sealed_on_the_request_path(db):
    audit_event_record(event_type=EventType.LOGIN)
    assert AuditSeal.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_embedded_mode_seals_each_event_after_commit(settings):
    from carecore.audit.models import AuditSeal
    from carecore.audit.services import audit_event_record

    settings.CARECORE_AUDIT_SEAL_ON_COMMIT = True
    event = audit_event_record(event_type=EventType.LOGIN)

    assert AuditSeal.objects.filter(event=event).count() == 1


@pytest.mark.django_db(transaction=True)
def test_with_a_broker_events_wait_for_the_sealer(settings):
    from carecore.audit.models import AuditSeal
    from carecore.audit.services import audit_event_record

    settings.CARECORE_AUDIT_SEAL_ON_COMMIT = False
    event = audit_event_record(event_type=EventType.LOGIN)

    assert not AuditSeal.objects.filter(event=event).exists()
