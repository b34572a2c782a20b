"""A real Celery worker, fed through Redis, does the audit sealer's work in the test database."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.db import connection
from kombu import Exchange, Queue

from carecore.audit.events import EventType
from carecore.audit.models import AuditSeal
from carecore.audit.services import audit_event_record
from carecore.audit.tasks import audit_seal
from carecore.celery import app as celery_app

pytestmark = [
    pytest.mark.broker,
    # The worker is another process: it sees only committed rows.
    pytest.mark.django_db(transaction=True),
]

REPO_ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("CARECORE_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
SEAL_TASK = "carecore.audit.tasks.audit_seal"
# Generous: the worker shares two cores with the rest of the suite.
WORKER_WAIT_SECONDS = 60

StartWorker = Callable[[], tuple[subprocess.Popen[bytes], Path]]


def _test_database_url() -> str:
    """Return a DATABASE_URL for the test database this process is using."""
    db = connection.settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or "5432"
    return f"postgres://{credentials}{host}:{port}/{db['NAME']}"


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(
            f"Redis is not reachable at {REDIS_URL} ({exc}). Start it with "
            "`redis-server --daemonize yes` or set CARECORE_TEST_REDIS_URL."
        )
    yield client
    client.close()


@pytest.fixture
def queue_name(redis_client: redis.Redis) -> Iterator[str]:
    """Return a queue of this test's own, removed from Redis afterwards."""
    name = f"carecore-test-{uuid.uuid4().hex[:12]}"
    yield name
    # The queue's list and kombu's binding keys all carry its name.
    stale = list(redis_client.scan_iter(match=f"*{name}*"))
    if stale:
        redis_client.delete(*stale)


@pytest.fixture
def start_worker(queue_name: str, tmp_path: Path) -> Iterator[StartWorker]:
    """Return a function that starts a Celery worker on `queue_name`; stop it afterwards."""
    procs: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start() -> tuple[subprocess.Popen[bytes], Path]:
        log_path = tmp_path / "worker.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "carecore.settings.test",
            "DATABASE_URL": _test_database_url(),
            # Celery reads the broker from the environment before the (empty) test setting.
            "CELERY_BROKER_URL": REDIS_URL,
            "PYTHONPATH": str(REPO_ROOT),
        }
        cmd = [
            str(Path(sys.executable).with_name("celery")),
            "-A", "carecore", "worker",
            "-P", "solo", "-l", "info", "-Q", queue_name, "-n", f"{queue_name}@%h",
            "--without-heartbeat", "--without-mingle", "--without-gossip",
        ]  # fmt: skip
        with log_path.open("wb") as log:
            proc = subprocess.Popen(  # noqa: S603 (fixed arguments, our own executable)
                cmd, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        procs.append((proc, log_path))
        return proc, log_path

    yield start

    for proc, _ in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # warm shutdown: finish the task, close the DB
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_for_seal(event_id: int, proc: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + WORKER_WAIT_SECONDS
    while time.monotonic() < deadline:
        if AuditSeal.objects.filter(event_id=event_id).exists():
            return
        if proc.poll() is not None:
            pytest.fail(f"the worker exited ({proc.returncode}):\n{log_path.read_text()[-4000:]}")
        time.sleep(0.2)
    pytest.fail(
        f"event #{event_id} was not sealed within {WORKER_WAIT_SECONDS} s; worker log:\n"
        f"{log_path.read_text()[-4000:]}"
    )


@contextmanager
def _not_eager() -> Iterator[None]:
    """Send through the broker although the test settings run tasks eagerly."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = previous


def _wait_for_log(log_path: Path, proc: subprocess.Popen[bytes], needles: list[str]) -> None:
    deadline = time.monotonic() + WORKER_WAIT_SECONDS
    while time.monotonic() < deadline:
        text = log_path.read_text(errors="replace")
        if all(needle in text for needle in needles):
            return
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    pytest.fail(f"the worker did not log {needles}:\n{log_path.read_text()[-4000:]}")


def test_worker_seals_events_sent_through_redis(
    redis_client: redis.Redis,
    queue_name: str,
    start_worker: StartWorker,
) -> None:
    event = audit_event_record(event_type=EventType.AUDIT_LOG_VIEWED)
    assert not AuditSeal.objects.filter(event_id=event.pk).exists()

    queue = Queue(queue_name, Exchange(queue_name), routing_key=queue_name)
    with celery_app.connection_for_write(REDIS_URL) as conn, _not_eager():
        queue(conn).declare()
        # Sent twice: the sealer is idempotent, so the event gets exactly one seal.
        task_ids = [audit_seal.apply_async(queue=queue_name, connection=conn).id for _ in range(2)]

    # What Redis holds is JSON naming the task, with no arguments (ids only, and here none).
    raw = redis_client.lrange(queue_name, 0, -1)
    assert len(raw) == 2
    envelope = json.loads(raw[0])
    assert envelope["content-type"] == "application/json"
    assert envelope["headers"]["task"] == SEAL_TASK
    args, kwargs, _embed = json.loads(base64.b64decode(envelope["body"]))
    assert (args, kwargs) == ([], {})

    proc, log_path = start_worker()
    _wait_for_seal(event.pk, proc, log_path)

    # Both runs finished, and the second added nothing for this event.
    _wait_for_log(log_path, proc, [f"[{task_id}] succeeded" for task_id in task_ids])
    assert AuditSeal.objects.filter(event_id=event.pk).count() == 1
