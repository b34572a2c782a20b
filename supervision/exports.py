"""CSV downloads of the dashboards' tables: metadata only, audited, safe to open in a spreadsheet.

Each table holds usernames, counts, dates and flags. Never a case code, a place or video link,
an action's text, a transfer's reason or any wellbeing result.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record
from carecore.downloads import csv_cell

from .permissions.dashboards import (
    Dashboard,
    DashboardNotFound,
    DenialReason,
    dashboard_denial_record,
    dashboard_require,
)
from .selectors.dashboards import (
    ClinicianRow,
    TransferRow,
    caseload_figure_rows,
    clinician_rows,
    dashboard_people,
    job_review_rows,
    open_clinical_actions,
    open_transfers,
    stage_labels,
    upcoming_clinical_sessions,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from carecore.accounts.models import User

    AnyUser = User | AnonymousUser

Cell = str | int | bool | Decimal | None
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).


@dataclass(frozen=True)
class ExportTable:
    """A table ready to download: its column headings and rows of plain cells."""

    header: list[str]
    rows: list[list[Cell]]


def safe_cell(value: Cell) -> str:
    """Return `value` as CSV text; text that a spreadsheet would run as a formula is quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | Decimal):
        return str(value)
    return csv_cell(value)


def csv_bytes(table: ExportTable) -> bytes:
    """Return `table` as UTF-8 CSV (with a byte order mark, so spreadsheets read accents)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(heading) for heading in table.header])
    writer.writerows([safe_cell(cell) for cell in row] for row in table.rows)
    return buffer.getvalue().encode("utf-8-sig")


def _date(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date().isoformat()
    return value.isoformat()


def _time(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


# ---- the tables ------------------------------------------------------------------------------


def _caseload_table(rows: Sequence[ClinicianRow]) -> ExportTable:
    header = [
        _("Username"),
        _("Active patients"),
        _("Patient limit (pro-rated)"),
        _("Complexity points"),
        _("Points limit (pro-rated)"),
        _("Stages of care"),
        _("At high risk"),
        _("New cases"),
        _("FTE"),
        _("Flags"),
        _("Last individual session"),
        _("Next scheduled"),
        _("Supervision overdue"),
        _("Days overdue"),
        _("Caseload review due on"),
        _("Caseload review due"),
    ]
    body: list[list[Cell]] = []
    for row in rows:
        figures = row.caseload.figures
        status = row.supervision
        body.append(
            [
                row.person.username,
                figures.active_patients,
                row.caseload.max_patients,
                figures.complexity_points,
                row.caseload.max_points,
                figures.stages_present,
                figures.high_risk,
                figures.new_cases,
                row.caseload.fte,
                "; ".join(row.flag_labels),
                _date(status.last_held_at) if status else None,
                _time(status.next_scheduled_at) if status and status.next_scheduled_at else None,
                row.overdue if status else _("no agreement"),
                row.overdue_days,
                _date(row.review.due_on) if row.review else None,
                row.review_due if row.review else None,
            ]
        )
    return ExportTable(header=header, rows=body)


def _stages_table(rows: Sequence[ClinicianRow]) -> ExportTable:
    header = [_("Username"), *stage_labels(), _("Active patients")]
    body: list[list[Cell]] = [
        [
            row.person.username,
            *(count for _label, count in row.stage_counts),
            row.caseload.figures.active_patients,
        ]
        for row in rows
    ]
    return ExportTable(header=header, rows=body)


def _transfers_table(transfers: Sequence[TransferRow], *, parties: Sequence[str]) -> ExportTable:
    headings = {
        "requester": _("Requested by"),
        "supervisor": _("Supervisor"),
        "receiver": _("Receiving clinician"),
    }
    header = [
        *(headings[party] for party in parties),
        _("Status"),
        _("Requested on"),
        _("Age (days)"),
    ]
    body: list[list[Cell]] = []
    for transfer in transfers:
        people = [getattr(transfer, party) for party in parties]
        body.append(
            [
                *(person.username if person else None for person in people),
                transfer.status_label,
                _date(transfer.requested_at),
                transfer.age_days,
            ]
        )
    return ExportTable(header=header, rows=body)


def _rows(user: AnyUser, dashboard: Dashboard, now: dt.datetime) -> list[ClinicianRow]:
    return clinician_rows(people=dashboard_people(user=user, dashboard=dashboard), now=now)


def _manager_clinicians(user: AnyUser, now: dt.datetime) -> ExportTable:
    return _caseload_table(_rows(user, Dashboard.MANAGER, now))


def _manager_stages(user: AnyUser, now: dt.datetime) -> ExportTable:
    return _stages_table(_rows(user, Dashboard.MANAGER, now))


def _manager_transfers(user: AnyUser, now: dt.datetime) -> ExportTable:
    return _transfers_table(
        open_transfers(now=now), parties=("requester", "supervisor", "receiver")
    )


def _manager_job_reviews(user: AnyUser, now: dt.datetime) -> ExportTable:
    rows = job_review_rows(user=user, today=timezone.localdate(now))
    return ExportTable(
        header=[
            _("Username"),
            _("Has a job description"),
            _("Review due on"),
            _("Last reviewed on"),
        ],
        rows=[
            [
                row.person.username,
                row.has_job_description,
                _date(row.review_due_on),
                _date(row.last_reviewed_on),
            ]
            for row in rows
        ],
    )


def _supervisor_supervisees(user: AnyUser, now: dt.datetime) -> ExportTable:
    return _caseload_table(_rows(user, Dashboard.SUPERVISOR, now))


def _supervisor_stages(user: AnyUser, now: dt.datetime) -> ExportTable:
    return _stages_table(_rows(user, Dashboard.SUPERVISOR, now))


def _supervisor_transfers(user: AnyUser, now: dt.datetime) -> ExportTable:
    return _transfers_table(
        open_transfers(where=Q(supervisor_id=user.pk), now=now),
        parties=("requester", "receiver"),
    )


def _me_caseload(user: AnyUser, now: dt.datetime) -> ExportTable:
    (row,) = _rows(user, Dashboard.ME, now)
    return ExportTable(
        header=[_("Figure"), _("Mine"), _("Guideline")],
        rows=[[label, mine, limit] for label, mine, limit in caseload_figure_rows(row)],
    )


def _me_stages(user: AnyUser, now: dt.datetime) -> ExportTable:
    return _stages_table(_rows(user, Dashboard.ME, now))


def _me_sessions(user: AnyUser, now: dt.datetime) -> ExportTable:
    # No place: a video link can carry the meeting's secret.
    sessions = upcoming_clinical_sessions(user=user, now=now)
    return ExportTable(
        header=[_("Starts"), _("Ends"), _("Duration (minutes)"), _("Kind")],
        rows=[
            [_time(s.starts_at), _time(s.ends_at), s.duration_minutes, s.kind_label]
            for s in sessions
        ],
    )


def _me_actions(user: AnyUser, now: dt.datetime) -> ExportTable:
    # Dates only: the action's text is the owner's encrypted free text, not metadata.
    actions = open_clinical_actions(user=user, today=timezone.localdate(now))
    return ExportTable(
        header=[_("Due on"), _("Overdue"), _("Agreed in the session of")],
        rows=[[_date(a.due_on), a.overdue, _date(a.session_on)] for a in actions],
    )


def _me_transfers(user: AnyUser, now: dt.datetime) -> ExportTable:
    return _transfers_table(open_transfers(where=Q(requester_id=user.pk), now=now), parties=())


Builder = Callable[["AnyUser", dt.datetime], ExportTable]

TABLES: dict[Dashboard, dict[str, Builder]] = {
    Dashboard.MANAGER: {
        "clinicians": _manager_clinicians,
        "stages": _manager_stages,
        "transfers": _manager_transfers,
        "job-reviews": _manager_job_reviews,
    },
    Dashboard.SUPERVISOR: {
        "supervisees": _supervisor_supervisees,
        "stages": _supervisor_stages,
        "transfers": _supervisor_transfers,
    },
    Dashboard.ME: {
        "caseload": _me_caseload,
        "stages": _me_stages,
        "sessions": _me_sessions,
        "actions": _me_actions,
        "transfers": _me_transfers,
    },
}


def dashboard_table_export(
    *, user: AnyUser, dashboard: str, table: str, now: dt.datetime | None = None
) -> ExportTable:
    """Return a dashboard's table for download if `user` may open it; audit the export."""
    action = "export_dashboard"
    checked = dashboard_require(user=user, dashboard=dashboard, action=action)
    builder = TABLES[checked].get(table)
    if builder is None:
        dashboard_denial_record(
            actor=user, action=action, reason=DenialReason.NOT_FOUND, dashboard=checked
        )
        raise DashboardNotFound
    export = builder(user, now or timezone.now())
    audit_event_record(
        event_type=EventType.DASHBOARD_EXPORTED,
        actor=user,
        details={"dashboard": checked.value, "table": table, "rows": len(export.rows)},
    )
    return export
