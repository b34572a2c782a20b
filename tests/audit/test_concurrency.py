"""Sealing with real concurrent transactions (transactional tests: threads need commits)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from carecore.audit import sealing
from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent, AuditSeal
from carecore.audit.sealing import SEAL_LOCK_KEY, SealResult, audit_seal_pending, audit_verify
from carecore.audit.services import audit_event_record

# Serialized rollback, like every transactional test in the suite: the flush after each test
# then leaves the database empty for the next one to restore, instead of half-rebuilt.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WAIT = 10


def _in_thread(target: Callable[[], object], errors: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            target()
        except BaseException as exc:  # reported by the test, not swallowed
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _assert_each_event_sealed_once(count: int) -> None:
    assert AuditSeal.objects.count() == count
    assert AuditSeal.objects.values("event_id").distinct().count() == count
    assert AuditEvent.objects.filter(seal__isnull=True).count() == 0
    assert audit_verify().ok


def test_two_sealers_at_once_seal_each_event_once(make_events):
    make_events(60)
    barrier = threading.Barrier(2)
    results: list[SealResult] = []
    errors: list[BaseException] = []

    def seal() -> None:
        barrier.wait(WAIT)
        results.append(audit_seal_pending(wait=True, batch_size=7))

    threads = [_in_thread(seal, errors) for _ in range(2)]
    for thread in threads:
        thread.join(WAIT)
    assert errors == []
    assert sum(result.sealed for result in results) == 60
    _assert_each_event_sealed_once(60)


def test_without_the_lock_the_constraints_still_refuse_a_double_seal(make_events, monkeypatch):
    """The SQLite path has no advisory lock: unique sequence and event columns must hold."""
    monkeypatch.setattr(sealing, "_seal_lock_acquire", lambda *, wait: True)
    make_events(40)
    barrier = threading.Barrier(3)
    results: list[SealResult] = []
    errors: list[BaseException] = []

    def seal() -> None:
        barrier.wait(WAIT)
        results.append(audit_seal_pending(batch_size=5))

    threads = [_in_thread(seal, errors) for _ in range(3)]
    for thread in threads:
        thread.join(WAIT)
    assert errors == []
    # A sealer that lost a race stood aside; whatever it left, one more run picks up.
    audit_seal_pending()
    _assert_each_event_sealed_once(40)


def test_a_sealer_that_finds_the_lock_held_stands_aside(make_events):
    make_events(3)
    held, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold_lock() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEAL_LOCK_KEY])
            held.set()
            release.wait(WAIT)

    thread = _in_thread(hold_lock, errors)
    assert held.wait(WAIT)
    try:
        assert audit_seal_pending(wait=False) == SealResult(sealed=0, busy=True)
    finally:
        release.set()
        thread.join(WAIT)
    assert errors == []
    assert audit_seal_pending(wait=False) == SealResult(sealed=3)


def test_events_committed_out_of_id_order_are_sealed_in_commit_order(db):
    inserted, release = threading.Event(), threading.Event()
    slow: list[AuditEvent] = []
    errors: list[BaseException] = []

    def slow_request() -> None:
        with transaction.atomic():
            slow.append(audit_event_record(event_type=EventType.LOGIN, target_id="slow"))
            inserted.set()
            release.wait(WAIT)

    thread = _in_thread(slow_request, errors)
    assert inserted.wait(WAIT)
    try:
        fast = audit_event_record(event_type=EventType.LOGIN, target_id="fast")
        assert fast.pk > slow[0].pk
        # Only what is committed is visible, so only `fast` can be sealed now.
        assert audit_seal_pending().sealed == 1
    finally:
        release.set()
        thread.join(WAIT)
    assert errors == []
    assert audit_seal_pending().sealed == 1
    chain = list(AuditSeal.objects.order_by("sequence").values_list("event_id", flat=True))
    assert chain == [fast.pk, slow[0].pk]
    _assert_each_event_sealed_once(2)


def test_flush_empties_the_audit_tables_and_keeps_their_guard(make_events):
    make_events(2)
    audit_seal_pending()
    call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
    assert AuditEvent.objects.count() == 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE NOT t.tgisinternal AND c.relname IN ('audit_auditevent', 'audit_auditseal')"
        )
        assert cursor.fetchall() == [("O",)]
