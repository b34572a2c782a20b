"""The confidentiality rules: read and acknowledge (everyone), publish a new version."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import FormView

from .. import selectors
from ..forms_access import RulesAcknowledgeForm, RulesPublishForm
from ..permissions import can_publish_rules
from ..services.rules import rules_acknowledge, rules_publish
from .access import PolicyRequiredMixin, acting_user

NEWER_VERSION_PUBLISHED = _(
    "A newer version of the rules was published while you were reading. Please read it."
)


def _next_url(request: HttpRequest) -> str:
    # Only a path on this site: the rules page must not become an open redirect.
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home:home")


class RulesView(View):
    """Show the current rules; a POST acknowledges them and goes on to `next`."""

    template_name = "accounts/rules/rules.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(RulesAcknowledgeForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        rules = selectors.rules_current()
        form = RulesAcknowledgeForm(request.POST)
        if rules is None or not form.is_valid():
            return self.render(form)
        if form.cleaned_data["version"] != rules.version:
            messages.warning(request, NEWER_VERSION_PUBLISHED)
            return self.render(RulesAcknowledgeForm())
        rules_acknowledge(user=acting_user(request), rules=rules)
        messages.success(request, _("Thank you. You have acknowledged the rules."))
        return redirect(_next_url(request))

    def render(self, form: RulesAcknowledgeForm) -> HttpResponse:
        rules = selectors.rules_current()
        if rules is not None and not form.is_bound:
            form = RulesAcknowledgeForm(initial={"version": rules.version})
        context = {
            "rules": rules,
            "form": form,
            "acknowledged": selectors.user_has_acknowledged_current(self.request.user),
            "next": _next_url(self.request),
        }
        return render(self.request, self.template_name, context)


class RulesPublishView(PolicyRequiredMixin, FormView):
    """List the published versions and publish a new one."""

    policy = staticmethod(can_publish_rules)
    template_name = "accounts/rules/publish.html"
    form_class = RulesPublishForm

    def get_initial(self) -> dict[str, Any]:
        current = selectors.rules_current()
        return {"title": current.title, "body": current.body} if current else {}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(versions=selectors.rules_versions(), **kwargs)

    def form_valid(self, form: RulesPublishForm) -> HttpResponse:
        rules = rules_publish(
            actor=acting_user(self.request),
            title=form.cleaned_data["title"],
            body=form.cleaned_data["body"],
        )
        message = _("Version %(version)s published. Everyone will be asked to acknowledge it.")
        messages.success(self.request, message % {"version": rules.version})
        return redirect("accounts:rules")
