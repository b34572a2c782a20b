"""Check-in page, result, My wellbeing (history, comparisons, chart) and sharing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent
from staffwellbeing.models import CheckIn, ResultShare
from staffwellbeing.scoring import ANSWER_MISSING, ANSWER_OUT_OF_RANGE
from staffwellbeing.services.sharing import NOT_YOUR_SUPERVISOR, ShareRefused, result_share
from tests.staffwellbeing.factories import answers, cfs_v1, make_checkin, share, supervise

pytestmark = pytest.mark.django_db


def form_data(given):
    return {f"item_{letter}": str(value) for letter, value in given.items()}


def test_a_complete_check_in_is_saved_scored_and_shown_at_once(clinician, sign_in, client):
    cfs_v1()
    sign_in(clinician)
    given = answers(2, c=9, e=9, h=9, j=9, l=9)

    response = client.post(reverse("wellbeing:checkin"), form_data(given), follow=True)

    saved = CheckIn.objects.get(person=clinician)
    assert response.redirect_chain[-1][0] == reverse("wellbeing:result", args=[saved.pk])
    assert saved.answers == given
    assert saved.scores == {"secondary_trauma": 45, "job_burnout": 16, "chronic_fatigue": 61}
    page = response.content.decode()
    for score in ("45", "16", "61"):
        assert f'<td class="numeric">{score}</td>' in page
    recorded = AuditEvent.objects.get(event_type=EventType.CHECKIN_RECORDED)
    assert recorded.details == {"checkin_id": saved.pk, "version_id": saved.version_id}


def test_answers_and_scores_are_encrypted_at_rest(clinician):
    saved = make_checkin(clinician, value=7)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT answers, scores FROM staffwellbeing_checkin WHERE id = %s", [saved.pk]
        )
        raw_answers, raw_scores = cursor.fetchone()

    assert b'"a":7' not in bytes(raw_answers)
    assert b"chronic_fatigue" not in bytes(raw_scores)


def test_an_incomplete_check_in_shows_errors_and_saves_nothing(clinician, sign_in, client):
    cfs_v1()
    sign_in(clinician)
    data = form_data(answers(5))
    del data["item_d"]
    data["item_k"] = "11"

    response = client.post(reverse("wellbeing:checkin"), data)

    assert response.status_code == 200
    assert CheckIn.objects.count() == 0
    page = response.content.decode()
    assert str(ANSWER_MISSING) in page
    assert str(ANSWER_OUT_OF_RANGE) in page
    assert 'aria-describedby="id_item_d_error"' in page
    assert not AuditEvent.objects.filter(event_type=EventType.CHECKIN_RECORDED).exists()


def test_the_form_has_a_fieldset_with_ten_radios_per_item(clinician, sign_in, client):
    cfs_v1()
    sign_in(clinician)

    page = client.get(reverse("wellbeing:checkin")).content.decode()

    assert page.count("<fieldset") == 13
    assert page.count('type="radio"') == 130
    assert page.count("<legend>") == 13


def test_my_wellbeing_compares_with_previous_and_first(clinician, sign_in, client):
    now = timezone.now()
    make_checkin(clinician, value=2, answered_at=now - timedelta(days=60))
    make_checkin(clinician, value=4, answered_at=now - timedelta(days=30))
    latest = make_checkin(clinician, value=3, answered_at=now)
    sign_in(clinician)

    page = client.get(reverse("wellbeing:mine")).content.decode()

    # Newest row: secondary trauma 15 (5 items x 3), previous 20, first 10.
    row = page.split(reverse("wellbeing:result", args=[latest.pk]))[1].split("</tr>")[0]
    assert (
        '<td class="numeric">15</td><td class="numeric">-5</td><td class="numeric">+5</td>' in row
    )
    assert (
        '<td class="numeric">39</td><td class="numeric">-13</td><td class="numeric">+13</td>' in row
    )
    assert reverse("wellbeing:chart") in page
    for label in ("high", "low", "cut-off score"):
        assert f">{label}<" not in page.lower()
    event = AuditEvent.objects.get(event_type=EventType.CHECKIN_HISTORY_VIEWED)
    assert sorted(event.details["checkin_ids"]) == sorted(
        CheckIn.objects.filter(person=clinician).values_list("pk", flat=True)
    )


def test_the_chart_is_an_svg_image_with_no_script_and_its_own_csp(clinician, sign_in, client):
    make_checkin(clinician, value=2, answered_at=timezone.now() - timedelta(days=7))
    make_checkin(clinician, value=6)
    sign_in(clinician)

    response = client.get(reverse("wellbeing:chart"))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    body = response.content.decode()
    assert body.lstrip().startswith("<?xml") and "<svg" in body
    assert "<script" not in body
    assert "http://pygal" not in body and "https://" not in body
    csp = response["Content-Security-Policy"]
    assert "script-src 'none'" in csp
    assert "style-src 'unsafe-inline'" in csp
    assert AuditEvent.objects.filter(event_type=EventType.CHECKIN_CHART_VIEWED).count() == 1


def _queries_for_my_wellbeing(client, person, count):
    start = timezone.now() - timedelta(days=count)
    for index in range(count):
        checkin = make_checkin(
            person, value=1 + index % 10, answered_at=start + timedelta(days=index)
        )
        if index % 3 == 0:
            share(checkin, person)  # any active share row: it is prefetched, not queried per row
    client.get(reverse("wellbeing:mine"))  # warm per-process caches
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("wellbeing:mine")).status_code == 200
    return len(queries)


def test_my_wellbeing_query_count_does_not_grow_with_check_ins(sign_in, client):
    from tests.factories import UserFactory

    few = UserFactory(username="few", roles=["clinician"])
    many = UserFactory(username="many", roles=["clinician"])
    sign_in(few)
    small = _queries_for_my_wellbeing(client, few, 5)
    sign_in(many)
    large = _queries_for_my_wellbeing(client, many, 50)

    assert small == large


def test_sharing_is_explicit_revocable_and_audited(clinician, supervisor, sign_in, client):
    supervise(supervisor, clinician)
    checkin = make_checkin(clinician)
    sign_in(clinician)
    url = reverse("wellbeing:share", args=[checkin.pk])

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert not ResultShare.objects.exists()

    response = client.post(url, {"supervisor": supervisor.pk})

    assert response.status_code == 302
    active = ResultShare.objects.get(checkin=checkin, supervisor=supervisor, revoked_at=None)
    shared = AuditEvent.objects.get(event_type=EventType.RESULT_SHARED)
    assert shared.details == {"checkin_id": checkin.pk, "supervisor_id": supervisor.pk}

    unshare_url = reverse("wellbeing:unshare", args=[checkin.pk, supervisor.pk])
    assert client.get(unshare_url).status_code == 200
    assert client.post(unshare_url).status_code == 302

    active.refresh_from_db()
    assert active.revoked_at is not None
    revoked = AuditEvent.objects.get(event_type=EventType.RESULT_SHARE_REVOKED)
    assert revoked.details == {"checkin_id": checkin.pk, "supervisor_id": supervisor.pk}


def test_a_result_can_be_shared_only_with_a_current_supervisor(clinician, other_clinician):
    checkin = make_checkin(clinician)

    with pytest.raises(ShareRefused) as refused:
        result_share(actor=clinician, checkin=checkin, supervisor=other_clinician)

    assert str(refused.value) == str(NOT_YOUR_SUPERVISOR)
    assert not ResultShare.objects.exists()


def test_someone_else_cannot_share_a_result(
    clinician, other_clinician, supervisor, sign_in, client
):
    supervise(supervisor, other_clinician)
    checkin = make_checkin(clinician)
    sign_in(other_clinician)

    response = client.post(
        reverse("wellbeing:share", args=[checkin.pk]), {"supervisor": supervisor.pk}
    )

    assert response.status_code == 404
    assert not ResultShare.objects.exists()
    denial = AuditEvent.objects.get(event_type=EventType.ACCESS_DENIED)
    assert denial.details == {"action": "share", "reason": "policy"}
    assert denial.target_id == str(checkin.pk)


def test_the_supervisor_lists_only_shared_results(
    clinician, other_clinician, supervisor, sign_in, client
):
    supervise(supervisor, clinician)
    supervise(supervisor, other_clinician)
    shared = make_checkin(clinician, value=8)
    make_checkin(clinician, value=1)
    revoked = share(make_checkin(other_clinician, value=9), supervisor)
    revoked.revoked_at = timezone.now()
    revoked.save()
    share(shared, supervisor)
    sign_in(supervisor)

    page = client.get(reverse("wellbeing:shared_with_me")).content.decode()

    assert page.count(reverse("wellbeing:result", args=[shared.pk])) == 1
    assert '<td class="numeric">104</td>' in page
    assert '<td class="numeric">13</td>' not in page
    assert reverse("wellbeing:result", args=[revoked.checkin_id]) not in page
    listed = AuditEvent.objects.get(event_type=EventType.SHARED_RESULTS_VIEWED)
    assert listed.details == {"checkin_ids": [shared.pk]}
