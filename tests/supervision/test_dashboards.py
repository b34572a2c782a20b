"""The three dashboards: who may open them, what they show and never show, charts and CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from carecore.accounts.roles import Role
from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent
from patients.models import RiskLevel, Stage
from supervision.exports import ExportTable, csv_bytes, safe_cell
from supervision.models import (
    SessionKind,
    SessionPurpose,
    SessionStatus,
    TransferStatus,
)
from supervision.selectors.dashboards import (
    dashboard_chart_rows_for,
    dashboard_manager_for,
    open_transfers,
    page_of,
)
from tests.conftest import CANARY_MARKER, canary
from tests.factories import UserFactory
from tests.patients.factories import MembershipFactory, PatientFactory
from tests.staffwellbeing.factories import make_checkin, share

from .factories import (
    ActionFactory,
    AgreementFactory,
    GroupFactory,
    GroupMemberFactory,
    GuidelineFactory,
    SessionFactory,
    SessionLogFactory,
    TransferFactory,
    WorkProfileFactory,
)

pytestmark = pytest.mark.django_db

MANAGER_URL = "supervision:dashboard_manager"
SUPERVISOR_URL = "supervision:dashboard_supervisor"
ME_URL = "supervision:dashboard_me"
CHARTS = [
    f"{board}-{kind}"
    for board in ("manager", "supervisor", "me")
    for kind in ("caseload", "stages")
]
TABLES = [
    ("manager", "clinicians"),
    ("manager", "stages"),
    ("manager", "transfers"),
    ("manager", "job-reviews"),
    ("supervisor", "supervisees"),
    ("supervisor", "stages"),
    ("supervisor", "transfers"),
    ("me", "caseload"),
    ("me", "stages"),
    ("me", "sessions"),
    ("me", "actions"),
    ("me", "transfers"),
]


def last_event_id() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def events_after(mark: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(pk__gt=mark).order_by("pk"))


def types_after(mark: int) -> list[int]:
    return [event.event_type for event in events_after(mark)]


def patients_for(person, count: int, *, stage=Stage.RECOVERY, complexity=2, risk=RiskLevel.LOW):
    for _ in range(count):
        MembershipFactory(
            clinician=person,
            patient=PatientFactory(stage=stage, complexity=complexity, risk_level=risk),
        )


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


# ---- who may open what -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "target"),
    [("manager", MANAGER_URL), ("supervisor", SUPERVISOR_URL), ("clinician", ME_URL)],
)
def test_home_redirects_to_the_most_relevant_dashboard(request, sign_in, persona, target):
    client = sign_in(request.getfixturevalue(persona))

    response = client.get(reverse("supervision:home"))

    assert response.status_code == 302
    assert response["Location"] == reverse(target)


def test_a_manager_who_also_supervises_lands_on_the_manager_dashboard(sign_in):
    both = UserFactory(roles=[Role.MANAGER, Role.SUPERVISOR, Role.CLINICIAN])
    response = sign_in(both).get(reverse("supervision:home"))
    assert response["Location"] == reverse(MANAGER_URL)


@pytest.mark.parametrize("persona", ["admin_user", "reception"])
def test_home_without_a_dashboard_role_is_404_and_audited(request, sign_in, persona):
    user = request.getfixturevalue(persona)
    client = sign_in(user)
    mark = last_event_id()

    response = client.get(reverse("supervision:home"))

    assert response.status_code == 404
    (event,) = events_after(mark)
    assert event.event_type == EventType.ACCESS_DENIED
    assert event.outcome == Outcome.DENIED
    assert event.actor_id == user.pk
    assert event.details == {"action": "view_dashboard", "reason": "role"}


@pytest.mark.parametrize(
    ("url_name", "dashboard", "persona"),
    [
        (MANAGER_URL, "manager", "clinician"),
        (MANAGER_URL, "manager", "supervisor"),
        (MANAGER_URL, "manager", "admin_user"),
        (MANAGER_URL, "manager", "reception"),
        (SUPERVISOR_URL, "supervisor", "clinician"),
        (SUPERVISOR_URL, "supervisor", "manager"),
        (SUPERVISOR_URL, "supervisor", "admin_user"),
        (ME_URL, "me", "manager"),
        (ME_URL, "me", "admin_user"),
        (ME_URL, "me", "reception"),
    ],
)
def test_a_wrong_role_gets_404_and_an_access_denied_event(
    request, sign_in, url_name, dashboard, persona
):
    user = request.getfixturevalue(persona)
    client = sign_in(user)
    mark = last_event_id()

    response = client.get(reverse(url_name))

    assert response.status_code == 404
    (event,) = events_after(mark)
    assert event.event_type == EventType.ACCESS_DENIED
    assert event.outcome == Outcome.DENIED
    assert event.actor_id == user.pk
    assert event.target_type == "supervision.dashboard"
    assert event.details == {"action": "view_dashboard", "reason": "role", "dashboard": dashboard}


@pytest.mark.parametrize(
    ("dashboard", "persona"),
    [("manager", "clinician"), ("supervisor", "clinician"), ("me", "manager")],
)
def test_charts_and_downloads_follow_their_dashboards_permission(
    request, sign_in, dashboard, persona
):
    client = sign_in(request.getfixturevalue(persona))
    table = next(name for board, name in TABLES if board == dashboard)
    mark = last_event_id()

    chart = client.get(reverse("supervision:dashboard_chart", args=[f"{dashboard}-caseload"]))
    download = client.get(reverse("supervision:dashboard_csv", args=[dashboard, table]))

    assert chart.status_code == 404
    assert download.status_code == 404
    assert [(e.event_type, e.details) for e in events_after(mark)] == [
        (
            EventType.ACCESS_DENIED,
            {"action": "view_dashboard_chart", "reason": "role", "dashboard": dashboard},
        ),
        (
            EventType.ACCESS_DENIED,
            {"action": "export_dashboard", "reason": "role", "dashboard": dashboard},
        ),
    ]


@pytest.mark.parametrize(
    ("url_name", "args"),
    [
        ("supervision:dashboard_chart", ["manager-pie"]),
        ("supervision:dashboard_chart", ["nobody-caseload"]),
        ("supervision:dashboard_csv", ["manager", "reasons"]),
        ("supervision:dashboard_csv", ["nobody", "clinicians"]),
    ],
)
def test_unknown_charts_and_tables_are_404_and_record_no_slug(manager, sign_in, url_name, args):
    client = sign_in(manager)
    mark = last_event_id()

    assert client.get(reverse(url_name, args=args)).status_code == 404

    (event,) = events_after(mark)
    assert event.event_type == EventType.ACCESS_DENIED
    assert event.details["reason"] == "not_found"
    assert "pie" not in str(event.details) and "nobody" not in str(event.details)
    assert "reasons" not in str(event.details)


@pytest.mark.parametrize(
    ("url_name", "persona", "dashboard"),
    [
        (MANAGER_URL, "manager", "manager"),
        (SUPERVISOR_URL, "supervisor", "supervisor"),
        (ME_URL, "clinician", "me"),
    ],
)
def test_viewing_a_dashboard_is_audited(request, sign_in, url_name, persona, dashboard):
    user = request.getfixturevalue(persona)
    client = sign_in(user)
    mark = last_event_id()

    assert client.get(reverse(url_name)).status_code == 200

    viewed = [e for e in events_after(mark) if e.event_type == EventType.DASHBOARD_VIEWED]
    assert len(viewed) == 1
    assert viewed[0].actor_id == user.pk
    assert viewed[0].details == {"dashboard": dashboard}


def test_the_manager_dashboard_also_records_the_wellbeing_and_job_review_reads(manager, sign_in):
    client = sign_in(manager)
    mark = last_event_id()

    assert client.get(reverse(MANAGER_URL)).status_code == 200

    assert sorted(types_after(mark)) == sorted(
        [
            EventType.JOB_REVIEWS_VIEWED,
            EventType.WELLBEING_AGGREGATES_VIEWED,
            EventType.DASHBOARD_VIEWED,
        ]
    )


# ---- empty states ----------------------------------------------------------------------------


def test_empty_dashboards_say_so(manager, supervisor, clinician, sign_in, client):
    manager_page = sign_in(manager).get(reverse(MANAGER_URL)).content.decode()
    client.logout()
    supervisor_page = sign_in(UserFactory(roles=[Role.SUPERVISOR])).get(reverse(SUPERVISOR_URL))
    client.logout()
    me_page = sign_in(clinician).get(reverse(ME_URL)).content.decode()

    # The clinician fixture exists, so the manager sees one row; no transfers anywhere.
    assert "No open transfer requests." in manager_page
    assert "You have no active supervisees." in supervisor_page.content.decode()
    assert "No one has shared a result with you." in supervisor_page.content.decode()
    assert "No sessions scheduled." in me_page
    assert "No open actions." in me_page
    assert "You have no open transfer requests." in me_page


def test_the_manager_sees_no_clinicians_yet_when_there_are_none(manager, sign_in):
    page = sign_in(manager).get(reverse(MANAGER_URL)).content.decode()
    assert "No clinicians yet." in page


# ---- the supervisor sees only their own supervisees --------------------------------------------


def test_a_supervisor_sees_only_their_own_supervisees(supervisor, sign_in):
    mine = UserFactory(first_name="Mina", last_name="Mine", roles=[Role.CLINICIAN])
    theirs = UserFactory(first_name="Theo", last_name="Theirs", roles=[Role.CLINICIAN])
    former = UserFactory(first_name="Fay", last_name="Former", roles=[Role.CLINICIAN])
    AgreementFactory(supervisor=supervisor, supervisee=mine)
    AgreementFactory(supervisee=theirs)  # another supervisor's
    AgreementFactory(
        supervisor=supervisor,
        supervisee=former,
        active=False,
        ended_on=timezone.localdate(),
        started_on=timezone.localdate(),
    )
    mine_transfer = TransferFactory(requester=mine, supervisor=supervisor, reason=canary("r1"))
    other_transfer = TransferFactory(requester=theirs, reason=canary("r2"))
    checkin = make_checkin(mine, value=7)
    share(checkin, supervisor)
    share(
        make_checkin(theirs, value=3), theirs.supervision_agreements_as_supervisee.get().supervisor
    )

    response = sign_in(supervisor).get(reverse(SUPERVISOR_URL))

    assert response.status_code == 200
    data = response.context["data"]
    assert [row.person.pk for row in data.supervisees] == [mine.pk]
    assert [t.uuid for t in data.transfers] == [mine_transfer.uuid]
    assert [row.checkin.pk for row in data.shared_results] == [checkin.pk]
    page = response.content.decode()
    assert "Mina Mine" in page
    assert "Theo Theirs" not in page and "Fay Former" not in page
    assert mine_transfer.patient.case_code in page
    assert other_transfer.patient.case_code not in page
    assert CANARY_MARKER not in page  # not even the reason addressed to this supervisor


def test_supervisor_csv_lists_only_their_supervisees(supervisor, sign_in):
    mine = UserFactory(username="mine_1", roles=[Role.CLINICIAN])
    AgreementFactory(supervisor=supervisor, supervisee=mine)
    AgreementFactory(supervisee=UserFactory(username="theirs_1", roles=[Role.CLINICIAN]))

    rows = read_csv(
        sign_in(supervisor).get(
            reverse("supervision:dashboard_csv", args=["supervisor", "supervisees"])
        )
    )

    assert [row[0] for row in rows[1:]] == ["mine_1"]


# ---- what the manager never sees ---------------------------------------------------------------


def _private_material(manager_seen_people):
    """Write canary text in every free-text field the dashboards must never show a manager."""
    supervisee, other = manager_seen_people
    agreement = AgreementFactory(supervisee=supervisee)
    held = SessionFactory(
        host=agreement.supervisor,
        supervisee=supervisee,
        status=SessionStatus.HELD,
        starts_at=timezone.now() - dt.timedelta(days=3),
    )
    SessionLogFactory(
        session=held, topics=canary("topics"), notes=canary("notes"), summary=canary("summary")
    )
    ActionFactory(session=held, owner=supervisee, description=canary("action"))
    SessionFactory(
        host=agreement.supervisor,
        supervisee=supervisee,
        status=SessionStatus.CANCELLED,
        cancel_reason=canary("cancel"),
        cancelled_at=timezone.now(),
        location=canary("location"),
    )
    TransferFactory(requester=supervisee, supervisor=agreement.supervisor, reason=canary("reason"))
    TransferFactory(
        requester=supervisee,
        supervisor=agreement.supervisor,
        receiver=other,
        status=TransferStatus.ASSIGNED,
        reason=canary("reason2"),
        handover_note=canary("handover"),
    )
    for person in (supervisee, other):
        make_checkin(person, value=9)


def test_the_manager_sees_no_reason_note_action_or_individual_wellbeing_result(manager, sign_in):
    supervisee = UserFactory(roles=[Role.CLINICIAN])
    other = UserFactory(roles=[Role.CLINICIAN])
    _private_material((supervisee, other))
    client = sign_in(manager)

    response = client.get(reverse(MANAGER_URL))

    assert response.status_code == 200
    page = response.content.decode()
    assert CANARY_MARKER not in page
    # Two check-ins are fewer than the minimum group: the figures are suppressed.
    report = response.context["data"].wellbeing
    assert report.organisation.suppressed is True
    assert report.organisation.count is None
    assert "Not shown" in page
    assert len(response.context["data"].transfers) == 2
    for dashboard, table in TABLES:
        if dashboard != "manager":
            continue
        body = client.get(reverse("supervision:dashboard_csv", args=[dashboard, table])).content
        assert CANARY_MARKER.encode() not in body
    assert not AuditEvent.objects.filter(details__icontains=CANARY_MARKER).exists()


def test_the_transfer_selector_never_loads_the_reason_or_handover_note():
    TransferFactory(reason=canary("reason"))

    with CaptureQueriesContext(connection) as queries:
        rows = open_transfers()
    assert len(rows) == 1
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert '"reason"' not in sql and "handover_note" not in sql


# ---- the clinician's own dashboard -----------------------------------------------------------


def test_my_dashboard_shows_my_clinical_actions_but_no_management_actions(clinician, sign_in):
    clinical = SessionFactory(
        supervisee=clinician,
        status=SessionStatus.HELD,
        starts_at=timezone.now() - dt.timedelta(days=2),
    )
    meeting = SessionFactory(
        supervisee=clinician,
        purpose=SessionPurpose.MANAGEMENT,
        status=SessionStatus.HELD,
        starts_at=timezone.now() - dt.timedelta(days=2),
    )
    ActionFactory(session=clinical, owner=clinician, description="Read the chapter on sleep")
    ActionFactory(session=meeting, owner=clinician, description=canary("management-action"))
    ActionFactory(
        session=clinical,
        owner=clinician,
        description=canary("done"),
        completed_at=timezone.now(),
    )
    ActionFactory(description=canary("someone-else"))

    response = sign_in(clinician).get(reverse(ME_URL))

    page = response.content.decode()
    assert "Read the chapter on sleep" in page
    assert CANARY_MARKER not in page
    assert [a.description for a in response.context["data"].actions] == [
        "Read the chapter on sleep"
    ]


def test_my_next_sessions_are_clinical_as_supervisee_host_or_group_member(clinician, sign_in):
    soon = timezone.now() + dt.timedelta(days=2)
    as_supervisee = SessionFactory(supervisee=clinician, starts_at=soon, location="Room 7")
    group = GroupFactory()
    GroupMemberFactory(group=group, member=clinician)
    in_group = SessionFactory(
        kind=SessionKind.GROUP,
        host=group.facilitator,
        supervisee=None,
        group=group,
        starts_at=soon + dt.timedelta(days=1),
    )
    SessionFactory(supervisee=clinician, purpose=SessionPurpose.MANAGEMENT, starts_at=soon)
    SessionFactory(supervisee=clinician, starts_at=timezone.now() - dt.timedelta(days=1))
    SessionFactory(
        supervisee=clinician,
        starts_at=soon,
        status=SessionStatus.CANCELLED,
        cancel_reason="ill",
        cancelled_at=timezone.now(),
    )
    SessionFactory(starts_at=soon)  # someone else's

    response = sign_in(clinician).get(reverse(ME_URL))

    sessions = response.context["data"].sessions
    assert [s.uuid for s in sessions] == [as_supervisee.uuid, in_group.uuid]
    assert "Room 7" in response.content.decode()


def test_my_dashboard_shows_my_caseload_against_the_guideline_with_flags(clinician, sign_in):
    GuidelineFactory(max_active_patients=4, max_complexity_points=50, min_stages=2)
    WorkProfileFactory(person=clinician, fte="0.50")
    patients_for(clinician, 3, stage=Stage.RECOVERY)
    TransferFactory(requester=clinician, reason=canary("my-reason"))

    response = sign_in(clinician).get(reverse(ME_URL))

    me = response.context["data"].me
    assert me.caseload.max_patients == 2
    assert me.caseload.figures.active_patients == 3
    assert set(me.caseload.flags) == {"over_patients", "narrow_stages"}
    page = response.content.decode()
    assert "More active patients than the guideline" in page
    assert "Too few stages of care" in page
    assert "Requested" in page
    assert CANARY_MARKER not in page


# ---- overdue supervision ---------------------------------------------------------------------


def test_an_overdue_supervisee_is_flagged_for_the_supervisor_and_the_manager(
    supervisor, manager, sign_in, client
):
    late = UserFactory(first_name="Lee", last_name="Late", roles=[Role.CLINICIAN])
    fine = UserFactory(first_name="Fin", last_name="Fine", roles=[Role.CLINICIAN])
    for person, days_ago in ((late, 40), (fine, 3)):
        AgreementFactory(
            supervisor=supervisor,
            supervisee=person,
            cadence_weeks=4,
            started_on=timezone.localdate() - dt.timedelta(days=200),
        )
        SessionFactory(
            host=supervisor,
            supervisee=person,
            status=SessionStatus.HELD,
            starts_at=timezone.now() - dt.timedelta(days=days_ago),
        )

    for persona, url_name in ((supervisor, SUPERVISOR_URL), (manager, MANAGER_URL)):
        response = sign_in(persona).get(reverse(url_name))
        rows = {row.person.pk: row for row in response.context["page_obj"].object_list}
        assert rows[late.pk].overdue is True
        assert rows[late.pk].overdue_days == 12
        assert rows[fine.pk].overdue is False
        assert response.context["data"].summary.overdue == 1
        page = response.content.decode()
        assert "Overdue by 12 days" in page
        assert "On time" in page
        client.logout()


# ---- CSV -------------------------------------------------------------------------------------


def test_the_manager_csv_equals_the_table_and_is_audited(manager, sign_in):
    GuidelineFactory(max_active_patients=10)
    busy = UserFactory(username="busy", roles=[Role.CLINICIAN])
    calm = UserFactory(username="calm", roles=[Role.CLINICIAN])
    patients_for(busy, 11, stage=Stage.INTAKE, risk=RiskLevel.HIGH)
    patients_for(calm, 2)
    WorkProfileFactory(person=calm, fte="0.80")
    client = sign_in(manager)
    table = client.get(reverse(MANAGER_URL)).context["page_obj"].object_list
    mark = last_event_id()

    response = client.get(reverse("supervision:dashboard_csv", args=["manager", "clinicians"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="carecore-manager-')
    assert "no-store" in response["Cache-Control"]
    header, *rows = read_csv(response)
    assert header[:3] == ["Username", "Active patients", "Patient limit (pro-rated)"]
    assert [row[0] for row in rows] == [r.person.username for r in table]
    by_name = {row[0]: row for row in rows}
    assert by_name["busy"][1:4] == ["11", "10.0", "22"]
    assert by_name["busy"][6] == "11"  # at high risk
    assert "More active patients than the guideline" in by_name["busy"][9]
    assert by_name["calm"][1:3] == ["2", "8.0"]
    assert by_name["calm"][8] == "0.80"
    (event,) = events_after(mark)
    assert event.event_type == EventType.DASHBOARD_EXPORTED
    assert event.actor_id == manager.pk
    assert event.details == {"dashboard": "manager", "table": "clinicians", "rows": len(rows)}


def test_the_stage_csv_equals_the_stage_table(manager, sign_in):
    person = UserFactory(username="mixed", roles=[Role.CLINICIAN])
    patients_for(person, 2, stage=Stage.INTAKE)
    patients_for(person, 1, stage=Stage.REINTEGRATION)

    rows = read_csv(
        sign_in(manager).get(reverse("supervision:dashboard_csv", args=["manager", "stages"]))
    )

    assert rows[0] == [
        "Username",
        "Intake",
        "Stabilisation",
        "Recovery",
        "Reintegration",
        "Active patients",
    ]
    assert rows[1] == ["mixed", "2", "0", "0", "1", "3"]


def test_my_action_csv_has_dates_but_not_the_action_text(clinician, sign_in):
    session = SessionFactory(
        supervisee=clinician,
        status=SessionStatus.HELD,
        starts_at=timezone.now() - dt.timedelta(days=2),
    )
    ActionFactory(session=session, owner=clinician, description=canary("text"))

    response = sign_in(clinician).get(reverse("supervision:dashboard_csv", args=["me", "actions"]))

    header, row = read_csv(response)
    assert header == ["Due on", "Overdue", "Agreed in the session of"]
    assert row[1] == "no"
    assert CANARY_MARKER.encode() not in response.content


@pytest.mark.parametrize(("dashboard", "table"), TABLES)
def test_every_table_downloads_for_its_own_role(manager, supervisor, sign_in, dashboard, table):
    user = {"manager": manager, "supervisor": supervisor, "me": supervisor}[dashboard]
    response = sign_in(user).get(reverse("supervision:dashboard_csv", args=[dashboard, table]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert (
        AuditEvent.objects.filter(
            event_type=EventType.DASHBOARD_EXPORTED,
            details__table=table,
            details__dashboard=dashboard,
        ).count()
        == 1
    )


def test_csv_cells_that_a_spreadsheet_would_run_are_quoted(manager, sign_in):
    UserFactory(username="=cmd|calc", roles=[Role.CLINICIAN])
    UserFactory(username="@sum", roles=[Role.CLINICIAN])

    rows = read_csv(
        sign_in(manager).get(reverse("supervision:dashboard_csv", args=["manager", "clinicians"]))
    )

    assert {row[0] for row in rows[1:]} == {"'=cmd|calc", "'@sum"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@a", "'@a"),
        ("\tx", "'\tx"),
        ("plain", "plain"),
        (-3, "-3"),
        (None, ""),
        (True, "yes"),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_csv_bytes_starts_with_a_byte_order_mark():
    body = csv_bytes(ExportTable(header=["A"], rows=[["=x"]]))
    assert body.startswith(b"\xef\xbb\xbf")
    assert body.decode("utf-8-sig").splitlines() == ["A", "'=x"]


# ---- charts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CHARTS)
def test_charts_are_svg_with_no_script_under_a_strict_csp(manager, supervisor, sign_in, name):
    person = UserFactory(first_name="Ana", last_name="<b>&", roles=[Role.CLINICIAN])
    AgreementFactory(supervisor=supervisor, supervisee=person)
    patients_for(person, 3)
    patients_for(supervisor, 2, stage=Stage.INTAKE)
    user = manager if name.startswith("manager") else supervisor
    mark = last_event_id()

    response = sign_in(user).get(reverse("supervision:dashboard_chart", args=[name]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    body = response.content.decode()
    root = ET.fromstring(response.content)  # noqa: S314 (our own response)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "<script" not in body
    assert "https://" not in body and "http://pygal" not in body
    csp = response["Content-Security-Policy"]
    assert "script-src 'none'" in csp
    assert "default-src 'none'" in csp
    assert "style-src 'unsafe-inline'" in csp
    (event,) = events_after(mark)
    dashboard, kind = name.split("-")
    assert event.event_type == EventType.DASHBOARD_CHART_VIEWED
    assert event.details == {"dashboard": dashboard, "chart": kind}


def test_each_chart_on_the_page_has_an_alt_and_a_table_alternative(manager, sign_in):
    patients_for(UserFactory(roles=[Role.CLINICIAN]), 2)

    page = sign_in(manager).get(reverse(MANAGER_URL)).content.decode()

    for kind, table_id in (("caseload", "caseload-table"), ("stages", "stages-table")):
        src = reverse("supervision:dashboard_chart", args=[f"manager-{kind}"])
        assert f'<img src="{src}?page=1"' in page
        assert f'href="#{table_id}"' in page
        assert f'<table id="{table_id}">' in page
    assert 'alt="Bar chart of active patients beside the pro-rated limit' in page
    assert 'alt="Stacked bar chart of active patients by stage of care' in page


def test_the_caseload_chart_draws_the_figures_of_the_table(manager, sign_in):
    person = UserFactory(first_name="Bea", last_name="Bars", roles=[Role.CLINICIAN])
    patients_for(person, 3)

    body = (
        sign_in(manager)
        .get(reverse("supervision:dashboard_chart", args=["manager-caseload"]))
        .content.decode()
    )

    assert "Bea Bars" in body
    assert "Active patients" in body and "Pro-rated limit" in body


def test_a_supervisor_can_switch_to_their_own_dashboard(supervisor, sign_in):
    page = sign_in(supervisor).get(reverse(SUPERVISOR_URL)).content.decode()

    assert f'href="{reverse(ME_URL)}"' in page
    assert f'href="{reverse(MANAGER_URL)}"' not in page


def test_a_supervisors_chart_draws_only_their_supervisees(supervisor, sign_in):
    AgreementFactory(
        supervisor=supervisor,
        supervisee=UserFactory(first_name="Mo", last_name="Mine", roles=[Role.CLINICIAN]),
    )
    AgreementFactory(
        supervisee=UserFactory(first_name="Ty", last_name="Theirs", roles=[Role.CLINICIAN])
    )

    body = (
        sign_in(supervisor)
        .get(reverse("supervision:dashboard_chart", args=["supervisor-caseload"]))
        .content.decode()
    )

    assert "Mo Mine" in body
    assert "Ty Theirs" not in body


def test_the_chart_draws_the_same_page_as_the_table(manager, sign_in):
    for index in range(52):
        UserFactory(
            username=f"staffer{index:02d}", first_name="", last_name="", roles=[Role.CLINICIAN]
        )
    client = sign_in(manager)

    second = client.get(reverse(MANAGER_URL), {"page": 2})
    chart = client.get(
        reverse("supervision:dashboard_chart", args=["manager-caseload"]), {"page": 2}
    ).content.decode()

    names = [row.person.name for row in second.context["page_obj"].object_list]
    assert names == ["staffer50", "staffer51"]
    assert "staffer50" in chart and "staffer51" in chart and "staffer49" not in chart
    assert 'manager-caseload.svg?page=2"' in second.content.decode()


def test_a_chart_draws_exactly_the_people_of_its_table_page(manager):
    for _n in range(55):
        UserFactory(roles=[Role.CLINICIAN])

    table = dashboard_manager_for(user=manager)
    for number in (1, 2):
        drawn = dashboard_chart_rows_for(
            user=manager, dashboard="manager", chart="caseload", page=number
        )
        listed = page_of(table.clinicians, number).object_list
        assert [row.person.pk for row in drawn] == [row.person.pk for row in listed]


def test_my_open_actions_are_counted_in_full_when_the_list_is_cut(clinician, sign_in):
    agreement = AgreementFactory(supervisee=clinician)
    session = SessionFactory(
        host=agreement.supervisor, supervisee=clinician, status=SessionStatus.HELD
    )
    for _n in range(30):
        ActionFactory(session=session, owner=clinician)

    page = sign_in(clinician).get(reverse(ME_URL))

    assert page.context["data"].actions_open == 30
    assert len(page.context["data"].actions) == 25
    assert "Showing the 25 soonest due of 30 open actions." in page.content.decode()
