"""Session policy, second factor and rules acknowledgement. (Filled in by the accounts work.)"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class _PassThrough:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)


class SessionPolicyMiddleware(_PassThrough):
    """End signed-in sessions after the idle or absolute timeout; keep the rest tracked.

    Last activity is written at most once per CARECORE_SESSION_ACTIVITY_RESOLUTION, so most
    requests do not save the session. The keep-alive endpoint's GET (the page asking how long
    is left) is not activity: a forgotten tab must not keep its session alive.
    """

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Imported on use so this class carries its own dependencies in a shared module.
        from .services.sessions import (
            TRACKED_KEY,
            session_activity_touch,
            session_expire,
            session_expiry_reason,
            user_session_track,
        )

        user = request.user
        if user.is_authenticated:
            session = request.session
            reason = session_expiry_reason(session=session)
            if reason is not None:
                session_expire(request=request, reason=reason)
                if not self._is_sign_in(request):
                    return self._expired_response(request)
                # Signing in again on a stale tab: the form post goes on, now anonymous.
                return self.get_response(request)
            if not self._is_status_probe(request):
                session_activity_touch(session=session)
            if session.get(TRACKED_KEY) != session.session_key:
                user_session_track(user=user, session=session)  # type: ignore[arg-type]
        return self.get_response(request)

    @staticmethod
    def _keepalive_path() -> str | None:
        from django.urls import NoReverseMatch, reverse

        try:
            return reverse("accounts:session_keepalive")
        except NoReverseMatch:  # a URLconf without the accounts pages (some tests)
            return None

    @staticmethod
    def _is_sign_in(request: HttpRequest) -> bool:
        from django.conf import settings
        from django.shortcuts import resolve_url

        return request.path_info == resolve_url(settings.LOGIN_URL)

    def _is_status_probe(self, request: HttpRequest) -> bool:
        return request.method in ("GET", "HEAD") and request.path_info == self._keepalive_path()

    def _expired_response(self, request: HttpRequest) -> HttpResponse:
        from django.contrib.auth.views import redirect_to_login
        from django.http import JsonResponse

        wants_json = "application/json" in request.headers.get("Accept", "")
        if wants_json or request.path_info == self._keepalive_path():
            return JsonResponse({"expired": True, "remaining_seconds": 0}, status=401)
        return redirect_to_login(request.get_full_path())


class SecondFactorMiddleware(_PassThrough):
    """Send a signed-in session that has not passed its required second factor to it.

    Required when CARECORE_REQUIRE_2FA is on, for admins when CARECORE_REQUIRE_2FA_FOR_ADMINS
    is on, and always once the person has a device. Public pages (login_not_required) and the
    pages needed to pass the step or leave are let through; every other page redirects to the
    verify page (device present) or the enrolment page (no device yet).
    """

    exempt_view_names = frozenset(
        {
            "accounts:logout",
            "accounts:otp_verify",
            "accounts:otp_setup",
            "accounts:session_keepalive",
            "home:health",
        }
    )

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[object, ...],
        view_kwargs: dict[str, object],
    ) -> HttpResponse | None:
        from django.contrib.auth.views import redirect_to_login

        from .services.otp import otp_enrolled, otp_required

        user = request.user
        if not user.is_authenticated or getattr(user, "is_verified", lambda: False)():
            return None
        # A page anyone may open without signing in needs no second factor either.
        if not getattr(view_func, "login_required", True):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in self.exempt_view_names:
            return None
        if not otp_required(user=user, session=request.session):  # type: ignore[arg-type]
            return None
        step = "accounts:otp_verify" if otp_enrolled(user=user) else "accounts:otp_setup"  # type: ignore[arg-type]
        return redirect_to_login(request.get_full_path(), step)


class RulesAcknowledgementMiddleware(_PassThrough):
    """Send a signed-in user who has not acknowledged the current rules to the rules page.

    Stricter than "before any patient page": every page waits, except the ones needed to read
    the rules, sign in or out, pass the second factor and keep the session alive.
    """

    exempt_view_names = frozenset(
        {
            "accounts:rules",
            "accounts:login",
            "accounts:logout",
            "accounts:logged_out",
            "accounts:otp_verify",
            "accounts:otp_setup",
            "accounts:otp_recovery_codes",
            "accounts:session_keepalive",
            "home:health",
        }
    )

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[object, ...],
        view_kwargs: dict[str, object],
    ) -> HttpResponse | None:
        # Imported on use so this class carries its own dependencies in a shared module.
        from django.contrib.auth.views import redirect_to_login

        from .selectors import user_has_acknowledged_current

        match = request.resolver_match
        if (
            not request.user.is_authenticated
            # A page anyone may open without signing in (login_not_required) never waits.
            or not getattr(view_func, "login_required", True)
            or match is None
            or match.view_name in self.exempt_view_names
            or user_has_acknowledged_current(request.user)
        ):
            return None
        return redirect_to_login(request.get_full_path(), "accounts:rules")
