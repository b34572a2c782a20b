"""The request context an audit event carries (request id, client address).

Set by `RequestContextMiddleware` for web requests; empty for commands and tasks, which pass
their own source.
"""

from __future__ import annotations

import contextvars
import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip_address: str | None = None


_EMPTY = RequestContext()
_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "carecore_audit_request_context"
)


def current() -> RequestContext:
    """Return the context of the request being served, or an empty one."""
    return _current.get(_EMPTY)


def set_current(ctx: RequestContext) -> contextvars.Token[RequestContext]:
    return _current.set(ctx)


def reset(token: contextvars.Token[RequestContext]) -> None:
    _current.reset(token)


def client_ip(request: HttpRequest) -> str | None:
    """Return the client's address, trusting X-Forwarded-For only through known proxies.

    With CARECORE_TRUSTED_PROXY_COUNT = n > 0, the address n entries from the right of
    X-Forwarded-For is the client (each trusted proxy appends one); entries further left are
    whatever the client sent and are never believed. Used by the audit trail and by the sign-in
    lockout alike, so both name the same address.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = getattr(settings, "CARECORE_TRUSTED_PROXY_COUNT", 0)
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    ]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        return remote
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
