"""Audit receivers for axes signals. Audit only: no domain flow hides here."""

from __future__ import annotations

from typing import Any

from axes.helpers import get_failure_limit
from axes.signals import user_locked_out
from django.dispatch import receiver

from .services.signin import lockout_record


@receiver(user_locked_out, dispatch_uid="carecore.accounts.lockout_audit")
def lockout_audit(sender: Any, request: Any, **kwargs: Any) -> None:
    """Audit the failure that locks a username and address pair, once per lockout."""
    credentials = getattr(request, "axes_credentials", None) or {}
    # Axes sends this signal again for every attempt made while locked out (each is audited as
    # a failed sign-in); only the attempt that reaches the limit starts a lockout.
    if getattr(request, "axes_failures_since_start", None) != get_failure_limit(
        request, credentials
    ):
        return
    lockout_record(username=credentials.get("username"))
