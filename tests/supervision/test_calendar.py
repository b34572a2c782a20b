"""The personal calendar feed: exactly one's own upcoming sessions, nothing about patients or
what was said, a secret link that can be revoked, and a token that never reaches a log."""

from __future__ import annotations

import datetime as dt
import logging
import re

import icalendar
import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent
from supervision.models import (
    CalendarFeed,
    CaseDiscussed,
    SessionKind,
    SessionLog,
    SessionPurpose,
    SessionStatus,
)
from supervision.selectors.calendar import token_hash
from supervision.services.calendar import calendar_feed_create, calendar_feed_fetch_record
from supervision.views.calendar import FEED_NOT_FOUND_BODY
from tests.conftest import CANARY_MARKER, canary
from tests.patients.factories import PatientFactory
from tests.patients.factories import clinician as new_clinician

from .factories import GroupFactory, GroupMemberFactory, SessionFactory, supervisor_user

pytestmark = pytest.mark.django_db

FEED_PATH = re.compile(r"/supervision/calendar/feed/([A-Za-z0-9_-]+)\.ics")


@pytest.fixture(autouse=True)
def _fresh_refusal_window():
    # Refusals are audited once per address and minute (a cache key); each test starts clean.
    cache.clear()
    yield
    cache.clear()


def events(event_type: EventType) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=event_type).order_by("pk"))


def create_link(client) -> str:
    """Create a link through the page and return the token shown once."""
    response = client.post(reverse("supervision:calendar"))
    assert response.status_code == 200
    match = FEED_PATH.search(response.content.decode())
    assert match is not None
    return match.group(1)


def feed_url(token: str) -> str:
    return reverse("supervision:calendar_feed", args=[token])


def parsed(response) -> list:
    calendar = icalendar.Calendar.from_ical(response.content)
    return list(calendar.walk("VEVENT"))


@pytest.fixture
def person(db):
    """A supervisor who also receives supervision and sits in a group."""
    return supervisor_user(username="feed_person")


@pytest.fixture
def sessions(person):
    """Sessions around `person`: the ones their feed lists, and ones it must leave out."""
    now = timezone.now()
    soon = now + dt.timedelta(days=3)
    their_supervisor = supervisor_user()
    group = GroupFactory()
    GroupMemberFactory(group=group, member=person)
    left_group = GroupFactory()
    GroupMemberFactory(group=left_group, member=person, left_on=timezone.localdate())
    patient = PatientFactory()
    included = {
        "hosting": SessionFactory(host=person, starts_at=soon, location="Room 4"),
        "supervised": SessionFactory(
            host=their_supervisor, supervisee=person, starts_at=soon + dt.timedelta(hours=2)
        ),
        "group": SessionFactory(
            kind=SessionKind.GROUP,
            host=group.facilitator,
            supervisee=None,
            group=group,
            starts_at=soon + dt.timedelta(days=1),
        ),
        "management": SessionFactory(
            purpose=SessionPurpose.MANAGEMENT,
            host=their_supervisor,
            supervisee=person,
            starts_at=soon + dt.timedelta(days=2),
        ),
    }
    excluded = {
        "past": SessionFactory(
            host=their_supervisor,
            supervisee=person,
            starts_at=now - dt.timedelta(days=1),
            status=SessionStatus.HELD,
        ),
        "cancelled": SessionFactory(
            host=their_supervisor,
            supervisee=person,
            starts_at=soon,
            status=SessionStatus.CANCELLED,
            cancelled_at=now,
            cancelled_by=their_supervisor,
            cancel_reason=canary("cancel-reason"),
        ),
        "other_people": SessionFactory(starts_at=soon),
        "left_group": SessionFactory(
            kind=SessionKind.GROUP,
            host=left_group.facilitator,
            supervisee=None,
            group=left_group,
            starts_at=soon,
        ),
        "too_far": SessionFactory(host=person, starts_at=now + dt.timedelta(days=40)),
    }
    # What must never reach a calendar: what was said and which case it was about.
    SessionLog.objects.create(
        session=included["hosting"],
        topics=canary("topics"),
        notes=canary("notes"),
        summary=canary("summary"),
        logged_by=person,
    )
    CaseDiscussed.objects.create(
        session=included["hosting"], patient=patient, presented_by=included["hosting"].supervisee
    )
    return {"included": included, "excluded": excluded, "patient": patient}


