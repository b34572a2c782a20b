"""Clinical supervision sessions (`sessions/`) and management meetings (`meetings/`).

One set of views serves both, bound to a purpose by the URL: every selector call carries the
purpose, so a meeting opened through a clinical URL (or the reverse) is a 404.
"""

from __future__ import annotations

from functools import partial, update_wrapper
from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from ..forms_sessions import (
    ActionFormSet,
    CancelForm,
    LogForm,
    RescheduleForm,
    ScheduleForm,
    add_service_error,
    log_input,
    person_name,
)
from ..models import SessionPurpose, SessionStatus
from ..permissions.sessions import (
    DenialReason,
    SessionInvalid,
    SessionNotFound,
    access_denied_record,
    may_schedule_any,
)
from ..selectors.sessions import (
    actions_list_for,
    log_people,
    schedule_choices,
    session_detail_for,
    session_get_for,
    sessions_list_for,
)
from ..services import sessions as scheduling
from ..services.logs import supervision_action_complete, supervision_session_log
from ..services.sessions import SessionConflict

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest, HttpResponse

    from carecore.accounts.models import User

PAGE_SIZE = 25
SCHEDULED = _("The session was scheduled.")
SERIES_SCHEDULED = _("A series of %(count)s sessions was scheduled.")
RESCHEDULED = _("The session was moved.")
CANCELLED = _("The session was cancelled.")
LOGGED = _("The log was saved. It can no longer be changed.")
ACTION_DONE = _("The action was marked as done.")

URLS: dict[str, dict[str, str]] = {
    SessionPurpose.CLINICAL: {
        "list": "supervision:sessions",
        "new": "supervision:session_new",
        "detail": "supervision:session_detail",
        "reschedule": "supervision:session_reschedule",
        "cancel": "supervision:session_cancel",
        "log": "supervision:session_log",
        "actions": "supervision:actions",
        "action_done": "supervision:action_done",
    },
    SessionPurpose.MANAGEMENT: {
        "list": "supervision:meetings",
        "new": "supervision:meeting_new",
        "detail": "supervision:meeting_detail",
        "reschedule": "supervision:meeting_reschedule",
        "cancel": "supervision:meeting_cancel",
        "log": "supervision:meeting_log",
        "actions": "supervision:meeting_actions",
        "action_done": "supervision:meeting_action_done",
    },
}
TEMPLATES = "supervision/sessions/"


def _user(request: HttpRequest) -> User:
    # LoginRequiredMiddleware has already turned every anonymous request away.
    return cast("User", request.user)


def _zone() -> str:
    return str(timezone.get_default_timezone_name())


def _context(purpose: str, **extra: Any) -> dict[str, Any]:
    clinical = purpose == SessionPurpose.CLINICAL
    return {"purpose": purpose, "clinical": clinical, "urls": URLS[purpose], **extra}


def _clashes(form: Any, error: SessionConflict) -> list[Any]:
    form.warned()
    form.add_error("schedule_anyway", str(error))
    return error.clashes


def _list(request: HttpRequest, purpose: str) -> HttpResponse:
    """List the user's sessions of `purpose`, upcoming or past."""
    user = _user(request)
    past = request.GET.get("when") == "past"
    sessions = sessions_list_for(user=user, purpose=purpose, past=past)
    page = Paginator(sessions, PAGE_SIZE).get_page(request.GET.get("page"))
    context = _context(
        purpose, page_obj=page, past=past, may_schedule=may_schedule_any(user, purpose)
    )
    return render(request, TEMPLATES + "list.html", context)


def _new(request: HttpRequest, purpose: str) -> HttpResponse:
    """Schedule a session or a series; warn about clashes and ask to confirm."""
    user = _user(request)
    people, groups = schedule_choices(user=user, purpose=purpose)
    if not people and not groups:
        # Nobody to arrange this with: a page this user has no business on.
        access_denied_record(actor=user, action="schedule", reason=DenialReason.ROLE)
        raise SessionNotFound
    form = ScheduleForm(request.POST or None, people=people, groups=groups, zone=_zone())
    clashes: list[Any] = []
    if request.method == "POST" and form.is_valid():
        supervisee, group = form.party()
        try:
            sessions = scheduling.session_schedule(
                actor=user,
                purpose=purpose,
                starts_at=form.starts_at(),
                duration_minutes=form.cleaned_data["duration_minutes"],
                location=form.cleaned_data["location"],
                supervisee=supervisee,
                group=group,
                occurrences=form.occurrence_count(),
                confirm_conflicts=form.confirmed(),
            )
        except SessionConflict as error:
            clashes = _clashes(form, error)
        except SessionInvalid as error:
            add_service_error(form, error)
        else:
            count = len(sessions)
            messages.success(
                request, SERIES_SCHEDULED % {"count": count} if count > 1 else SCHEDULED
            )
            return redirect(URLS[purpose]["detail"], uuid=sessions[0].uuid)
    context = _context(purpose, form=form, clashes=clashes)
    return render(request, TEMPLATES + "schedule.html", context)


def _detail(request: HttpRequest, purpose: str, uuid: Any) -> HttpResponse:
    """Show a session to a party: the log's parts as far as theirs to read (audited)."""
    user = _user(request)
    session = session_get_for(user=user, purpose=purpose, uuid=uuid)
    detail = session_detail_for(user=user, session=session)
    context = _context(purpose, session=session, detail=detail, now=timezone.now())
    return render(request, TEMPLATES + "detail.html", context)


