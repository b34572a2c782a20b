"""App-level tunables, each with a `CARECORE_` setting and a default, read at call time."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

DEFAULT_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
# Decoded pixels, not bytes: a small PNG can decode to gigabytes (a decompression bomb).
DEFAULT_ATTACHMENT_MAX_PIXELS = 40_000_000
DEFAULT_BREAK_GLASS_HOURS = 4
DEFAULT_BREAK_GLASS_MAX_FAILURES = 5
DEFAULT_BREAK_GLASS_FAILURE_WINDOW_MINUTES = 15


def attachment_max_bytes() -> int:
    """Return the largest attachment accepted, in bytes."""
    return int(getattr(settings, "CARECORE_ATTACHMENT_MAX_BYTES", DEFAULT_ATTACHMENT_MAX_BYTES))


def attachment_max_pixels() -> int:
    """Return the largest image accepted, in pixels (width times height)."""
    return int(getattr(settings, "CARECORE_ATTACHMENT_MAX_PIXELS", DEFAULT_ATTACHMENT_MAX_PIXELS))


def break_glass_duration() -> timedelta:
    """Return how long a break-glass grant stays in force."""
    return timedelta(
        hours=float(getattr(settings, "CARECORE_BREAK_GLASS_HOURS", DEFAULT_BREAK_GLASS_HOURS))
    )


def break_glass_max_failures() -> int:
    """Return how many wrong passwords within the window block further break-glass attempts."""
    return int(
        getattr(settings, "CARECORE_BREAK_GLASS_MAX_FAILURES", DEFAULT_BREAK_GLASS_MAX_FAILURES)
    )


def break_glass_failure_window() -> timedelta:
    """Return the window over which wrong break-glass passwords are counted."""
    return timedelta(
        minutes=int(
            getattr(
                settings,
                "CARECORE_BREAK_GLASS_FAILURE_WINDOW_MINUTES",
                DEFAULT_BREAK_GLASS_FAILURE_WINDOW_MINUTES,
            )
        )
    )