@pytest.fixture(autouse=True)
def _feed_window(settings):
    settings.CARECORE_CALENDAR_FEED_DAYS = 30


def test_the_feed_lists_exactly_the_persons_upcoming_sessions(client, sign_in, person, sessions):
    sign_in(person)
    token = create_link(client)

    response = Client().get(feed_url(token))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    vevents = parsed(response)
    assert {str(event["UID"]) for event in vevents} == {
        f"{session.uuid}@carecore" for session in sessions["included"].values()
    }
    by_uid = {str(event["UID"]): event for event in vevents}
    hosting = sessions["included"]["hosting"]
    event = by_uid[f"{hosting.uuid}@carecore"]
    # iCalendar times have whole seconds.
    assert event.decoded("DTSTART") == hosting.starts_at.replace(microsecond=0)
    assert event.decoded("DTEND") == hosting.ends_at.replace(microsecond=0)
    assert event.decoded("DTSTART").utcoffset() == dt.timedelta(0)
    assert str(event["LOCATION"]) == "Room 4"
    summaries = {
        key: str(by_uid[f"{s.uuid}@carecore"]["SUMMARY"]) for key, s in sessions["included"].items()
    }
    assert summaries == {
        "hosting": "Clinical supervision (individual)",
        "supervised": "Clinical supervision (individual)",
        "group": "Clinical supervision (group)",
        "management": "Management meeting (individual)",
    }


def test_the_feed_holds_no_case_code_names_or_note_text(client, sign_in, person, sessions):
    sign_in(person)
    token = create_link(client)

    body = Client().get(feed_url(token)).content.decode()

    assert sessions["patient"].case_code not in body
    assert CANARY_MARKER not in body
    hosting = sessions["included"]["hosting"]
    assert hosting.supervisee.username not in body
    assert person.username not in body


def test_a_revoked_link_stops_working_with_the_same_404_as_an_unknown_one(
    client, sign_in, person, sessions
):
    sign_in(person)
    token = create_link(client)
    assert Client().get(feed_url(token)).status_code == 200

    confirm = client.get(reverse("supervision:calendar_revoke"))
    assert CalendarFeed.objects.get().revoked_at is None
    revoked = client.post(reverse("supervision:calendar_revoke"))
    after = Client().get(feed_url(token))
    unknown = Client().get(feed_url("x" * 43))

    assert (confirm.status_code, revoked.status_code) == (200, 302)
    assert CalendarFeed.objects.get().revoked_at is not None
    assert after.status_code == unknown.status_code == 404
    assert after.content == unknown.content == FEED_NOT_FOUND_BODY.encode()
    refused = events(EventType.CALENDAR_FEED_REFUSED)
    assert [(event.outcome, event.details["reason"]) for event in refused] == [
        (Outcome.DENIED, "revoked"),
        (Outcome.DENIED, "unknown"),
    ]
    assert refused[1].target_id == ""
    assert len(events(EventType.CALENDAR_FEED_REVOKED)) == 1


def test_a_flood_of_made_up_links_is_audited_once_per_address_and_minute():
    anonymous = Client()
    responses = [anonymous.get(feed_url(f"{n:043d}")) for n in range(20)]
    other_address = Client(REMOTE_ADDR="192.0.2.7").get(feed_url("y" * 43))

    assert {response.status_code for response in [*responses, other_address]} == {404}
    assert len(events(EventType.CALENDAR_FEED_REFUSED)) == 2


def test_replacing_the_link_kills_the_old_one(client, sign_in, person):
    sign_in(person)
    old = create_link(client)

    response = client.post(reverse("supervision:calendar_replace"))
    new = FEED_PATH.search(response.content.decode()).group(1)

    assert new != old
    assert Client().get(feed_url(old)).status_code == 404
    assert Client().get(feed_url(new)).status_code == 200
    assert CalendarFeed.objects.filter(person=person, revoked_at__isnull=True).count() == 1