def _reschedule(request: HttpRequest, purpose: str, uuid: Any) -> HttpResponse:
    """Move a scheduled session to a new time, with a reason; warn about clashes."""
    user = _user(request)
    session = session_get_for(
        user=user, purpose=purpose, uuid=uuid, action="reschedule", manage=True
    )
    form = RescheduleForm(request.POST or None, zone=_zone())
    clashes: list[Any] = []
    if request.method == "POST" and form.is_valid():
        try:
            scheduling.session_reschedule(
                actor=user,
                session=session,
                starts_at=form.starts_at(),
                reason=form.cleaned_data["reason"],
                confirm_conflicts=form.confirmed(),
            )
        except SessionConflict as error:
            clashes = _clashes(form, error)
        except SessionInvalid as error:
            add_service_error(form, error)
        else:
            messages.success(request, RESCHEDULED)
            return redirect(URLS[purpose]["detail"], uuid=session.uuid)
    context = _context(purpose, session=session, form=form, clashes=clashes)
    return render(request, TEMPLATES + "reschedule.html", context)


def _cancel(request: HttpRequest, purpose: str, uuid: Any) -> HttpResponse:
    """Ask for a reason and confirmation, then cancel a scheduled session."""
    user = _user(request)
    session = session_get_for(user=user, purpose=purpose, uuid=uuid, action="cancel", manage=True)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            scheduling.session_cancel(
                actor=user, session=session, reason=form.cleaned_data["reason"]
            )
        except SessionInvalid as error:
            add_service_error(form, error)
        else:
            messages.success(request, CANCELLED)
            return redirect(URLS[purpose]["detail"], uuid=session.uuid)
    context = _context(
        purpose, session=session, form=form, cancellable=session.status == SessionStatus.SCHEDULED
    )
    return render(request, TEMPLATES + "cancel.html", context)


def _log(request: HttpRequest, purpose: str, uuid: Any) -> HttpResponse:
    """Record once, after it started, whether the session was held, and what it agreed."""
    user = _user(request)
    session = session_get_for(user=user, purpose=purpose, uuid=uuid, action="log", manage=True)
    people = log_people(session)
    owners = [(user.pk, _("You")), *((p.pk, person_name(p)) for p in people)]
    data = request.POST or None
    form = LogForm(data, session=session, people=people)
    actions = ActionFormSet(data, prefix="actions", form_kwargs={"owners": owners})
    if request.method == "POST" and form.is_valid() and actions.is_valid():
        try:
            supervision_session_log(actor=user, session=session, entry=log_input(form, actions))
        except SessionInvalid as error:
            add_service_error(form, error)
        else:
            messages.success(request, LOGGED)
            return redirect(URLS[purpose]["detail"], uuid=session.uuid)
    context = _context(
        purpose,
        session=session,
        form=form,
        actions=actions,
        logged=hasattr(session, "log"),
        started=session.starts_at <= timezone.now(),
    )
    return render(request, TEMPLATES + "log.html", context)


def _actions(request: HttpRequest, purpose: str) -> HttpResponse:
    """List the actions the user owns from sessions of `purpose`, open first."""
    actions = actions_list_for(user=_user(request), purpose=purpose)
    page = Paginator(actions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, TEMPLATES + "actions.html", _context(purpose, page_obj=page))


def _action_done(request: HttpRequest, purpose: str, pk: int) -> HttpResponse:
    """Mark one of the user's own actions as done."""
    try:
        supervision_action_complete(actor=_user(request), action_id=pk, purpose=purpose)
    except SessionInvalid as error:
        messages.error(request, str(error))
    else:
        messages.success(request, ACTION_DONE)
    return redirect(URLS[purpose]["actions"])


def _bind(view: Callable[..., HttpResponse], purpose: str, methods: list[str]) -> Any:
    bound = partial(view, purpose=purpose)
    update_wrapper(bound, view)
    return require_http_methods(methods)(bound)


_GET, _FORM = ["GET"], ["GET", "POST"]
session_list = _bind(_list, SessionPurpose.CLINICAL, _GET)
session_new = _bind(_new, SessionPurpose.CLINICAL, _FORM)
session_detail = _bind(_detail, SessionPurpose.CLINICAL, _GET)
session_reschedule = _bind(_reschedule, SessionPurpose.CLINICAL, _FORM)
session_cancel = _bind(_cancel, SessionPurpose.CLINICAL, _FORM)
session_log = _bind(_log, SessionPurpose.CLINICAL, _FORM)
meeting_list = _bind(_list, SessionPurpose.MANAGEMENT, _GET)
meeting_new = _bind(_new, SessionPurpose.MANAGEMENT, _FORM)
meeting_detail = _bind(_detail, SessionPurpose.MANAGEMENT, _GET)
meeting_reschedule = _bind(_reschedule, SessionPurpose.MANAGEMENT, _FORM)
meeting_cancel = _bind(_cancel, SessionPurpose.MANAGEMENT, _FORM)
meeting_log = _bind(_log, SessionPurpose.MANAGEMENT, _FORM)
action_list = _bind(_actions, SessionPurpose.CLINICAL, _GET)
action_done = _bind(_action_done, SessionPurpose.CLINICAL, ["POST"])
meeting_action_list = _bind(_actions, SessionPurpose.MANAGEMENT, _GET)
meeting_action_done = _bind(_action_done, SessionPurpose.MANAGEMENT, ["POST"])
