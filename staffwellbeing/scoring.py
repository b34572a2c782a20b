"""Scoring of an instrument version: validate a complete answer set and sum each subscale.

Pure functions over a `Structure`, so they are exact and testable without a database. There
are no cut-offs: a score is a sum, never a label.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from .models.instruments import CFS_LETTERS, CFS_MAX_RATING, CFS_MIN_RATING, CFS_SUBSCALES

if TYPE_CHECKING:
    from .models import InstrumentVersion

ANSWER_MISSING = _("Choose a number for this item.")
ANSWER_NOT_WHOLE_NUMBER = _("Choose a whole number.")
ANSWER_OUT_OF_RANGE = _("Choose a whole number from the range offered.")
ANSWER_UNKNOWN_ITEM = _("This answer is for an item the scale does not have.")


@dataclass(frozen=True)
class Structure:
    """The letters, subscales and rating range of one instrument version."""

    letters: tuple[str, ...]
    subscales: tuple[tuple[str, tuple[str, ...]], ...]
    min_rating: int
    max_rating: int

    @property
    def subscale_codes(self) -> tuple[str, ...]:
        return tuple(code for code, _letters in self.subscales)

    def subscale_range(self, code: str) -> tuple[int, int]:
        """Return the lowest and highest possible score of subscale `code`."""
        size = len(dict(self.subscales)[code])
        return size * self.min_rating, size * self.max_rating


CFS_STRUCTURE = Structure(
    letters=CFS_LETTERS,
    subscales=tuple((str(code), letters) for code, letters in CFS_SUBSCALES),
    min_rating=CFS_MIN_RATING,
    max_rating=CFS_MAX_RATING,
)


class InvalidAnswers(ValueError):
    """The answer set is incomplete or has an invalid value; `errors` maps letter to message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("invalid answers")
        self.errors = errors


def structure_of(version: InstrumentVersion) -> Structure:
    """Return the structure of `version` (items and subscales; prefetch them to save queries)."""
    items = sorted(version.items.all(), key=lambda item: item.position)
    subscales = sorted(version.subscales.all(), key=lambda subscale: subscale.position)
    positions = {item.pk: item.position for item in items}
    return Structure(
        letters=tuple(item.letter for item in items),
        subscales=tuple(
            (
                subscale.code,
                tuple(
                    item.letter
                    for item in sorted(subscale.items.all(), key=lambda i: positions[i.pk])
                ),
            )
            for subscale in subscales
        ),
        min_rating=version.min_rating,
        max_rating=version.max_rating,
    )


def answer_errors(structure: Structure, answers: Mapping[str, object]) -> dict[str, str]:
    """Return a constant error message per invalid or missing letter; empty when all are valid."""
    errors: dict[str, str] = {}
    for letter in structure.letters:
        if letter not in answers or answers[letter] is None or answers[letter] == "":
            errors[letter] = str(ANSWER_MISSING)
            continue
        value = answers[letter]
        # bool is an int subclass; True is not an answer.
        if type(value) is not int:
            errors[letter] = str(ANSWER_NOT_WHOLE_NUMBER)
        elif not structure.min_rating <= value <= structure.max_rating:
            errors[letter] = str(ANSWER_OUT_OF_RANGE)
    for letter in answers:
        if letter not in structure.letters:
            errors[str(letter)] = str(ANSWER_UNKNOWN_ITEM)
    return errors


def validated_answers(structure: Structure, answers: Mapping[str, object]) -> dict[str, int]:
    """Return the answers as {letter: int} in item order, or raise InvalidAnswers."""
    errors = answer_errors(structure, answers)
    if errors:
        raise InvalidAnswers(errors)
    return {letter: int(answers[letter]) for letter in structure.letters}  # type: ignore[call-overload]


def subscale_scores(structure: Structure, answers: Mapping[str, object]) -> dict[str, int]:
    """Return {subscale code: sum of its items} for a complete, valid answer set."""
    valid = validated_answers(structure, answers)
    return {code: sum(valid[letter] for letter in letters) for code, letters in structure.subscales}


def score_differences(
    current: Mapping[str, int], reference: Mapping[str, int] | None
) -> dict[str, int | None]:
    """Return current minus reference per subscale (None when there is no reference)."""
    if reference is None:
        return {code: None for code in current}
    return {
        code: value - reference[code] if code in reference else None
        for code, value in current.items()
    }