def test_a_second_link_is_refused_while_one_is_active(client, sign_in, person):
    sign_in(person)
    create_link(client)

    response = client.post(reverse("supervision:calendar"))

    assert response.status_code == 400
    assert CalendarFeed.objects.count() == 1


def test_only_the_hash_is_stored_and_the_link_is_shown_once(client, sign_in, person):
    sign_in(person)
    token = create_link(client)

    page = client.get(reverse("supervision:calendar"))

    feed = CalendarFeed.objects.get()
    assert feed.token_hash == token_hash(token)
    assert token not in feed.token_hash
    assert token not in page.content.decode()
    (created,) = events(EventType.CALENDAR_FEED_CREATED)
    assert created.details == {"person": person.pk}


def test_fetches_are_audited_at_most_once_an_hour(person):
    feed, _token = calendar_feed_create(actor=person)
    start = timezone.now()

    first = calendar_feed_fetch_record(feed=feed, now=start)
    again = calendar_feed_fetch_record(feed=feed, now=start + dt.timedelta(minutes=59))
    later = calendar_feed_fetch_record(feed=feed, now=start + dt.timedelta(minutes=61))

    assert (first, again, later) == (True, False, True)
    assert len(events(EventType.CALENDAR_FEED_FETCHED)) == 2


def test_the_feed_passes_every_sign_in_middleware(client, person, settings):
    settings.CARECORE_REQUIRE_2FA = True
    feed_token = calendar_feed_create(actor=person)[1]
    # Signed in but with neither the second factor nor the rules acknowledged: other pages
    # redirect; the feed, reached by its own secret, answers.
    client.force_login(person)

    response = client.get(feed_url(feed_token))
    other = client.get(reverse("supervision:calendar"))

    assert response.status_code == 200
    assert other.status_code == 302


def test_the_feed_answers_get_only(person):
    token = calendar_feed_create(actor=person)[1]

    response = Client().post(feed_url(token))

    assert response.status_code == 405


def test_the_token_never_reaches_the_logs_or_the_audit_trail(
    client, sign_in, person, sessions, caplog
):
    caplog.set_level(logging.DEBUG)
    # Django's request logger is quiet in the settings; open it fully so a leak would show.
    caplog.set_level(logging.DEBUG, logger="django.request")
    caplog.set_level(logging.DEBUG, logger="django.server")
    sign_in(person)
    token = create_link(client)

    Client().get(feed_url(token))
    Client().post(feed_url(token))
    client.post(reverse("supervision:calendar_revoke"))
    Client().get(feed_url(token))
    # Another link: the token's last character is often "A" already (a one-in-16 flake).
    Client().get(feed_url(token[:-1] + ("B" if token.endswith("A") else "A")))

    logged = [
        record.getMessage() + str(record.args) + str(record.__dict__) for record in caplog.records
    ]
    assert not [line for line in logged if token in line]
    rows = AuditEvent.objects.filter(event_type__in=[e for e in EventType if 5020 <= e <= 5023])
    assert rows.count() >= 5
    for row in AuditEvent.objects.all():
        assert token not in f"{row.details} {row.target_id} {row.target_type}"
        assert token_hash(token) not in str(row.details)


def test_the_calendar_page_is_for_signed_in_staff(client, sign_in, clinician):
    sign_in(clinician)

    response = client.get(reverse("supervision:calendar"))

    assert response.status_code == 200
    assert CalendarFeed.objects.count() == 0


def test_an_inactive_persons_link_stops_working(person):
    token = calendar_feed_create(actor=person)[1]
    person.is_active = False
    person.save(update_fields=["is_active"])

    response = Client().get(feed_url(token))

    assert response.status_code == 404


def test_a_session_for_another_clinician_is_not_in_my_feed(clinician):
    mine = SessionFactory(supervisee=clinician)
    SessionFactory(supervisee=new_clinician())
    token = calendar_feed_create(actor=clinician)[1]

    vevents = parsed(Client().get(feed_url(token)))

    assert [str(event["UID"]) for event in vevents] == [f"{mine.uuid}@carecore"]
