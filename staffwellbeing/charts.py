"""The trend chart of a person's subscale scores, rendered on the server as SVG by pygal.

No JavaScript and no external references: the chart is served as its own image response,
and the history table on the page is its accessible alternative.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pygal
from django.utils import formats
from django.utils.translation import gettext as _
from pygal.style import Style

from .selectors.checkins import HistoryRow

CHART_WIDTH = 800
CHART_HEIGHT = 400
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
    # Distinguishable for common colour-vision deficiencies; the lines also have different dots.
    colors=("#0b5394", "#b45f06", "#38761d"),
    font_family="sans-serif",
)


def trend_chart_svg(rows: Sequence[HistoryRow], subscale_names: Mapping[str, str]) -> bytes:
    """Return an SVG line chart of each subscale's score over `rows` (oldest first)."""
    chart = pygal.Line(
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        style=_STYLE,
        js=[],  # no script: the image needs none and the CSP would refuse it anyway
        disable_xml_declaration=False,
        show_legend=True,
        legend_at_bottom=True,
        x_label_rotation=30,
        dots_size=4,
        min_scale=4,
        max_scale=10,
        include_x_axis=False,
        title=_("Your subscale scores over time"),
        x_title=_("Check-in date"),
        y_title=_("Score"),
        no_data_text=_("No check-ins yet"),
        truncate_label=-1,
    )
    chart.x_labels = [
        formats.date_format(row.checkin.answered_at, "SHORT_DATE_FORMAT") for row in rows
    ]
    for code, name in subscale_names.items():
        chart.add(str(name), [row.scores.get(code) for row in rows])
    rendered: bytes = chart.render()
    return _COMMENT.sub(b"", _SCRIPT.sub(b"", rendered))
