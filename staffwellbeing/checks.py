"""System checks for staff wellbeing settings that protect individuals' results."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Tags, Warning, register

from .selectors.aggregates import MIN_GROUP_FLOOR, configured_min_group


@register(Tags.security)
def check_min_group(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn when CARECORE_WELLBEING_MIN_GROUP is set below the floor (it is clamped to 5)."""
    try:
        value = configured_min_group()
    except (TypeError, ValueError):
        value = -1
    if value >= MIN_GROUP_FLOOR:
        return []
    return [
        Warning(
            "CARECORE_WELLBEING_MIN_GROUP is below 5 (or not a number); 5 is used instead.",
            hint="Set it to 5 or more: smaller groups would describe individuals.",
            id="staffwellbeing.W001",
        )
    ]
