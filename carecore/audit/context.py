"""The request context an audit event carries (request id, client address).

Set by `RequestContextMiddleware` for web requests; empty for commands and tasks, which pass
their own source.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


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
