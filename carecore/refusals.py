"""The refusal every app's services raise when a request breaks a rule.

`str(refusal)` is one of the raising module's constant, translatable messages: safe to show on
a page, never a value from a record. `field` names the form field it concerns, if any.
"""

from __future__ import annotations


class Refusal(Exception):
    """The request breaks a rule; nothing was saved."""

    def __init__(self, message: object, *, field: str | None = None) -> None:
        self.message = message
        self.field = field
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.message)
