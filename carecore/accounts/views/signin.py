"""Sign-in, sign-out, the second-factor step and the session keep-alive endpoint."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from ..forms_signin import INVALID_CODE_MESSAGE, THROTTLED_CODE_MESSAGE, OtpVerifyForm, SignInForm
from ..services.otp import OtpOutcome, otp_enrolled, otp_required, otp_verify
from ..services.sessions import (
    SESSION_ABSOLUTE_EXPIRED_MESSAGE,
    SESSION_EXPIRED_MESSAGE,
    SIGNED_OUT_REASON,
    ExpiryReason,
    session_activity_touch,
    session_seconds_remaining,
)
from ..services.signin import signin_complete, signin_failure_record, signout_complete

RECOVERY_CODE_USED_MESSAGE = _(
    "You used a recovery code. %(left)d remain; create new ones from My account security."
)


def safe_next_url(request: HttpRequest, default: str | None = None) -> str:
    """Return the `next` parameter if it points at this site, else `default` (or home)."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(default or settings.LOGIN_REDIRECT_URL)


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


@method_decorator(login_not_required, name="dispatch")
class SignInView(LoginView):
    """Check username and password, then send the person on (or to their second factor)."""

    form_class = SignInForm
    template_name = "accounts/login.html"

    def form_valid(self, form: SignInForm) -> HttpResponse:  # type: ignore[override]
        signin_complete(request=self.request, user=form.get_user())
        return HttpResponseRedirect(self.get_success_url())

    def form_invalid(self, form: SignInForm) -> HttpResponse:  # type: ignore[override]
        if form.authentication_attempted:
            signin_failure_record(
                username=form.cleaned_data["username"],
                locked_out=bool(getattr(self.request, "axes_locked_out", False)),
            )
        return super().form_invalid(form)

    def get_success_url(self) -> str:
        next_url = super().get_success_url()
        user = self.request.user
        if otp_required(user=user, session=self.request.session):  # type: ignore[arg-type]
            step = "accounts:otp_verify" if otp_enrolled(user=user) else "accounts:otp_setup"  # type: ignore[arg-type]
            return _with_next(step, next_url)
        return next_url

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        reason = self.request.session.pop(SIGNED_OUT_REASON, None)
        if reason == ExpiryReason.IDLE:
            context["notice"] = SESSION_EXPIRED_MESSAGE
        elif reason == ExpiryReason.ABSOLUTE:
            context["notice"] = SESSION_ABSOLUTE_EXPIRED_MESSAGE
        return context


class SignOutView(View):
    """Sign out (POST only, so no link or image can sign someone out) and say so.

    The signed-out page is this response itself, like Django's LogoutView: no extra public
    URL, so the set of pages open without signing in stays the short list that
    tests/test_url_protection.py allows.
    """

    http_method_names = ["post"]
    template_name = "accounts/logged_out.html"

    def post(self, request: HttpRequest) -> HttpResponse:
        signout_complete(request=request)
        return render(request, self.template_name)


@method_decorator([sensitive_post_parameters("code"), never_cache], name="dispatch")
class OtpVerifyView(View):
    """Ask a signed-in person for their second factor before anything else."""

    template_name = "accounts/otp/verify.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_verified():  # type: ignore[union-attr]
            return redirect(safe_next_url(request))
        if not otp_enrolled(user=request.user):  # type: ignore[arg-type]
            return redirect(_with_next("accounts:otp_setup", safe_next_url(request)))
        return self._render(request, OtpVerifyForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_verified():  # type: ignore[union-attr]
            return redirect(safe_next_url(request))
        form = OtpVerifyForm(request.POST)
        if form.is_valid():
            result = otp_verify(request=request, code=form.cleaned_data["code"])
            if result.outcome == OtpOutcome.VERIFIED:
                if result.recovery_codes_left is not None:
                    messages.warning(
                        request, RECOVERY_CODE_USED_MESSAGE % {"left": result.recovery_codes_left}
                    )
                return redirect(safe_next_url(request))
            form.add_error(
                "code",
                THROTTLED_CODE_MESSAGE
                if result.outcome == OtpOutcome.THROTTLED
                else INVALID_CODE_MESSAGE,
            )
        return self._render(request, form)

    def _render(self, request: HttpRequest, form: OtpVerifyForm) -> HttpResponse:
        context = {"form": form, "next": safe_next_url(request)}
        return render(request, self.template_name, context)


@method_decorator(never_cache, name="dispatch")
class SessionKeepAliveView(View):
    """GET: how many seconds the session has left. POST: record activity now (stay signed in)."""

    def get(self, request: HttpRequest) -> JsonResponse:
        return JsonResponse(
            {"remaining_seconds": session_seconds_remaining(session=request.session)}
        )

    def post(self, request: HttpRequest) -> JsonResponse:
        session_activity_touch(session=request.session, force=True)
        return JsonResponse(
            {"remaining_seconds": session_seconds_remaining(session=request.session)}
        )
