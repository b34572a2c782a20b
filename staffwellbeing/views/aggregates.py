"""The managers' overview: suppressed aggregate figures per team and for the organisation."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..forms_checkins import PeriodForm
from ..selectors.aggregates import wellbeing_aggregates_for
from ..selectors.checkins import subscale_labels


@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """Show aggregate figures to managers; everyone else gets a 404 (audited)."""
    form = PeriodForm(request.GET or None)
    report = wellbeing_aggregates_for(user=request.user, period_days=form.period_days())
    return render(
        request,
        "staffwellbeing/aggregates/overview.html",
        {"form": form, "report": report, "labels": subscale_labels()},
    )
