"""The manager's, the supervisor's and the clinician's dashboards, their charts and CSV tables."""

from __future__ import annotations

from csp.constants import NONE, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from carecore.downloads import download_response
from staffwellbeing.selectors.checkins import subscale_labels

from ..charts import CHART_WIDTH, chart_height, dashboard_chart_svg
from ..exports import csv_bytes, dashboard_table_export
from ..permissions.dashboards import Dashboard, can_view_dashboard, dashboard_home_require
from ..selectors.dashboards import (
    ChartKind,
    dashboard_chart_rows_for,
    dashboard_manager_for,
    dashboard_me_for,
    dashboard_supervisor_for,
    page_of,
    stage_labels,
)
from ..selectors.reminders import supervision_notifications_unread_count

URL_NAMES = {
    Dashboard.MANAGER: "supervision:dashboard_manager",
    Dashboard.SUPERVISOR: "supervision:dashboard_supervisor",
    Dashboard.ME: "supervision:dashboard_me",
}
CHART_ALTS = {
    ChartKind.CASELOAD: _(
        "Bar chart of active patients beside the pro-rated limit, per clinician. "
        "The same figures are in the caseload table."
    ),
    ChartKind.STAGES: _(
        "Stacked bar chart of active patients by stage of care, per clinician. "
        "The same figures are in the stage of care table."
    ),
}


def _charts(dashboard: Dashboard, page_number: int, rows: int) -> dict[str, dict[str, object]]:
    """Return each chart's image URL (the same page as the table), size and alt text."""
    charts = {}
    for kind in ChartKind.ALL:
        url = reverse("supervision:dashboard_chart", kwargs={"name": f"{dashboard}-{kind}"})
        charts[kind] = {
            "url": f"{url}?page={page_number}",
            "width": CHART_WIDTH,
            "height": chart_height(kind, rows),
            "alt": CHART_ALTS[kind],
        }
    return charts


def _pages(request: HttpRequest) -> dict[str, object]:
    """Return what the links to the other supervision pages need (the unread reminders)."""
    return {"reminders_unread": supervision_notifications_unread_count(request.user)}


def _other_dashboards(request: HttpRequest, current: Dashboard) -> list[dict[str, object]]:
    """Return links to the other dashboards the user may open (a manager who also supervises)."""
    return [
        {"url": reverse(URL_NAMES[board]), "label": board.label}
        for board in Dashboard
        if board != current and can_view_dashboard(request.user, board)
    ]


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Send the user to the most relevant dashboard for their roles (others: 404, audited)."""
    return redirect(URL_NAMES[dashboard_home_require(user=request.user)])


@require_GET
def manager(request: HttpRequest) -> HttpResponse:
    """Show the organisation's caseloads, supervision, reviews, transfers and wellbeing."""
    data = dashboard_manager_for(user=request.user)
    page_obj = page_of(data.clinicians, request.GET.get("page"))
    context = {
        "data": data,
        "page_obj": page_obj,
        "stage_labels": stage_labels(),
        "charts": _charts(Dashboard.MANAGER, page_obj.number, len(page_obj.object_list)),
        "labels": subscale_labels(),
        "other_dashboards": _other_dashboards(request, Dashboard.MANAGER),
        "pages": _pages(request),
    }
    return render(request, "supervision/dashboards/manager.html", context)


@require_GET
def supervisor(request: HttpRequest) -> HttpResponse:
    """Show the supervisor's supervisees, transfers addressed to them and shared results."""
    data = dashboard_supervisor_for(user=request.user)
    page_obj = page_of(data.supervisees, request.GET.get("page"))
    context = {
        "data": data,
        "page_obj": page_obj,
        "stage_labels": stage_labels(),
        "charts": _charts(Dashboard.SUPERVISOR, page_obj.number, len(page_obj.object_list)),
        "labels": subscale_labels(),
        "other_dashboards": _other_dashboards(request, Dashboard.SUPERVISOR),
        "pages": _pages(request),
    }
    return render(request, "supervision/dashboards/supervisor.html", context)


@require_GET
def me(request: HttpRequest) -> HttpResponse:
    """Show the clinician's own caseload, sessions, actions, requests and supervision."""
    data = dashboard_me_for(user=request.user)
    context = {
        "data": data,
        "me_rows": [data.me],
        "stage_labels": stage_labels(),
        "charts": _charts(Dashboard.ME, 1, 1),
        "other_dashboards": _other_dashboards(request, Dashboard.ME),
        "pages": _pages(request),
    }
    return render(request, "supervision/dashboards/me.html", context)


@require_GET
@csp_replace(  # type: ignore[arg-type]  # django-csp types views as taking only the request
    {
        # An SVG image runs no script; pygal's styles are inline in the SVG itself.
        "default-src": [NONE],
        "style-src": [UNSAFE_INLINE],
        "script-src": [NONE],
        "img-src": [NONE],
        "font-src": [NONE],
        "connect-src": [NONE],
    }
)
def chart(request: HttpRequest, name: str) -> HttpResponse:
    """Return one dashboard chart (`<dashboard>-<kind>`) as an SVG image."""
    dashboard, _sep, kind = name.partition("-")
    rows = dashboard_chart_rows_for(
        user=request.user, dashboard=dashboard, chart=kind, page=request.GET.get("page")
    )
    response = HttpResponse(dashboard_chart_svg(kind, rows), content_type="image/svg+xml")
    response["Content-Disposition"] = 'inline; filename="chart.svg"'
    add_never_cache_headers(response)
    return response


@require_GET
def table_csv(request: HttpRequest, dashboard: str, table: str) -> HttpResponse:
    """Download one dashboard table as CSV (metadata only; audited)."""
    export = dashboard_table_export(user=request.user, dashboard=dashboard, table=table)
    stamp = timezone.localdate().isoformat()
    response = download_response(
        csv_bytes(export),
        content_type="text/csv; charset=utf-8",
        filename=f"carecore-{dashboard}-{table}-{stamp}.csv",
    )
    add_never_cache_headers(response)
    return response
