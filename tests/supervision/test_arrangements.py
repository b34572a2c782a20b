"""Managers keep supervision agreements, groups and work profiles; everyone else gets a 404.

Every change writes one audit event with ids and numbers only; bad input is refused with a
constant message and nothing is saved.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from carecore.accounts.roles import Role
from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent
from supervision.models import (
    SessionKind,
    SessionPurpose,
    SessionStatus,
    SupervisionAgreement,
    SupervisionGroup,
    SupervisionGroupMember,
    SupervisionSession,
    WorkProfile,
)
from supervision.permissions.arrangements import ArrangementInvalid, ArrangementNotFound
from supervision.services import arrangements as svc
from tests.factories import UserFactory
from tests.patients.factories import clinician as new_clinician

from .factories import (
    AgreementFactory,
    GroupFactory,
    GroupMemberFactory,
    SessionFactory,
    WorkProfileFactory,
    supervisor_user,
)

pytestmark = pytest.mark.django_db


def events(event_type: EventType) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=event_type).order_by("pk"))


def only_ids_and_numbers(details: dict) -> bool:
    """Return whether every value is an id, a number, a flag, a numeric string or empty."""

    def ok(value: object) -> bool:
        if value is None or isinstance(value, bool | int):
            return True
        if isinstance(value, str):
            return value.replace(".", "", 1).isdigit()
        if isinstance(value, list):
            return all(ok(item) for item in value)
        return False

    return all(ok(value) for value in details.values())


# --- access ---------------------------------------------------------------------------------

PAGES = [
    ("supervision:agreements", {}),
    ("supervision:agreement_new", {}),
    ("supervision:agreement_edit", {"pk": "agreement"}),
    ("supervision:agreement_end", {"pk": "agreement"}),
    ("supervision:groups", {}),
    ("supervision:group_new", {}),
    ("supervision:group_detail", {"pk": "group"}),
    ("supervision:work_profiles", {}),
    ("supervision:work_profile_edit", {"user_id": "person"}),
]


def _url(name: str, kwargs: dict, agreement, group, person) -> str:
    objects = {"agreement": agreement.pk, "group": group.pk, "person": person.pk}
    return reverse(name, kwargs={key: objects[value] for key, value in kwargs.items()})


@pytest.mark.parametrize(("name", "kwargs"), PAGES, ids=[name for name, _ in PAGES])
def test_manager_opens_every_arrangement_page(client, sign_in, manager, name, kwargs):
    agreement, group = AgreementFactory(), GroupFactory()
    sign_in(manager)

    response = client.get(_url(name, kwargs, agreement, group, agreement.supervisee))

    assert response.status_code == 200


@pytest.mark.parametrize("persona", ["clinician", "supervisor", "admin_user", "reception"])
@pytest.mark.parametrize(("name", "kwargs"), PAGES, ids=[name for name, _ in PAGES])
def test_non_managers_get_404_and_an_audited_denial(
    client, sign_in, request, persona, name, kwargs
):
    user = request.getfixturevalue(persona)
    agreement, group = AgreementFactory(), GroupFactory()
    sign_in(user)

    response = client.get(_url(name, kwargs, agreement, group, agreement.supervisee))

    assert response.status_code == 404
    (denied,) = events(EventType.ACCESS_DENIED)
    assert denied.actor_id == user.pk
    assert denied.outcome == Outcome.DENIED
    assert denied.details["reason"] == "role"


def test_non_manager_post_changes_nothing(client, sign_in, supervisor):
    agreement = AgreementFactory(cadence_weeks=4)
    sign_in(supervisor)

    response = client.post(reverse("supervision:agreement_end", args=[agreement.pk]), {})

    agreement.refresh_from_db()
    assert response.status_code == 404
    assert agreement.active is True
    assert events(EventType.AGREEMENT_ENDED) == []
    assert len(events(EventType.ACCESS_DENIED)) == 1


def test_missing_agreement_is_404_and_audited(client, sign_in, manager):
    sign_in(manager)

    response = client.get(reverse("supervision:agreement_edit", args=[999999]))

    assert response.status_code == 404
    (denied,) = events(EventType.ACCESS_DENIED)
    assert denied.details == {"action": "agreement_update", "reason": "not_found"}


def test_services_check_the_role_themselves(clinician, other_clinician):
    with pytest.raises(ArrangementNotFound):
        svc.agreement_create(
            actor=clinician,
            supervisor=supervisor_user(),
            supervisee=other_clinician,
            cadence_weeks=4,
        )

    assert SupervisionAgreement.objects.count() == 0
    (denied,) = events(EventType.ACCESS_DENIED)
    assert denied.details == {"action": "agreement_create", "reason": "role"}


# --- agreements -----------------------------------------------------------------------------


def test_manager_creates_an_agreement(client, sign_in, manager, supervisor, clinician):
    sign_in(manager)

    response = client.post(
        reverse("supervision:agreement_new"),
        {"supervisor": supervisor.pk, "supervisee": clinician.pk, "cadence_weeks": "3"},
    )

    assert response.status_code == 302
    agreement = SupervisionAgreement.objects.get()
    assert (agreement.supervisor, agreement.supervisee, agreement.cadence_weeks) == (
        supervisor,
        clinician,
        3,
    )
    assert agreement.active and agreement.started_on == timezone.localdate()
    (created,) = events(EventType.AGREEMENT_CREATED)
    assert created.actor_id == manager.pk
    assert created.target_id == str(agreement.pk)
    assert created.details == {
        "supervisor": supervisor.pk,
        "supervisee": clinician.pk,
        "cadence_weeks": 3,
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cadence_weeks", "0", svc.CADENCE_OUT_OF_RANGE),
        ("cadence_weeks", "27", svc.CADENCE_OUT_OF_RANGE),
        ("supervisee", "self", svc.NOT_SELF),
    ],
)
def test_bad_agreement_input_is_refused(
    client, sign_in, manager, supervisor, clinician, field, value, message
):
    data = {"supervisor": supervisor.pk, "supervisee": clinician.pk, "cadence_weeks": "4"}
    data[field] = supervisor.pk if value == "self" else value
    sign_in(manager)

    response = client.post(reverse("supervision:agreement_new"), data)

    assert response.status_code == 200
    assert str(message) in response.content.decode()
    assert SupervisionAgreement.objects.count() == 0
    assert events(EventType.AGREEMENT_CREATED) == []


def test_supervisor_must_hold_the_supervisor_role(manager, clinician, other_clinician):
    with pytest.raises(ArrangementInvalid) as refused:
        svc.agreement_create(
            actor=manager, supervisor=clinician, supervisee=other_clinician, cadence_weeks=4
        )

    assert str(refused.value) == str(svc.SUPERVISOR_ROLE_REQUIRED)
    assert refused.value.field == "supervisor"
    assert SupervisionAgreement.objects.count() == 0


def test_supervisee_must_be_staff(manager, supervisor, admin_user):
    with pytest.raises(ArrangementInvalid) as refused:
        svc.agreement_create(
            actor=manager, supervisor=supervisor, supervisee=admin_user, cadence_weeks=4
        )

    assert str(refused.value) == str(svc.SUPERVISEE_NOT_STAFF)


def test_a_supervisee_with_an_active_agreement_gets_a_clear_error(
    client, sign_in, manager, clinician
):
    AgreementFactory(supervisee=clinician)
    other_supervisor = supervisor_user()
    sign_in(manager)

    response = client.post(
        reverse("supervision:agreement_new"),
        {"supervisor": other_supervisor.pk, "supervisee": clinician.pk, "cadence_weeks": "4"},
    )

    assert response.status_code == 200
    assert str(svc.ALREADY_SUPERVISED) in response.content.decode()
    assert SupervisionAgreement.objects.filter(supervisee=clinician).count() == 1
    assert events(EventType.AGREEMENT_CREATED) == []


def test_manager_changes_the_cadence(client, sign_in, manager):
    agreement = AgreementFactory(cadence_weeks=4)
    sign_in(manager)

    response = client.post(
        reverse("supervision:agreement_edit", args=[agreement.pk]), {"cadence_weeks": "6"}
    )

    agreement.refresh_from_db()
    assert response.status_code == 302
    assert agreement.cadence_weeks == 6
    (changed,) = events(EventType.AGREEMENT_CHANGED)
    assert changed.details == {
        "supervisee": agreement.supervisee_id,
        "old_cadence_weeks": 4,
        "new_cadence_weeks": 6,
    }


def test_a_bad_cadence_change_saves_nothing(client, sign_in, manager):
    agreement = AgreementFactory(cadence_weeks=4)
    sign_in(manager)

    response = client.post(
        reverse("supervision:agreement_edit", args=[agreement.pk]), {"cadence_weeks": "30"}
    )

    agreement.refresh_from_db()
    assert response.status_code == 200
    assert str(svc.CADENCE_OUT_OF_RANGE) in response.content.decode()
    assert agreement.cadence_weeks == 4
    assert events(EventType.AGREEMENT_CHANGED) == []


def test_ending_asks_first_then_ends(client, sign_in, manager):
    agreement = AgreementFactory()
    url = reverse("supervision:agreement_end", args=[agreement.pk])
    sign_in(manager)

    confirm = client.get(url)
    agreement.refresh_from_db()
    assert confirm.status_code == 200
    assert agreement.active is True

    response = client.post(url)

    agreement.refresh_from_db()
    assert response.status_code == 302
    assert agreement.active is False
    assert agreement.ended_on == timezone.localdate()
    (ended,) = events(EventType.AGREEMENT_ENDED)
    assert ended.details == {
        "supervisor": agreement.supervisor_id,
        "supervisee": agreement.supervisee_id,
        "sessions_cancelled": 0,
    }


def test_an_ended_agreement_cannot_change_and_frees_the_supervisee(manager):
    agreement = AgreementFactory()
    svc.agreement_end(actor=manager, agreement=agreement)

    with pytest.raises(ArrangementInvalid) as refused:
        svc.agreement_update(actor=manager, agreement=agreement, cadence_weeks=2)
    new = svc.agreement_create(
        actor=manager,
        supervisor=supervisor_user(),
        supervisee=agreement.supervisee,
        cadence_weeks=2,
    )

    assert str(refused.value) == str(svc.AGREEMENT_ENDED)
    assert new.active is True


def test_the_list_filters_active_and_ended(client, sign_in, manager):
    active = AgreementFactory()
    ended = AgreementFactory(active=False, ended_on=timezone.localdate())
    sign_in(manager)

    active_page = client.get(reverse("supervision:agreements"))
    ended_page = client.get(reverse("supervision:agreements"), {"status": "ended"})

    assert [a.pk for a in active_page.context["page_obj"]] == [active.pk]
    assert [a.pk for a in ended_page.context["page_obj"]] == [ended.pk]


def _list_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("url_name", "make"),
    [
        ("supervision:agreements", lambda: AgreementFactory()),
        ("supervision:groups", lambda: GroupMemberFactory().group),
        (
            "supervision:work_profiles",
            lambda: WorkProfileFactory(line_manager=UserFactory(roles=[Role.MANAGER])),
        ),
    ],
    ids=["agreements", "groups", "work_profiles"],
)
def test_list_query_counts_do_not_grow(client, sign_in, manager, url_name, make):
    sign_in(manager)
    url = reverse(url_name)
    for _ in range(5):
        make()
    client.get(url)  # the first request of a session tracks it; measure the ones after
    with_five = _list_queries(client, url)
    for _ in range(45):
        make()

    with_fifty = _list_queries(client, url)

    assert with_fifty == with_five


# --- groups ---------------------------------------------------------------------------------


def test_manager_creates_a_group_and_adds_and_removes_a_member(
    client, sign_in, manager, supervisor, clinician
):
    sign_in(manager)

    created = client.post(
        reverse("supervision:group_new"),
        {"name": "Reflective practice", "facilitator": supervisor.pk, "cadence_weeks": "2"},
    )
    group = SupervisionGroup.objects.get()
    added = client.post(
        reverse("supervision:group_detail", args=[group.pk]), {"member": clinician.pk}
    )
    membership = SupervisionGroupMember.objects.get()
    remove_url = reverse("supervision:group_member_remove", args=[group.pk, membership.pk])
    confirm = client.get(remove_url)
    still_member = SupervisionGroupMember.objects.get().left_on is None
    removed = client.post(remove_url)

    membership.refresh_from_db()
    assert (created.status_code, added.status_code, confirm.status_code, removed.status_code) == (
        302,
        302,
        200,
        302,
    )
    assert still_member is True
    assert membership.left_on == timezone.localdate()
    (group_event,) = events(EventType.SUPERVISION_GROUP_CREATED)
    assert group_event.details == {"facilitator": supervisor.pk, "cadence_weeks": 2}
    (add_event,) = events(EventType.SUPERVISION_GROUP_MEMBER_ADDED)
    assert add_event.details == {"group": group.pk, "member": clinician.pk}
    (remove_event,) = events(EventType.SUPERVISION_GROUP_MEMBER_REMOVED)
    assert remove_event.details == {"group": group.pk, "member": clinician.pk}


def test_group_rules(manager, supervisor, clinician):
    group = GroupFactory(name="Existing")
    GroupMemberFactory(group=group, member=clinician)

    refusals = {}
    for key, call in {
        "facilitator": lambda: svc.group_create(
            actor=manager, name="New", facilitator=clinician, cadence_weeks=2
        ),
        "name": lambda: svc.group_create(
            actor=manager, name="existing", facilitator=supervisor, cadence_weeks=2
        ),
        "cadence": lambda: svc.group_create(
            actor=manager, name="New", facilitator=supervisor, cadence_weeks=0
        ),
        "member": lambda: svc.group_member_add(actor=manager, group=group, member=clinician),
        "host": lambda: svc.group_member_add(actor=manager, group=group, member=group.facilitator),
    }.items():
        with pytest.raises(ArrangementInvalid) as refused:
            call()
        refusals[key] = str(refused.value)

    assert refusals == {
        "facilitator": str(svc.FACILITATOR_ROLE_REQUIRED),
        "name": str(svc.GROUP_NAME_TAKEN),
        "cadence": str(svc.CADENCE_OUT_OF_RANGE),
        "member": str(svc.ALREADY_MEMBER),
        "host": str(svc.FACILITATOR_NOT_MEMBER),
    }
    assert SupervisionGroup.objects.count() == 1
    assert SupervisionGroupMember.objects.count() == 1


# --- work profiles --------------------------------------------------------------------------


def test_hours_are_converted_to_fte_and_audited_as_numbers(
    client, sign_in, manager, clinician, settings
):
    settings.CARECORE_FULL_TIME_HOURS = "37.5"
    line_manager = UserFactory(roles=[Role.MANAGER])
    WorkProfileFactory(person=clinician, fte=Decimal("1.00"), non_patient_percent=20)
    sign_in(manager)

    response = client.post(
        reverse("supervision:work_profile_edit", args=[clinician.pk]),
        {
            "fte": "",
            "weekly_hours": "30",
            "non_patient_percent": "25",
            "line_manager": line_manager.pk,
        },
    )

    profile = WorkProfile.objects.get(person=clinician)
    assert response.status_code == 302
    assert (profile.fte, profile.weekly_hours, profile.non_patient_percent) == (
        Decimal("0.80"),
        Decimal("30.0"),
        25,
    )
    assert profile.line_manager == line_manager
    (changed,) = events(EventType.WORK_PROFILE_CHANGED)
    assert changed.details == {
        "person": clinician.pk,
        "created": False,
        "old_fte": "1.00",
        "new_fte": "0.80",
        "old_weekly_hours": None,
        "new_weekly_hours": "30.0",
        "old_non_patient_percent": 20,
        "new_non_patient_percent": 25,
        "old_line_manager": None,
        "new_line_manager": line_manager.pk,
    }
    assert only_ids_and_numbers(changed.details)


def test_fte_is_stored_and_both_figures_are_listed(client, sign_in, manager, clinician, settings):
    settings.CARECORE_FULL_TIME_HOURS = "40"
    sign_in(manager)

    client.post(
        reverse("supervision:work_profile_edit", args=[clinician.pk]),
        {"fte": "0.50", "weekly_hours": "", "non_patient_percent": "20"},
    )
    listing = client.get(reverse("supervision:work_profiles"))

    profile = WorkProfile.objects.get(person=clinician)
    assert (profile.fte, profile.weekly_hours) == (Decimal("0.50"), None)
    (row,) = [row for row in listing.context["rows"] if row.person == clinician]
    assert (row.fte, row.weekly_hours, row.hours_derived) == (
        Decimal("0.50"),
        Decimal("20.0"),
        True,
    )
    (created,) = events(EventType.WORK_PROFILE_CHANGED)
    assert created.details["created"] is True
    assert created.details["new_fte"] == "0.50"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"fte": "0.50", "weekly_hours": "20"}, svc.FTE_OR_HOURS),
        ({"fte": "", "weekly_hours": ""}, svc.FTE_OR_HOURS_REQUIRED),
        ({"fte": "0.01"}, svc.FTE_OUT_OF_RANGE),
        ({"fte": "1.50"}, svc.FTE_OUT_OF_RANGE),
        ({"fte": "", "weekly_hours": "60"}, svc.HOURS_OUT_OF_RANGE),
        ({"non_patient_percent": "101"}, svc.PERCENT_OUT_OF_RANGE),
        ({"line_manager": "self"}, svc.LINE_MANAGER_NOT_SELF),
    ],
)
def test_bad_work_profile_input_is_refused(client, sign_in, manager, data, message):
    person = UserFactory(roles=[Role.MANAGER, Role.CLINICIAN])
    form = {"fte": "1.00", "weekly_hours": "", "non_patient_percent": "20", "line_manager": ""}
    form.update({key: person.pk if value == "self" else value for key, value in data.items()})
    sign_in(manager)

    response = client.post(reverse("supervision:work_profile_edit", args=[person.pk]), form)

    assert response.status_code == 200
    assert str(message) in response.content.decode()
    assert WorkProfile.objects.filter(person=person).count() == 0
    assert events(EventType.WORK_PROFILE_CHANGED) == []


def test_line_manager_must_be_a_manager(manager, clinician, other_clinician):
    with pytest.raises(ArrangementInvalid) as refused:
        svc.work_profile_set(
            actor=manager,
            person=clinician,
            fte=Decimal("1.00"),
            non_patient_percent=20,
            line_manager=other_clinician,
        )

    assert str(refused.value) == str(svc.LINE_MANAGER_ROLE_REQUIRED)
    assert WorkProfile.objects.count() == 0


def test_every_arrangement_event_holds_ids_and_numbers_only(manager, supervisor):
    supervisee = new_clinician()
    agreement = svc.agreement_create(
        actor=manager, supervisor=supervisor, supervisee=supervisee, cadence_weeks=4
    )
    svc.agreement_update(actor=manager, agreement=agreement, cadence_weeks=5)
    svc.agreement_end(actor=manager, agreement=agreement)
    group = svc.group_create(
        actor=manager, name="Group with a name", facilitator=supervisor, cadence_weeks=3
    )
    membership = svc.group_member_add(actor=manager, group=group, member=supervisee)
    svc.group_member_remove(actor=manager, membership=membership)
    svc.work_profile_set(
        actor=manager,
        person=supervisee,
        weekly_hours=Decimal("20"),
        non_patient_percent=30,
        line_manager=manager,
    )

    written = list(AuditEvent.objects.order_by("pk"))

    assert [event.event_type for event in written] == [
        EventType.AGREEMENT_CREATED,
        EventType.AGREEMENT_CHANGED,
        EventType.AGREEMENT_ENDED,
        EventType.SUPERVISION_GROUP_CREATED,
        EventType.SUPERVISION_GROUP_MEMBER_ADDED,
        EventType.SUPERVISION_GROUP_MEMBER_REMOVED,
        EventType.WORK_PROFILE_CHANGED,
    ]
    assert all(only_ids_and_numbers(event.details) for event in written)
    assert all("Group with a name" not in str(event.details) for event in written)


# --- changing and closing groups --------------------------------------------------------------


def _group_session(group: SupervisionGroup, *, days: int, **kwargs):
    return SessionFactory(
        kind=SessionKind.GROUP,
        supervisee=None,
        group=group,
        host=group.facilitator,
        starts_at=timezone.now() + dt.timedelta(days=days),
        **kwargs,
    )


def _unchanged(group: SupervisionGroup) -> tuple:
    group.refresh_from_db()
    return group.facilitator_id, group.cadence_weeks, group.active


@pytest.mark.parametrize("name", ["supervision:group_edit", "supervision:group_close"])
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("persona", ["clinician", "supervisor", "admin_user", "reception"])
def test_non_managers_cannot_change_or_close_a_group(
    client, sign_in, request, persona, method, name
):
    user = request.getfixturevalue(persona)
    group = GroupFactory(cadence_weeks=2)
    GroupMemberFactory(group=group)
    sign_in(user)

    response = getattr(client, method)(
        reverse(name, args=[group.pk]), {"facilitator": supervisor_user().pk, "cadence_weeks": 5}
    )

    assert response.status_code == 404
    assert _unchanged(group) == (group.facilitator_id, 2, True)
    assert SupervisionGroupMember.objects.filter(left_on__isnull=True).count() == 1
    assert events(EventType.SUPERVISION_GROUP_CHANGED) == []
    (denied,) = events(EventType.ACCESS_DENIED)
    assert denied.actor_id == user.pk
    assert denied.outcome == Outcome.DENIED
    assert denied.details == {
        "action": "group_update" if name.endswith("edit") else "group_close",
        "reason": "role",
    }


@pytest.mark.parametrize("name", ["supervision:group_edit", "supervision:group_close"])
def test_a_missing_group_is_404_and_audited(client, sign_in, manager, name):
    sign_in(manager)

    response = client.get(reverse(name, args=[999999]))

    assert response.status_code == 404
    (denied,) = events(EventType.ACCESS_DENIED)
    assert denied.details["reason"] == "not_found"


def test_manager_changes_a_groups_facilitator_and_cadence(client, sign_in, manager):
    group = GroupFactory(cadence_weeks=2)
    old_facilitator = group.facilitator
    new_facilitator = supervisor_user()
    url = reverse("supervision:group_edit", args=[group.pk])
    sign_in(manager)

    form = client.get(url)
    saved = client.post(url, {"facilitator": new_facilitator.pk, "cadence_weeks": "3"})

    group.refresh_from_db()
    assert form.status_code == 200
    assert form.context["form"].initial == {
        "facilitator": old_facilitator.pk,
        "cadence_weeks": 2,
    }
    assert saved.status_code == 302
    assert saved["Location"] == reverse("supervision:group_detail", args=[group.pk])
    assert (group.facilitator_id, group.cadence_weeks, group.active) == (
        new_facilitator.pk,
        3,
        True,
    )
    (changed,) = events(EventType.SUPERVISION_GROUP_CHANGED)
    assert changed.actor_id == manager.pk
    assert changed.outcome == Outcome.SUCCESS
    assert changed.target_id == str(group.pk)
    assert changed.details == {
        "old": {"facilitator": old_facilitator.pk, "cadence_weeks": 2},
        "new": {"facilitator": new_facilitator.pk, "cadence_weeks": 3},
        "sessions_rehosted": 0,
    }
    assert group.name not in str(changed.details)


def test_changing_only_the_cadence_keeps_the_facilitator(manager):
    group = GroupFactory(cadence_weeks=2)

    svc.group_update(actor=manager, group=group, facilitator=group.facilitator, cadence_weeks=26)

    assert _unchanged(group) == (group.facilitator_id, 26, True)
    (changed,) = events(EventType.SUPERVISION_GROUP_CHANGED)
    assert changed.details["new"] == {"facilitator": group.facilitator_id, "cadence_weeks": 26}


def _member_supervisor(group: SupervisionGroup):
    person = supervisor_user()
    GroupMemberFactory(group=group, member=person)
    return person


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("not_a_supervisor", svc.FACILITATOR_ROLE_REQUIRED),
        ("inactive_supervisor", svc.FACILITATOR_ROLE_REQUIRED),
        ("current_member", svc.FACILITATOR_IS_MEMBER),
        ("cadence_0", svc.CADENCE_OUT_OF_RANGE),
        ("cadence_27", svc.CADENCE_OUT_OF_RANGE),
        ("nothing_changed", svc.NOTHING_CHANGED),
        ("closed", svc.GROUP_CLOSED),
    ],
)
def test_bad_group_changes_are_refused_and_save_nothing(manager, case, message):
    group = GroupFactory(cadence_weeks=2, active=case != "closed")
    before = (group.facilitator_id, group.cadence_weeks, group.active)
    facilitator = {
        "not_a_supervisor": lambda: new_clinician(),
        "inactive_supervisor": lambda: supervisor_user(is_active=False),
        "current_member": lambda: _member_supervisor(group),
        "nothing_changed": lambda: group.facilitator,
    }.get(case, supervisor_user)()
    cadence = {"cadence_0": 0, "cadence_27": 27, "nothing_changed": 2}.get(case, 4)

    with pytest.raises(ArrangementInvalid) as refused:
        svc.group_update(actor=manager, group=group, facilitator=facilitator, cadence_weeks=cadence)

    assert str(refused.value) == str(message)
    assert _unchanged(group) == before
    assert events(EventType.SUPERVISION_GROUP_CHANGED) == []


def test_a_member_cannot_become_facilitator_through_the_page(client, sign_in, manager):
    group = GroupFactory(cadence_weeks=2)
    member = _member_supervisor(group)
    sign_in(manager)

    response = client.post(
        reverse("supervision:group_edit", args=[group.pk]),
        {"facilitator": member.pk, "cadence_weeks": "2"},
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="form-errors"' in body
    assert str(svc.FACILITATOR_IS_MEMBER) in body.replace("&#x27;", "'")
    assert response.context["form"].errors["facilitator"] == [str(svc.FACILITATOR_IS_MEMBER)]
    assert _unchanged(group) == (group.facilitator_id, 2, True)
    assert events(EventType.SUPERVISION_GROUP_CHANGED) == []


def test_a_bad_cadence_on_the_page_shows_the_error_summary(client, sign_in, manager):
    group = GroupFactory(cadence_weeks=2)
    sign_in(manager)

    response = client.post(
        reverse("supervision:group_edit", args=[group.pk]),
        {"facilitator": group.facilitator_id, "cadence_weeks": "30"},
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="form-errors"' in body
    assert str(svc.CADENCE_OUT_OF_RANGE) in body
    assert _unchanged(group) == (group.facilitator_id, 2, True)
    assert events(EventType.SUPERVISION_GROUP_CHANGED) == []


def test_closing_asks_first_then_ends_memberships_and_cancels_future_sessions(
    client, sign_in, manager
):
    today = timezone.localdate()
    group, other_group = GroupFactory(), GroupFactory()
    current = [GroupMemberFactory(group=group), GroupMemberFactory(group=group)]
    earlier = GroupMemberFactory(
        group=group,
        joined_on=today - dt.timedelta(days=60),
        left_on=today - dt.timedelta(days=30),
    )
    elsewhere = GroupMemberFactory(group=other_group)
    future = [_group_session(group, days=3), _group_session(group, days=17)]
    past = _group_session(group, days=-2)
    already_cancelled = _group_session(
        group,
        days=5,
        status=SessionStatus.CANCELLED,
        cancel_reason="Room unavailable",
        cancelled_by=group.facilitator,
        cancelled_at=timezone.now() - dt.timedelta(days=1),
    )
    other_groups = _group_session(other_group, days=3)
    individual = SessionFactory()
    url = reverse("supervision:group_close", args=[group.pk])
    sign_in(manager)

    confirm = client.get(url)
    after_get = (
        SupervisionGroup.objects.get(pk=group.pk).active,
        SupervisionGroupMember.objects.filter(left_on__isnull=True).count(),
        SupervisionSession.objects.filter(status=SessionStatus.SCHEDULED).count(),
        events(EventType.SUPERVISION_GROUP_CHANGED),
    )
    closed = client.post(url)

    assert confirm.status_code == 200
    assert (confirm.context["member_count"], confirm.context["session_count"]) == (2, 2)
    assert "2 future scheduled sessions are cancelled" in confirm.content.decode()
    assert after_get == (True, 3, 5, [])
    assert closed.status_code == 302
    assert closed["Location"] == reverse("supervision:group_detail", args=[group.pk])
    group.refresh_from_db()
    assert group.active is False
    for membership in current:
        membership.refresh_from_db()
        assert membership.left_on == today
    earlier.refresh_from_db()
    assert earlier.left_on == today - dt.timedelta(days=30)
    elsewhere.refresh_from_db()
    assert elsewhere.left_on is None
    for session in future:
        session.refresh_from_db()
        assert session.status == SessionStatus.CANCELLED
        assert session.cancel_reason == "Group closed."
        assert session.cancelled_by_id == manager.pk
        assert session.cancelled_at is not None
    for session in (past, other_groups, individual):
        session.refresh_from_db()
        assert (session.status, session.cancelled_at) == (SessionStatus.SCHEDULED, None)
    already_cancelled.refresh_from_db()
    assert already_cancelled.cancel_reason == "Room unavailable"
    assert already_cancelled.cancelled_by_id == group.facilitator_id
    (changed,) = events(EventType.SUPERVISION_GROUP_CHANGED)
    assert changed.actor_id == manager.pk
    assert changed.target_id == str(group.pk)
    assert changed.details == {"closed": True, "memberships_ended": 2, "sessions_cancelled": 2}
    assert events(EventType.SESSION_CANCELLED) == []


def test_a_member_joining_later_leaves_on_the_day_they_join(manager):
    joins_on = timezone.localdate() + dt.timedelta(days=7)
    membership = GroupMemberFactory(joined_on=joins_on)

    svc.group_close(actor=manager, group=membership.group)

    membership.refresh_from_db()
    assert membership.left_on == joins_on


def test_a_closed_group_cannot_be_closed_again_or_changed(client, sign_in, manager):
    group = GroupFactory(cadence_weeks=2)
    svc.group_close(actor=manager, group=group)
    sign_in(manager)

    again = client.post(reverse("supervision:group_close", args=[group.pk]))
    edit = client.post(
        reverse("supervision:group_edit", args=[group.pk]),
        {"facilitator": supervisor_user().pk, "cadence_weeks": "5"},
    )
    with pytest.raises(ArrangementInvalid) as refused:
        svc.group_close(actor=manager, group=group)

    assert again.status_code == 400
    assert str(svc.GROUP_ALREADY_CLOSED) in again.content.decode()
    assert edit.status_code == 200
    assert edit.context["form"].non_field_errors() == [str(svc.GROUP_CLOSED)]
    assert str(refused.value) == str(svc.GROUP_ALREADY_CLOSED)
    assert _unchanged(group) == (group.facilitator_id, 2, False)
    assert len(events(EventType.SUPERVISION_GROUP_CHANGED)) == 1


def test_the_detail_page_links_to_change_and_close_only_while_open(client, sign_in, manager):
    group = GroupFactory()
    GroupMemberFactory(group=group)
    edit_url = reverse("supervision:group_edit", args=[group.pk])
    close_url = reverse("supervision:group_close", args=[group.pk])
    detail_url = reverse("supervision:group_detail", args=[group.pk])
    sign_in(manager)

    open_page = client.get(detail_url).content.decode()
    svc.group_close(actor=manager, group=group)
    closed_page = client.get(detail_url).content.decode()

    assert edit_url in open_page
    assert close_url in open_page
    assert 'name="member"' in open_page
    assert "/remove/" in open_page
    assert edit_url not in closed_page
    assert close_url not in closed_page
    assert 'name="member"' not in closed_page
    assert "/remove/" not in closed_page
    assert "Closed" in closed_page


def test_group_change_events_hold_ids_and_numbers_only(manager, supervisor):
    group = svc.group_create(
        actor=manager, name="Group with a name", facilitator=supervisor, cadence_weeks=3
    )
    svc.group_member_add(actor=manager, group=group, member=new_clinician())
    _group_session(group, days=4)
    svc.group_update(actor=manager, group=group, facilitator=supervisor_user(), cadence_weeks=4)
    svc.group_close(actor=manager, group=group)

    changed = events(EventType.SUPERVISION_GROUP_CHANGED)

    assert len(changed) == 2
    flat = [changed[0].details["old"], changed[0].details["new"], changed[1].details]
    assert all(only_ids_and_numbers(details) for details in flat)
    assert set(changed[0].details) == {"old", "new", "sessions_rehosted"}
    assert all("Group closed" not in str(event.details) for event in changed)
    assert all("Group with a name" not in str(event.details) for event in changed)


# --- sessions when the relationship behind them ends or changes ---------------------------------


def _future(**kwargs):
    return SessionFactory(starts_at=timezone.now() + dt.timedelta(days=5), **kwargs)


def _past(**kwargs):
    return SessionFactory(
        starts_at=timezone.now() - dt.timedelta(days=5), status=SessionStatus.HELD, **kwargs
    )


def test_ending_an_agreement_cancels_its_sessions_still_to_come(manager):
    agreement = AgreementFactory()
    pair = {"host": agreement.supervisor, "supervisee": agreement.supervisee}
    upcoming, held = _future(**pair), _past(**pair)
    meeting = _future(purpose=SessionPurpose.MANAGEMENT, **pair)
    other = _future(host=agreement.supervisor)

    svc.agreement_end(actor=manager, agreement=agreement)

    upcoming.refresh_from_db()
    assert upcoming.status == SessionStatus.CANCELLED
    assert upcoming.cancel_reason == str(svc.AGREEMENT_ENDED_REASON)
    assert upcoming.cancelled_by == manager
    for untouched in (held, meeting, other):
        status = untouched.status
        untouched.refresh_from_db()
        assert untouched.status == status
    event = AuditEvent.objects.get(event_type=EventType.AGREEMENT_ENDED)
    assert event.details["sessions_cancelled"] == 1


def test_a_new_facilitator_takes_over_the_groups_sessions_still_to_come(manager):
    group = GroupFactory()
    old_host = group.facilitator
    upcoming = _future(kind=SessionKind.GROUP, group=group, host=old_host, supervisee=None)
    held = _past(kind=SessionKind.GROUP, group=group, host=old_host, supervisee=None)
    successor = UserFactory(roles=[Role.SUPERVISOR, Role.CLINICIAN])

    svc.group_update(actor=manager, group=group, facilitator=successor, cadence_weeks=2)

    upcoming.refresh_from_db()
    held.refresh_from_db()
    assert (upcoming.host, held.host) == (successor, old_host)
    event = AuditEvent.objects.get(event_type=EventType.SUPERVISION_GROUP_CHANGED)
    assert event.details["sessions_rehosted"] == 1


def test_a_new_line_manager_ends_the_old_managers_meetings_still_to_come(manager):
    person = new_clinician()
    old_manager = UserFactory(roles=[Role.MANAGER])
    svc.work_profile_set(
        actor=manager,
        person=person,
        non_patient_percent=20,
        line_manager=old_manager,
        fte=Decimal("1.00"),
    )
    meeting = _future(purpose=SessionPurpose.MANAGEMENT, host=old_manager, supervisee=person)
    clinical = _future(host=old_manager, supervisee=person)

    svc.work_profile_set(
        actor=manager,
        person=person,
        non_patient_percent=20,
        line_manager=manager,
        fte=Decimal("1.00"),
    )

    meeting.refresh_from_db()
    clinical.refresh_from_db()
    assert meeting.status == SessionStatus.CANCELLED
    assert meeting.cancel_reason == str(svc.LINE_MANAGER_CHANGED_REASON)
    assert clinical.status == SessionStatus.SCHEDULED
    latest = AuditEvent.objects.filter(event_type=EventType.WORK_PROFILE_CHANGED).latest("pk")
    assert latest.details["meetings_cancelled"] == 1


def test_a_group_closed_meanwhile_gets_no_new_member(manager):
    group = GroupFactory()
    SupervisionGroup.objects.filter(pk=group.pk).update(active=False)  # closed by another request

    with pytest.raises(ArrangementInvalid) as refused:
        svc.group_member_add(actor=manager, group=group, member=new_clinician())

    assert str(refused.value) == str(svc.GROUP_INACTIVE)
    assert not SupervisionGroupMember.objects.filter(group=group).exists()
