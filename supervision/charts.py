"""The dashboards' charts, rendered on the server as SVG by pygal.

No JavaScript and no external references: each chart is served as its own image response
under a strict CSP, and the table after it on the page gives the same figures.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import pygal
from django.utils.translation import gettext as _
from pygal.style import Style

from .selectors.dashboards import ChartKind, ClinicianRow, stage_labels

CHART_WIDTH = 800
MIN_CHART_HEIGHT = 320
# Room for the title, the axis and the legend, then for each person's bars.
CHART_HEADROOM = 160
HEIGHT_PER_ROW = {ChartKind.CASELOAD: 36, ChartKind.STAGES: 24}
# pygal always writes its config as an inline script and credits itself in comments with
# URLs; neither belongs in an image served under a strict CSP.
_SCRIPT = re.compile(rb"<script\b[^>]*>.*?</script>", re.DOTALL)
_COMMENT = re.compile(rb"<!--.*?-->", re.DOTALL)

_STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#52606d",
    # Distinguishable for common colour-vision deficiencies.
    colors=("#0b5394", "#b45f06", "#38761d", "#741b47", "#52606d"),
    font_family="sans-serif",
)


def chart_height(kind: str, rows: int) -> int:
    """Return the pixel height of a chart of `kind` over `rows` people."""
    return max(MIN_CHART_HEIGHT, CHART_HEADROOM + HEIGHT_PER_ROW.get(kind, 24) * rows)


def _chart(chart_class: Any, *, kind: str, rows: int, title: str) -> Any:
    return chart_class(
        width=CHART_WIDTH,
        height=chart_height(kind, rows),
        style=_STYLE,
        js=[],  # no script: the image needs none and the CSP would refuse it anyway
        disable_xml_declaration=False,
        show_legend=True,
        legend_at_bottom=True,
        title=title,
        no_data_text=_("No clinicians to show"),
        truncate_label=-1,
        truncate_legend=-1,
        print_values=False,
    )


def _render(chart: Any) -> bytes:
    rendered: bytes = chart.render()
    return _COMMENT.sub(b"", _SCRIPT.sub(b"", rendered))


def caseload_chart_svg(rows: Sequence[ClinicianRow]) -> bytes:
    """Return a bar chart of each person's active patients beside their pro-rated limit."""
    chart = _chart(
        pygal.HorizontalBar,
        kind=ChartKind.CASELOAD,
        rows=len(rows),
        title=_("Active patients against the pro-rated guideline"),
    )
    chart.x_title = _("Active patients")
    chart.x_labels = [row.person.name for row in rows]
    if rows:
        chart.add(_("Active patients"), [row.caseload.figures.active_patients for row in rows])
        chart.add(_("Pro-rated limit"), [float(row.caseload.max_patients) for row in rows])
    return _render(chart)


def stage_mix_chart_svg(rows: Sequence[ClinicianRow]) -> bytes:
    """Return a stacked bar chart of each person's active patients by stage of care."""
    chart = _chart(
        pygal.HorizontalStackedBar,
        kind=ChartKind.STAGES,
        rows=len(rows),
        title=_("Active patients by stage of care"),
    )
    chart.x_title = _("Active patients")
    chart.x_labels = [row.person.name for row in rows]
    if rows:
        counts = [row.stage_counts for row in rows]
        for index, label in enumerate(stage_labels()):
            chart.add(label, [person[index][1] for person in counts])
    return _render(chart)


RENDERERS: dict[str, Callable[[Sequence[ClinicianRow]], bytes]] = {
    ChartKind.CASELOAD: caseload_chart_svg,
    ChartKind.STAGES: stage_mix_chart_svg,
}


def dashboard_chart_svg(kind: str, rows: Sequence[ClinicianRow]) -> bytes:
    """Return the chart `kind` (a `ChartKind`) of `rows` as SVG."""
    return RENDERERS[kind](rows)
